"""A folder of hand-labelled reports: the real-format test set of label extraction.

Layout of a folder (``tests/data/eeg_reports/dev`` and ``.../test`` are two)::

    <folder>/<subject>.txt   one report per file (UTF-8)
    <folder>/labels.csv      subject, layout, then one 0/1 column per concept name

The hand labels follow ``docs/report_labeling.md``. Users can score the
extractor on their own reports the same way: ``python benchmarks/labels.py
--reports <folder>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipeline.datasets.ingest import NOTES_SCHEMA

#: An upper-case header inside a one-line report ("... IMPRESSION: ...").
_INLINE_HEADER = re.compile(r"(?<=[^A-Z\s])[ \t]+(?=[A-Z][A-Z ]{1,40}[A-Z]:)")


@dataclass(frozen=True)
class ReportSet:
    """The reports as a notes table, where their labels are, and each report's layout."""

    notes: pl.DataFrame
    labels_path: Path
    layouts: dict[str, str]


def read_report_folder(folder: str | Path) -> ReportSet:
    """Read ``<folder>/*.txt`` and ``<folder>/labels.csv``.

    Raises
    ------
    ValueError
        When a report has no labels row or a labels row no report.
    """
    folder = Path(folder)
    labels_path = folder / "labels.csv"
    table = pl.read_csv(labels_path)
    files = {p.stem: p for p in sorted(folder.glob("*.txt"))}
    unlabelled = sorted(set(files) - set(table["subject"]))
    missing = sorted(set(table["subject"]) - set(files))
    if unlabelled or missing:
        raise ValueError(f"{labels_path}: reports without labels {unlabelled}, "
                         f"labels without a report {missing}")  # fmt: skip
    notes = pl.DataFrame(
        [{"subject": s, "session": "s001", "path": str(p), "text": p.read_text(encoding="utf-8")}
         for s, p in files.items()],
        schema=NOTES_SCHEMA,
    )  # fmt: skip
    layouts = dict(zip(table["subject"], table["layout"], strict=True))
    return ReportSet(notes, labels_path, layouts)


def one_line(text: str) -> str:
    """The report as one line, as a CSV or database field would hold it."""
    return " ".join(text.split())


def line_split(text: str) -> str:
    """The report with every upper-case ``HEADER:`` starting a line (from a one-line report)."""
    return _INLINE_HEADER.sub("\n", one_line(text))
