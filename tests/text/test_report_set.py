"""The real-format report set: its labels file, layout twins, nothing lost unread.

Quality thresholds are not asserted here: ``benchmarks/labels.py`` scores the
sets against them. These tests assert behaviour that must hold on every report.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from pipeline.config import LabelParams
from pipeline.registry import REFERENCE_CONCEPTS
from pipeline.text.labels import run_labels
from pipeline.text.quality import load_truth
from pipeline.text.report_set import line_split, one_line, read_report_folder
from tests.helpers import DATA
from tests.helpers.text import reference_bank

SETS = sorted(p.parent for p in (DATA / "eeg_reports").glob("*/labels.csv"))
LAYOUTS = {"multi-line", "one-line", "untitled", "monitoring"}


@pytest.fixture(scope="module")
def reports():
    return [read_report_folder(folder) for folder in SETS]


def _concepts(notes: pl.DataFrame, embedder) -> dict[str, set[str]]:
    run = run_labels(notes, reference_bank(), None, embedder, LabelParams(), progress=False)
    return {
        s: {REFERENCE_CONCEPTS[i] for i, bit in enumerate(bits) if bit}
        for s, bits in zip(run.labels["subject"], run.labels["labels"].to_list(), strict=True)
    }


def test_labels_files_follow_the_rules(reports):
    layouts = set()
    for report_set in reports:
        table = pl.read_csv(report_set.labels_path)
        assert table.columns == ["subject", "layout", *REFERENCE_CONCEPTS]
        assert set(np.unique(table.select(REFERENCE_CONCEPTS).to_numpy())) <= {0, 1}
        layouts |= set(table["layout"])
    assert layouts == LAYOUTS
    names = list(REFERENCE_CONCEPTS)
    truth = np.stack([v for r in reports for v in load_truth(r.labels_path, names).values()])
    assert len(truth) >= 30
    # Every concept is present in some reports and absent in others.
    assert (truth.sum(axis=0) >= 2).all() and ((1 - truth).sum(axis=0) >= 2).all()


@pytest.mark.parametrize("twin", [one_line, line_split], ids=["one-line", "line-split"])
def test_layout_twins_extract_the_same_concepts(reports, ref_embedder, twin):
    for report_set in reports:
        original = _concepts(report_set.notes, ref_embedder)
        twins = report_set.notes.with_columns(pl.col("text").map_elements(twin, pl.String))
        assert _concepts(twins, ref_embedder) == original


def test_no_report_is_left_unread(reports, ref_embedder):
    for report_set in reports:
        params = LabelParams()
        run = run_labels(report_set.notes, reference_bank(), None, ref_embedder, params, False)
        assert "nothing examined" not in run.issues["problem"].to_list()
        truth = load_truth(report_set.labels_path, list(REFERENCE_CONCEPTS))
        silent = [s for s in run.issues.filter(pl.col("problem") == "no finding")["subject"]
                  if truth[s].any()]  # fmt: skip
        assert not silent, f"reports with findings that gave none: {silent}"


def test_twin_helpers():
    text = "HISTORY: Spells.\nIMPRESSION: Normal.\n\nCLINICAL CORRELATION: None."
    assert one_line(text) == "HISTORY: Spells. IMPRESSION: Normal. CLINICAL CORRELATION: None."
    assert line_split(one_line(text)) == text.replace("\n\n", "\n")
