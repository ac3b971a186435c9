"""Helpers shared by the tests (import them as ``tests.helpers.<name>``) and the paths they use."""

from __future__ import annotations

from pathlib import Path

#: The repository root (``tests/helpers/__init__.py`` -> ``tests/helpers`` -> ``tests`` -> root).
REPO = Path(__file__).resolve().parents[2]

#: Checked-in test data (``tests/data``).
DATA = REPO / "tests" / "data"
