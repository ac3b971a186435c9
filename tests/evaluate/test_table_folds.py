"""Table 1 aggregation over folds."""

import polars as pl
import pytest

from pipeline.evaluate.table import summarise_folds, to_markdown, to_metrics_json


def _per_fold() -> pl.DataFrame:
    rows = []
    for fold, (r, p, s, a) in enumerate([(0.8, 0.6, 0.9, 0.75), (0.6, 0.4, 0.7, 0.55)]):
        rows.append({"detector": "deepsoz", "method": "yan", "fold": fold,
                     "recall": r - 0.1, "precision": p, "specificity": s, "auroc": a})  # fmt: skip
        rows.append({"detector": "deepsoz", "method": "szxai", "fold": fold,
                     "recall": r, "precision": p, "specificity": s, "auroc": a})  # fmt: skip
    return pl.DataFrame(rows)


def test_mean_and_std_over_folds_in_method_order():
    summary = summarise_folds(_per_fold())
    assert summary["method"].to_list() == ["szxai", "yan"]
    first = summary.row(0, named=True)
    assert first["recall_mean"] == pytest.approx(0.7)
    assert first["recall_std"] == pytest.approx(0.1414, abs=1e-4)
    assert first["n_folds"] == 2


def test_markdown_and_metrics_json():
    summary = summarise_folds(_per_fold())
    text = to_markdown(summary)
    assert text.splitlines()[0].endswith("| specificity | AUROC | folds |")
    assert "| deepsoz | szxai | 0.700 ± 0.141 |" in text
    assert "| 0.800 ± 0.141 | 0.650 ± 0.141 | 2 |" in text  # specificity, AUROC, folds
    metrics = to_metrics_json(summary)
    assert metrics["deepsoz"]["yan"]["recall"] == pytest.approx(0.6)
    assert metrics["deepsoz"]["yan"]["auroc"] == pytest.approx(0.65)
