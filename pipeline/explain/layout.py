"""Where the held-out crops' case pages live (written by ``cases``, linked by ``evaluate``)."""

from __future__ import annotations

from pathlib import Path

from pipeline.registry import DETECTOR_NAMES

#: The detector whose held-out crops get pages (the one of Fig 3b and Fig 4).
CASE_DETECTOR = DETECTOR_NAMES[0]
#: The list of pages inside the cases folder: crop_id, subject, fold, page, events, summary.
CASES_TABLE = "cases.csv"


def cases_dir(reports_dir: str | Path) -> Path:
    """``<reports_dir>/cases``: ``<crop_id>.html`` / ``.json`` per crop and :data:`CASES_TABLE`."""
    return Path(reports_dir) / "cases"
