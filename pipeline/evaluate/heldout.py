"""Table 1 of the held-out test cohort: the final heads, scored once.

The test cohort trained nothing and selected nothing (``heldout@<detector>``):
each detector's final SzXAI head predicted every labelled test crop once. The
block reports the same metrics as Table 1 on those crops, each with its 95 %
patient-bootstrap interval, the negative control's AUROC apart, and chance at
the cv cohort's concept prevalence (the prevalence the head was trained at).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from pipeline.config import TrainParams
from pipeline.evaluate.collect import (
    CONTROL_COLUMN,
    as_matrix,
    control_auroc,
    interval_columns,
    pooled_draws,
    pooled_intervals,
    pooled_rows,
)
from pipeline.metrics import TABLE_METRICS, chance_metrics
from pipeline.szxai.data import PREDICTIONS_FILE


def read_heldout(train: TrainParams, detectors: Sequence[str]) -> pl.DataFrame:
    """The test cohort's predictions of every detector: the columns of
    :func:`pipeline.evaluate.collect.read_predictions` without ``fold`` (empty without
    a test cohort)."""
    frames = [
        pl.read_parquet(train.heldout_dir(d) / PREDICTIONS_FILE).with_columns(
            pl.lit(d).alias("detector")
        )
        for d in detectors
    ]
    return pl.concat(frames).select("detector", "method", "crop_id", "subject", "probs", "labels")


def heldout_summary(
    heldout: pl.DataFrame,
    cv_predictions: pl.DataFrame,
    control: np.ndarray,
    threshold: float,
    seed: int,
    n_draws: int,
) -> pl.DataFrame:
    """One row per (detector, method) of the test cohort, and chance per detector.

    Parameters
    ----------
    heldout : polars.DataFrame
        From :func:`read_heldout` (not empty).
    cv_predictions : polars.DataFrame
        The folds' predictions (:func:`~pipeline.evaluate.collect.read_predictions`):
        their labels give the cv prevalence of the chance row.
    control : ndarray of bool, shape (N,)
        The negative-control concepts, scored apart.
    threshold, seed, n_draws
        As for Table 1.

    Returns
    -------
    polars.DataFrame
        ``detector``, ``method``, ``n_patients``, ``n_crops``, the interval
        columns of every metric (chance: the point value only) and ``auroc_hfo``.
    """
    control = np.asarray(control, bool)
    keep = ~control
    intervals = pooled_intervals(pooled_draws(heldout, control, threshold, seed, n_draws))
    groups = pooled_rows(heldout)
    rows = []
    for row in intervals.iter_rows(named=True):
        group = groups[(row["detector"], row["method"])]
        y, p = as_matrix(group["labels"]), as_matrix(group["probs"])
        rows.append({**row, "n_patients": group["subject"].n_unique(), "n_crops": group.height,
                     CONTROL_COLUMN: control_auroc(y, p, control)})  # fmt: skip
    for (detector,), group in heldout.group_by("detector", maintain_order=True):
        crops = group.unique("crop_id", keep="first", maintain_order=True)
        y = as_matrix(crops["labels"])
        cv = cv_predictions.filter(pl.col("detector") == detector)
        cv = cv.unique(["fold", "crop_id"], keep="first", maintain_order=True)
        prevalence = as_matrix(cv["labels"]).mean(axis=0)
        chance = chance_metrics(y[:, keep], prevalence[keep], seed=seed)
        row = {"detector": detector, "method": "chance", "n_patients": crops["subject"].n_unique(),
               "n_crops": crops.height, CONTROL_COLUMN: float("nan")}  # fmt: skip
        for metric in TABLE_METRICS:
            point, low, high = interval_columns(metric)
            row |= {point: chance[metric], low: None, high: None}
        rows.append(row)
    columns = ["detector", "method", "n_patients", "n_crops", *intervals.columns[2:],
               CONTROL_COLUMN]  # fmt: skip
    return pl.DataFrame(rows, schema_overrides={c: pl.Float64 for c in columns[4:]}).select(columns)
