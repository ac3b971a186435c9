"""Every command-line entry point explains itself with --help and changes nothing."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers import REPO

SCRIPTS = sorted(
    str(p.relative_to(REPO))
    for folder in ("stages", "analyses", "benchmarks")
    for p in (REPO / folder).glob("*.py")
    if p.name != "__init__.py"
)


def test_there_are_entry_points_to_check():
    assert {"stages/train.py", "analyses/compare_embeddings.py"} <= set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_help_prints_usage_and_writes_nothing(script, tmp_path):
    before = subprocess.run(
        ["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    result = subprocess.run(
        [sys.executable, str(REPO / script), "--help"],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("usage:")
    after = subprocess.run(
        ["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    assert after == before
