"""Table 1 when a macro metric is undefined in some folds (NaN precision)."""

import polars as pl
import pytest

from pipeline.evaluate.table import short_scores, summarise_folds, to_markdown, to_metrics_json


def _per_fold() -> pl.DataFrame:
    rows = []
    for fold, (r, p, s) in enumerate([(0.8, 0.6, 0.9), (0.6, 0.4, 0.7)]):
        for method in ("szxai", "yan"):
            rows.append({"detector": "deepsoz", "method": method, "fold": fold,
                         "recall": r, "precision": p, "specificity": s,
                         "auroc": 0.5 + r / 4})  # fmt: skip
    return pl.DataFrame(rows)


def test_folds_where_a_metric_is_undefined_are_left_out_and_counted():
    per_fold = _per_fold().with_columns(
        pl.when((pl.col("method") == "yan") & (pl.col("fold") == 1))
        .then(float("nan"))
        .otherwise(pl.col("precision"))
        .alias("precision"),
        pl.when(pl.col("method") == "yan").then(float("nan")).otherwise(pl.col("specificity"))
        .alias("specificity"),
    )  # fmt: skip
    summary = summarise_folds(per_fold)
    yan = summary.filter(pl.col("method") == "yan").row(0, named=True)
    assert yan["precision_mean"] == pytest.approx(0.6) and yan["precision_folds"] == 1
    assert "| 0.600 (1/2 folds) | n/a | 0.675 ± 0.035 | 2 |" in to_markdown(summary)
    assert to_metrics_json(summary)["deepsoz"]["yan"]["specificity"] is None
    # The stage's one-line summary says n/a too (it used to crash formatting None).
    assert short_scores(yan) == "R 0.700 P 0.600 S n/a AUROC 0.675"


def test_rows_keep_detector_order_and_method_order():
    per_fold = pl.concat(
        [_per_fold().with_columns(pl.lit(d).alias("detector")) for d in ("deepsoz", "cnnblstm")]
    )  # deepsoz first: not the alphabetical order
    summary = summarise_folds(per_fold)
    assert summary.select("detector", "method").rows() == [
        ("deepsoz", "szxai"), ("deepsoz", "yan"), ("cnnblstm", "szxai"), ("cnnblstm", "yan"),
    ]  # fmt: skip
