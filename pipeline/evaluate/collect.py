"""Gather the per-fold training outputs and score them (Table 1 rows, chance level).

Every cv crop is held out in exactly one fold, so the training crops of fold k
are the held-out crops of all other folds: the chance level uses their concept
prevalence, as the methods' weighted BCE does.

The negative-control concepts (:data:`pipeline.registry.CONTROL_CONCEPTS`)
are left out of every macro average and scored apart (``auroc_hfo``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq
from scipy.stats import false_discovery_control, wilcoxon
from sklearn.metrics import roc_curve

from pipeline.config import TrainParams
from pipeline.metrics import (
    TABLE_METRICS,
    binary_auroc,
    bootstrap_macro_scores,
    chance_metrics,
    macro_auroc,
    macro_metrics,
    paired_bootstrap,
    per_concept_auroc,
    per_concept_metrics,
    percentile_interval,
)
from pipeline.registry import is_control_concept
from pipeline.szxai.data import PREDICTIONS_FILE

#: Column of the negative control's ROC area (the mean over control concepts, if several).
CONTROL_COLUMN = "auroc_hfo"


def control_mask(names: Sequence[str]) -> np.ndarray:
    """True for the negative-control concepts among ``names``, shape (N,)."""
    return np.array([is_control_concept(n) for n in names], dtype=bool)


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
            path = TrainParams.fold_path(train_dir, detector, fold) / PREDICTIONS_FILE
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


#: Training-curve quantities of a fold's ``metrics.json`` history, by plots folder.
CURVES: dict[str, str] = {"training": "cp", "validation": "val_auroc"}


def training_curves(train_dir: Path, detector: str, fold: int) -> dict[str, pl.DataFrame]:
    """A fold's training curves, one wide frame per quantity of :data:`CURVES`.

    Returns
    -------
    dict of str -> polars.DataFrame
        By folder name (``training``: each method's L_CP on the training crops
        per epoch; ``validation``: its inner-validation macro AUROC, only when
        the fold had a validation split): ``epoch``, then one column per
        method, null after a method stopped early.
    """
    record = json.loads(
        (TrainParams.fold_path(train_dir, detector, fold) / "metrics.json").read_text()
    )
    curves = {}
    for folder, key in CURVES.items():
        columns = {
            method: [row[key] for row in entry["history"]]
            for method, entry in record["methods"].items()
        }
        if not columns or all(v is None or np.isnan(v) for c in columns.values() for v in c):
            continue
        n_epochs = max(len(c) for c in columns.values())
        frame = {"epoch": list(range(1, n_epochs + 1))}
        frame |= {m: c + [None] * (n_epochs - len(c)) for m, c in columns.items()}
        curves[folder] = pl.DataFrame(frame).fill_nan(None)
    return curves


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
        :data:`~pipeline.metrics.TABLE_METRICS` and ``auroc_hfo``
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
                     CONTROL_COLUMN: control_auroc(y_true, probs, control)})  # fmt: skip
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


def control_auroc(y_true: np.ndarray, probs: np.ndarray, control: np.ndarray) -> float:
    """Macro ROC area over the negative-control concepts (``control``: bool mask); NaN
    without any."""
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


def pooled_draws(
    predictions: pl.DataFrame,
    control: np.ndarray | None,
    threshold: float,
    seed: int,
    n_draws: int,
) -> dict[tuple[str, str], dict[str, np.ndarray]]:
    """Every row's pooled Table 1 metrics, as they are and under one patient bootstrap.

    All held-out crops of a (detector, method), pooled over the folds (each cv
    crop once), scored over the non-control concepts
    (:func:`pipeline.metrics.bootstrap_macro_scores`); every row of a
    detector is scored on the same patients, so gets the same draws.

    Returns
    -------
    dict of (detector, method) -> dict of metric -> ndarray, shape (n_draws + 1,)
    """
    include = None if control is None else ~np.asarray(control, bool)
    return {
        key: bootstrap_macro_scores(
            as_matrix(group["labels"]),
            as_matrix(group["probs"]),
            group["subject"].to_numpy(),
            threshold,
            include,
            n_draws,
            seed,
        )  # fmt: skip
        for key, group in pooled_rows(predictions).items()
    }


def interval_columns(metric: str) -> tuple[str, str, str]:
    """The pooled value and interval bounds of ``metric`` in the tables."""
    return f"{metric}_pooled", f"{metric}_low", f"{metric}_high"


def pooled_intervals(
    draws: dict[tuple[str, str], dict[str, np.ndarray]], level: float = 0.95
) -> pl.DataFrame:
    """Per row, each metric's pooled value and its percentile interval over the draws.

    Returns
    -------
    polars.DataFrame
        ``detector``, ``method``, then per metric of :data:`TABLE_METRICS` the
        columns of :func:`interval_columns`.
    """
    rows = []
    for (detector, method), by_metric in draws.items():
        row = {"detector": detector, "method": method}
        for metric in TABLE_METRICS:
            point, low, high = interval_columns(metric)
            values = by_metric[metric]
            row[point] = float(values[0])
            row[low], row[high] = percentile_interval(values[1:], level)
        rows.append(row)
    schema = {"detector": pl.String, "method": pl.String}
    schema |= {c: pl.Float64 for m in TABLE_METRICS for c in interval_columns(m)}
    return pl.DataFrame(rows, schema=schema)


def paired_comparisons(
    draws: dict[tuple[str, str], dict[str, np.ndarray]],
    per_fold: pl.DataFrame,
    against: str,
    level: float = 0.95,
) -> pl.DataFrame:
    """``against`` (SzXAI) minus every other row of its detector, in macro ROC area.

    Two paired views of the same difference: over patients (the pooled AUROC,
    bootstrap draws shared by both rows: interval and p-value of
    :func:`pipeline.metrics.paired_bootstrap`) and over folds (the
    fold-mean AUROC, Wilcoxon signed-rank test of the per-fold differences,
    exact for these few folds). ``q_bh`` adjusts the bootstrap p-values of a
    detector for the number of its comparisons (Benjamini-Hochberg).

    Parameters
    ----------
    draws : from :func:`pooled_draws`
    per_fold : polars.DataFrame
        From :func:`fold_scores` (``auroc`` per detector, method and fold).
    against : str
        The row compared with all others (absent: no comparisons).
    level : float

    Returns
    -------
    polars.DataFrame
        ``detector``, ``method``, ``delta_pooled``, ``delta_low``,
        ``delta_high``, ``p_bootstrap``, ``q_bh``, ``delta_folds``,
        ``p_wilcoxon``, ``n_folds``.
    """
    rows = []
    for (detector, method), by_metric in draws.items():
        if method == against or (detector, against) not in draws:
            continue
        delta, low, high, p = paired_bootstrap(draws[detector, against]["auroc"],
                                               by_metric["auroc"], level)  # fmt: skip
        folds = _paired_folds(per_fold, detector, against, method)
        rows.append({"detector": detector, "method": method, "delta_pooled": delta,
                     "delta_low": low, "delta_high": high, "p_bootstrap": p,
                     "delta_folds": float(folds.mean()) if folds.size else float("nan"),
                     "p_wilcoxon": _wilcoxon(folds), "n_folds": int(folds.size)})  # fmt: skip
    schema = {"detector": pl.String, "method": pl.String, "delta_pooled": pl.Float64,
              "delta_low": pl.Float64, "delta_high": pl.Float64, "p_bootstrap": pl.Float64,
              "delta_folds": pl.Float64, "p_wilcoxon": pl.Float64, "n_folds": pl.Int64}  # fmt: skip
    table = pl.DataFrame(rows, schema=schema)
    q = [
        _benjamini_hochberg(group["p_bootstrap"].to_numpy())
        for _, group in table.group_by("detector", maintain_order=True)
    ]
    q_values = np.concatenate(q) if q else np.array([], float)
    return table.insert_column(6, pl.Series("q_bh", q_values, dtype=pl.Float64))


def run_differences(
    base: pl.DataFrame,
    other: pl.DataFrame,
    control: np.ndarray | None,
    seed: int,
    n_draws: int,
    level: float = 0.95,
) -> pl.DataFrame:
    """Every row of one run minus the same row of another, scored on the same crops.

    For two trainings of the same cv crops that differ in a setting (epochs,
    a loss weight, a ``dvc exp``): each (detector, method) of ``other`` minus
    that of ``base`` in pooled macro ROC area, paired over patients (both runs
    get the same bootstrap draws, :func:`pooled_draws`), so that the interval
    says whether the setting moved the row beyond noise.

    Parameters
    ----------
    base, other : polars.DataFrame
        Held-out predictions of the two runs (:func:`read_predictions`).
    control : ndarray of bool, shape (N,), optional
        Concepts left out of the macro average.
    seed, n_draws : int
        Of the patient bootstrap.
    level : float

    Returns
    -------
    polars.DataFrame
        ``detector``, ``method``, ``auroc_base``, ``auroc_other``, ``delta``,
        ``delta_low``, ``delta_high``, ``p_bootstrap``; rows present in both runs.

    Raises
    ------
    ValueError
        If a row's crops or labels differ between the runs (not the same data).
    """
    runs = [frame.sort("detector", "method", "crop_id") for frame in (base, other)]
    draws = [pooled_draws(frame, control, 0.5, seed, n_draws) for frame in runs]
    rows_of = [pooled_rows(frame) for frame in runs]
    rows = []
    for key in (k for k in draws[0] if k in draws[1]):
        first, second = (r[key] for r in rows_of)
        if not (first["crop_id"].equals(second["crop_id"])
                and first["labels"].equals(second["labels"])):  # fmt: skip
            raise ValueError(f"{key[0]} {key[1]}: the two runs scored different crops or labels")
        delta, low, high, p = paired_bootstrap(draws[1][key]["auroc"], draws[0][key]["auroc"],
                                               level)  # fmt: skip
        rows.append({"detector": key[0], "method": key[1],
                     "auroc_base": float(draws[0][key]["auroc"][0]),
                     "auroc_other": float(draws[1][key]["auroc"][0]), "delta": delta,
                     "delta_low": low, "delta_high": high, "p_bootstrap": p})  # fmt: skip
    schema = {"detector": pl.String, "method": pl.String}
    schema |= dict.fromkeys(
        ("auroc_base", "auroc_other", "delta", "delta_low", "delta_high", "p_bootstrap"),
        pl.Float64,
    )
    return pl.DataFrame(rows, schema=schema)


def _paired_folds(per_fold: pl.DataFrame, detector: str, first: str, second: str) -> np.ndarray:
    """Per-fold AUROC of ``first`` minus ``second``, over the folds where both are defined."""
    rows = per_fold.filter((pl.col("detector") == detector)
                           & pl.col("method").is_in([first, second]))  # fmt: skip
    wide = rows.pivot(on="method", index="fold", values="auroc").drop_nans().drop_nulls()
    return (wide[first] - wide[second]).to_numpy() if wide.height else np.array([], float)


def _wilcoxon(differences: np.ndarray) -> float:
    if differences.size < 2 or not np.any(differences):
        return float("nan")
    return float(wilcoxon(differences).pvalue)


def _benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    finite = ~np.isnan(p_values)
    out = np.full(len(p_values), np.nan)
    if finite.any():
        out[finite] = false_discovery_control(p_values[finite])
    return out


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
        out[detector]["positives"] = y_true.sum(axis=0).astype(int)
        out[detector]["prevalence"] = y_true.mean(axis=0)
        out[detector]["n_crops"] = np.array(len(y_true))
    return out


def detector_roc(latents_path: Path) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Window-level ROC of a frozen detector from its latents file (padding excluded).

    Returns
    -------
    fpr, tpr : ndarray
    auroc : float
    n_windows : int
        Windows scored.
    """
    table = pq.read_table(latents_path, columns=["label", "is_pad", "p_sz"])
    frame = pl.from_arrow(table).filter(~pl.col("is_pad"))
    labels = frame["label"].to_numpy()
    scores = frame["p_sz"].to_numpy()
    fpr, tpr, _ = roc_curve(labels, scores)
    return fpr, tpr, binary_auroc(labels, scores), len(labels)
