"""Gather the per-fold training outputs and score them (Table 1 rows, chance level).

Every cv crop is held out in exactly one fold, so the training crops of fold k
are the held-out crops of all other folds: the chance level uses their concept
prevalence, as the methods' weighted BCE does.

The negative-control concepts (:data:`pipeline.concepts.CONTROL_CONCEPTS`)
are left out of every macro average and scored apart (``auroc_hfo``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq
from sklearn.metrics import roc_auc_score, roc_curve

from pipeline.concepts import is_control_concept
from pipeline.evaluate.metrics import (
    bootstrap_macro_auroc,
    chance_metrics,
    macro_auroc,
    macro_metrics,
    per_concept_auroc,
    per_concept_metrics,
)

#: Column of the negative control's ROC area (the mean over control concepts, if several).
CONTROL_COLUMN = "auroc_hfo"


def control_mask(names: Sequence[str]) -> np.ndarray:
    """True for the negative-control concepts among ``names``, shape (N,)."""
    return np.array([is_control_concept(n) for n in names], dtype=bool)


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


def fold_scores(
    predictions: pl.DataFrame, threshold: float, seed: int, control: np.ndarray | None = None
) -> pl.DataFrame:
    """Macro recall, precision, specificity, ROC area per (detector, method, fold), plus chance.

    Parameters
    ----------
    predictions : polars.DataFrame
        As returned by :func:`read_predictions`.
    threshold : float
        Probability above which a concept counts as predicted.
    seed : int
        Seed of the chance-level draws.
    control : ndarray of bool, shape (N,), optional
        Negative-control concepts (:func:`control_mask`): left out of the macro
        averages, their ROC area reported as :data:`CONTROL_COLUMN`. Default none.

    Returns
    -------
    polars.DataFrame
        Columns ``detector``, ``method``, ``fold``, then
        :data:`~pipeline.evaluate.metrics.TABLE_METRICS` and ``auroc_hfo``
        (NaN where undefined or without control concepts); method ``chance``
        holds the empirical chance level.
    """
    n_concepts = len(predictions["labels"][0]) if predictions.height else 0
    control = np.zeros(n_concepts, bool) if control is None else np.asarray(control, bool)
    keep = ~control
    rows = []
    for (detector, fold, method), group in predictions.group_by(
        "detector", "fold", "method", maintain_order=True
    ):
        y_true, probs = as_matrix(group["labels"]), as_matrix(group["probs"])
        rows.append({"detector": detector, "method": method, "fold": fold,
                     **macro_metrics(y_true[:, keep], probs[:, keep] >= threshold),
                     "auroc": macro_auroc(y_true[:, keep], probs[:, keep]),
                     CONTROL_COLUMN: _control_auroc(y_true, probs, control)})  # fmt: skip
    for (detector,), per_detector in predictions.group_by("detector", maintain_order=True):
        # Labels are per crop and identical across methods: one row per crop is enough.
        crops = per_detector.unique(["fold", "crop_id"], keep="first", maintain_order=True)
        for fold in crops["fold"].unique(maintain_order=True):
            held_out = as_matrix(crops.filter(pl.col("fold") == fold)["labels"])
            training = as_matrix(crops.filter(pl.col("fold") != fold)["labels"])
            prevalence = training.mean(axis=0)
            chance = chance_metrics(held_out[:, keep], prevalence[keep], seed=seed + fold)
            hfo = (
                chance_metrics(held_out[:, control], prevalence[control], seed=seed + fold)["auroc"]
                if control.any()
                else float("nan")
            )
            rows.append({"detector": detector, "method": "chance", "fold": fold, **chance,
                         CONTROL_COLUMN: hfo})  # fmt: skip
    return pl.DataFrame(rows)


def _control_auroc(y_true: np.ndarray, probs: np.ndarray, control: np.ndarray) -> float:
    if not control.any():
        return float("nan")
    return macro_auroc(y_true[:, control], probs[:, control])


def pooled_rows(predictions: pl.DataFrame) -> dict[tuple[str, str], pl.DataFrame]:
    """Every held-out crop of each (detector, method), pooled over the folds."""
    return {
        (detector, method): group
        for (detector, method), group in predictions.group_by(
            "detector", "method", maintain_order=True
        )
    }


def auroc_intervals(
    predictions: pl.DataFrame,
    control: np.ndarray | None,
    seed: int,
    n_draws: int,
    level: float = 0.95,
) -> pl.DataFrame:
    """Pooled macro ROC area of every row and its patient-bootstrap interval.

    All held-out crops of a (detector, method), pooled over the folds (each cv
    crop once), scored by the macro area over the non-control concepts; the
    interval is the percentile bootstrap over patients
    (:func:`pipeline.evaluate.metrics.bootstrap_macro_auroc`), with the same
    draws for every row.

    Returns
    -------
    polars.DataFrame
        ``detector``, ``method``, ``auroc_pooled``, ``auroc_ci_low``, ``auroc_ci_high``.
    """
    rows = []
    for (detector, method), group in pooled_rows(predictions).items():
        y_true, probs = as_matrix(group["labels"]), as_matrix(group["probs"])
        include = None if control is None else ~np.asarray(control, bool)
        point, low, high = bootstrap_macro_auroc(
            y_true, probs, group["subject"].to_numpy(), include, n_draws, seed, level
        )
        rows.append({"detector": detector, "method": method, "auroc_pooled": point,
                     "auroc_ci_low": low, "auroc_ci_high": high})  # fmt: skip
    return pl.DataFrame(
        rows,
        schema={"detector": pl.String, "method": pl.String, "auroc_pooled": pl.Float64,
                "auroc_ci_low": pl.Float64, "auroc_ci_high": pl.Float64},
    )  # fmt: skip


def concept_aurocs(
    predictions: pl.DataFrame, concepts: pl.DataFrame, control: np.ndarray | None = None
) -> pl.DataFrame:
    """Per-concept ROC area of every (detector, method): mean over folds and pooled.

    Parameters
    ----------
    predictions : polars.DataFrame
        As returned by :func:`read_predictions`.
    concepts : polars.DataFrame
        ``name`` and ``side`` in bank order.
    control : ndarray of bool, shape (N,), optional

    Returns
    -------
    polars.DataFrame
        One row per (detector, method, concept): ``detector``, ``method``,
        ``concept``, ``side``, ``control``, ``auroc_mean`` (mean over the
        folds where the concept has both classes), ``auroc_folds`` (how many),
        ``auroc_pooled`` (over all held-out crops pooled across folds).
    """
    names, sides = concepts["name"].to_list(), concepts["side"].to_list()
    control = np.zeros(len(names), bool) if control is None else np.asarray(control, bool)
    rows = []
    for (detector, method), group in pooled_rows(predictions).items():
        per_fold = np.stack([
            per_concept_auroc(as_matrix(g["labels"]), as_matrix(g["probs"]))
            for _, g in group.group_by("fold", maintain_order=True)
        ])  # fmt: skip
        pooled = per_concept_auroc(as_matrix(group["labels"]), as_matrix(group["probs"]))
        defined = ~np.isnan(per_fold)
        counts = defined.sum(axis=0)
        mean = np.full(len(names), np.nan)
        np.divide(np.where(defined, per_fold, 0).sum(axis=0), counts, out=mean, where=counts > 0)
        for n, name in enumerate(names):
            rows.append({"detector": detector, "method": method, "concept": name,
                         "side": sides[n], "control": bool(control[n]),
                         "auroc_mean": float(mean[n]), "auroc_folds": int(counts[n]),
                         "auroc_pooled": float(pooled[n])})  # fmt: skip
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
