"""Table 1 of the paper: macro metrics per method x detector, mean +- std over folds."""

from __future__ import annotations

import math

import polars as pl

from pipeline.evaluate.metrics import TABLE_METRICS

#: Order of the rows: the method, its ablations, then the baselines, then chance.
METHOD_ORDER: tuple[str, ...] = (
    "szxai", "szxai-avg", "szxai-max", "szxai-nal", "szxai-bce", "szxai-bce-nal",
    "patricio", "yan", "chance",
)  # fmt: skip


def summarise_folds(per_fold: pl.DataFrame) -> pl.DataFrame:
    """Mean and standard deviation over folds.

    A fold where a macro metric is undefined (NaN: e.g. precision of a method
    that predicted no concept at all) is left out of that metric's mean, the
    rule :mod:`pipeline.evaluate.metrics` applies to concepts; ``<metric>_folds``
    counts the folds that remain, so the table can say so.

    Parameters
    ----------
    per_fold : polars.DataFrame
        One row per (detector, method, fold) with the columns of :data:`TABLE_METRICS`.

    Returns
    -------
    polars.DataFrame
        One row per (detector, method): ``n_folds``, then per metric
        ``<metric>_mean``, ``<metric>_std`` (sample std over folds; null when
        undefined) and ``<metric>_folds``. Detectors in their order in
        ``per_fold``, methods in :data:`METHOD_ORDER`.
    """
    aggregations = [pl.len().alias("n_folds")]
    for name in TABLE_METRICS:
        aggregations += [
            pl.col(name).mean().alias(f"{name}_mean"),
            pl.col(name).std().alias(f"{name}_std"),
            pl.col(name).count().alias(f"{name}_folds"),
        ]
    rank = {m: i for i, m in enumerate(METHOD_ORDER)}
    # Detectors keep the order they come in (DeepSOZ first, as in the paper).
    detector_rank = {d: i for i, d in enumerate(per_fold["detector"].unique(maintain_order=True))}
    return (
        per_fold.with_columns(pl.col(m).cast(pl.Float64).fill_nan(None) for m in TABLE_METRICS)
        .group_by("detector", "method")
        .agg(aggregations)
        .with_columns(
            pl.col("detector").replace_strict(detector_rank).alias("_detector_rank"),
            pl.col("method").replace_strict(rank, default=len(rank)).alias("_rank"),
        )
        .sort("_detector_rank", "_rank", "method")
        .drop("_detector_rank", "_rank")
    )


def to_markdown(summary: pl.DataFrame) -> str:
    """Render the summary as a Markdown table with ``mean +- std`` cells.

    A metric defined in only some folds says in how many; one defined in none
    reads ``n/a``.
    """
    titles = ["detector", "method", *(TITLES[m] for m in TABLE_METRICS), "folds"]
    lines = ["| " + " | ".join(titles) + " |", "| " + " | ".join(["---"] * len(titles)) + " |"]
    for row in summary.iter_rows(named=True):
        cells = [_cell(row, m) for m in TABLE_METRICS]
        lines.append(
            f"| {row['detector']} | {row['method']} | "
            + " | ".join(cells)
            + f" | {row['n_folds']} |"
        )
    return "\n".join(lines) + "\n"


#: Column titles of the Markdown table, per metric.
TITLES: dict[str, str] = {
    "recall": "recall", "precision": "precision", "specificity": "specificity", "auroc": "AUROC",
}  # fmt: skip
#: Short names of the Table 1 columns for one-line summaries.
ABBREVIATIONS: dict[str, str] = {
    "recall": "R", "precision": "P", "specificity": "S", "auroc": "AUROC",
}  # fmt: skip


def short_scores(row: dict) -> str:
    """``R 0.41 P 0.24 ...``: the mean of each Table 1 column of one summary row.

    A metric undefined in every fold (null or NaN mean) reads ``n/a``.
    """
    return " ".join(f"{ABBREVIATIONS[m]} {_format_mean(row[f'{m}_mean'])}" for m in TABLE_METRICS)


def _missing(value: float | None) -> bool:
    """A mean or std that is undefined: null (from polars) or NaN."""
    return value is None or math.isnan(value)


def _format_mean(value: float | None) -> str:
    return "n/a" if _missing(value) else f"{value:.3f}"


def _cell(row: dict, metric: str) -> str:
    mean, std = row[f"{metric}_mean"], row[f"{metric}_std"]
    n = row.get(f"{metric}_folds", row["n_folds"])
    if _missing(mean):
        return "n/a"
    # No spread from a single fold: show the value alone rather than a fake ± 0.
    text = _format_mean(mean) if _missing(std) else f"{mean:.3f} ± {std:.3f}"
    return text if n == row["n_folds"] else f"{text} ({n}/{row['n_folds']} folds)"


def to_metrics_json(summary: pl.DataFrame) -> dict:
    """Nested ``{detector: {method: {metric: mean}}}`` for ``dvc metrics show``.

    A metric undefined in every fold becomes ``null`` (NaN is not JSON).
    """
    out: dict = {}
    for row in summary.iter_rows(named=True):
        out.setdefault(row["detector"], {})[row["method"]] = {
            m: _json_number(row[f"{m}_mean"]) for m in TABLE_METRICS
        }
    return out


def _json_number(value: float | None) -> float | None:
    return None if _missing(value) else round(value, 4)
