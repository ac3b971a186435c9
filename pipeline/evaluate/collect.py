"""Gather the per-fold training outputs and score them (Table 1 rows, chance level).

Every cv crop is held out in exactly one fold, so the training crops of fold k
are the held-out crops of all other folds: the chance level uses their concept
prevalence, as the methods' weighted BCE does.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq
from sklearn.metrics import roc_auc_score, roc_curve

from pipeline.evaluate.metrics import (
    chance_metrics,
    macro_auroc,
    macro_metrics,
    per_concept_metrics,
)


def fold_dir(train_dir: Path, detector: str, fold: int) -> Path:
    """Where ``train@<detector>-<fold>`` writes its outputs."""
    return Path(train_dir) / detector / f"fold{fold}"


def read_predictions(train_dir: Path, detectors: Sequence[str], n_folds: int) -> pl.DataFrame:
    """All held-out predictions: one row per (detector, fold, method, crop).

    Returns
    -------
    polars.DataFrame
        Columns ``detector``, ``fold``, ``method``, ``crop_id``, ``subject``,
        ``probs`` (list of n_concepts float) and ``labels`` (list of int).
    """
    frames = []
    for detector in detectors:
        for fold in range(n_folds):
            path = fold_dir(train_dir, detector, fold) / "predictions.parquet"
            frame = pl.read_parquet(
                path, columns=["method", "crop_id", "subject", "probs", "labels"]
            )
            frames.append(
                frame.with_columns(
                    pl.lit(detector).alias("detector"), pl.lit(fold, pl.Int64).alias("fold")
                )
            )
    return pl.concat(frames).select(
        "detector", "fold", "method", "crop_id", "subject", "probs", "labels"
    )


def as_matrix(column: pl.Series) -> np.ndarray:
    """A fixed-size list column as a 2-D array, shape (n_rows, list size); (0, 0) when empty."""
    return np.stack(column.to_list()) if len(column) else np.zeros((0, 0))


def fold_scores(predictions: pl.DataFrame, threshold: float, seed: int) -> pl.DataFrame:
    """Macro recall, precision, specificity, ROC area per (detector, method, fold), plus chance.

    Parameters
    ----------
    predictions : polars.DataFrame
        As returned by :func:`read_predictions`.
    threshold : float
        Probability above which a concept counts as predicted.
    seed : int
        Seed of the chance-level draws.

    Returns
    -------
    polars.DataFrame
        Columns ``detector``, ``method``, ``fold``, then
        :data:`~pipeline.evaluate.metrics.TABLE_METRICS`; method ``chance``
        holds the empirical chance level.
    """
    rows = []
    for (detector, fold, method), group in predictions.group_by(
        "detector", "fold", "method", maintain_order=True
    ):
        y_true, probs = as_matrix(group["labels"]), as_matrix(group["probs"])
        rows.append({"detector": detector, "method": method, "fold": fold,
                     **macro_metrics(y_true, probs >= threshold),
                     "auroc": macro_auroc(y_true, probs)})  # fmt: skip
    for (detector,), per_detector in predictions.group_by("detector", maintain_order=True):
        # Labels are per crop and identical across methods: one row per crop is enough.
        crops = per_detector.unique(["fold", "crop_id"], keep="first", maintain_order=True)
        for fold in crops["fold"].unique(maintain_order=True):
            held_out = as_matrix(crops.filter(pl.col("fold") == fold)["labels"])
            training = as_matrix(crops.filter(pl.col("fold") != fold)["labels"])
            chance = chance_metrics(held_out, training.mean(axis=0), seed=seed + fold)
            rows.append({"detector": detector, "method": "chance", "fold": fold, **chance})
    return pl.DataFrame(rows)


def concept_scores(
    predictions: pl.DataFrame, method: str, threshold: float
) -> dict[str, dict[str, np.ndarray]]:
    """Per-concept metrics over all held-out crops of one method, per detector."""
    out = {}
    for (detector,), group in predictions.filter(pl.col("method") == method).group_by(
        "detector", maintain_order=True
    ):
        y_true = as_matrix(group["labels"])
        out[detector] = per_concept_metrics(y_true, as_matrix(group["probs"]) >= threshold)
    return out


def detector_roc(latents_path: Path) -> tuple[np.ndarray, np.ndarray, float]:
    """Window-level ROC of a frozen detector from its latents file (padding excluded).

    Returns
    -------
    fpr, tpr : ndarray
    auroc : float
    """
    table = pq.read_table(latents_path, columns=["label", "is_pad", "p_sz"])
    frame = pl.from_arrow(table).filter(~pl.col("is_pad"))
    labels = frame["label"].to_numpy()
    scores = frame["p_sz"].to_numpy()
    fpr, tpr, _ = roc_curve(labels, scores)
    return fpr, tpr, float(roc_auc_score(labels, scores))
