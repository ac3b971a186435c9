"""Table 1 of the paper: macro metrics per method x detector, mean +- std over folds.

Beside the paper's columns: the reference rows of spec section 11 (marked
``reference``), the pooled macro AUROC with its patient-bootstrap interval,
and the negative control's AUROC (``auroc_hfo``), which the macro columns
leave out.
"""

from __future__ import annotations

import math

import polars as pl

from pipeline.config import REFERENCES
from pipeline.evaluate.collect import CONTROL_COLUMN
from pipeline.evaluate.metrics import TABLE_METRICS

#: Order of the rows: the method, its ablations, the baselines, the reference
#: rows (spec section 11), then chance.
METHOD_ORDER: tuple[str, ...] = (
    "szxai", "szxai-avg", "szxai-max", "szxai-nal", "szxai-bce", "szxai-bce-nal",
    "patricio", "yan", *REFERENCES, "chance",
)  # fmt: skip
#: Columns of :func:`pipeline.evaluate.collect.auroc_intervals` joined onto the summary.
INTERVAL_COLUMNS: tuple[str, ...] = ("auroc_pooled", "auroc_ci_low", "auroc_ci_high")


def summarise_folds(per_fold: pl.DataFrame, intervals: pl.DataFrame | None = None) -> pl.DataFrame:
    """Mean and standard deviation over folds.

    A fold where a macro metric is undefined (NaN: e.g. precision of a method
    that predicted no concept at all) is left out of that metric's mean, the
    rule :mod:`pipeline.evaluate.metrics` applies to concepts; ``<metric>_folds``
    counts the folds that remain, so the table can say so.

    Parameters
    ----------
    per_fold : polars.DataFrame
        One row per (detector, method, fold) with the columns of
        :data:`TABLE_METRICS` and, optionally, ``auroc_hfo``.
    intervals : polars.DataFrame, optional
        From :func:`pipeline.evaluate.collect.auroc_intervals`: joined on
        (detector, method); rows without one (chance) get nulls.

    Returns
    -------
    polars.DataFrame
        One row per (detector, method): ``reference`` (True for the reference
        rows), ``n_folds``, then per metric ``<metric>_mean``, ``<metric>_std``
        (sample std over folds; null when undefined) and ``<metric>_folds``;
        then the interval columns and ``auroc_hfo`` (mean over folds) when
        given. Detectors in their order in ``per_fold``, methods in
        :data:`METHOD_ORDER`.
    """
    aggregations = [pl.len().alias("n_folds")]
    for name in TABLE_METRICS:
        aggregations += [
            pl.col(name).mean().alias(f"{name}_mean"),
            pl.col(name).std().alias(f"{name}_std"),
            pl.col(name).count().alias(f"{name}_folds"),
        ]
    has_control = CONTROL_COLUMN in per_fold.columns
    if has_control:
        aggregations.append(pl.col(CONTROL_COLUMN).mean())
    metrics = [*TABLE_METRICS, *([CONTROL_COLUMN] if has_control else [])]
    rank = {m: i for i, m in enumerate(METHOD_ORDER)}
    # Detectors keep the order they come in (DeepSOZ first, as in the paper).
    detector_rank = {d: i for i, d in enumerate(per_fold["detector"].unique(maintain_order=True))}
    summary = (
        per_fold.with_columns(pl.col(m).cast(pl.Float64).fill_nan(None) for m in metrics)
        .group_by("detector", "method")
        .agg(aggregations)
        .with_columns(
            pl.col("detector").replace_strict(detector_rank).alias("_detector_rank"),
            pl.col("method").replace_strict(rank, default=len(rank)).alias("_rank"),
            pl.col("method").is_in(list(REFERENCES)).alias("reference"),
        )
        .sort("_detector_rank", "_rank", "method")
        .drop("_detector_rank", "_rank")
    )
    if intervals is not None:
        summary = summary.join(intervals, on=["detector", "method"], how="left")
    first = ["detector", "method", "reference", "n_folds"]
    last = [c for c in (*INTERVAL_COLUMNS, CONTROL_COLUMN) if c in summary.columns]
    middle = [c for c in summary.columns if c not in first and c not in last]
    return summary.select(*first, *middle, *last)


def to_markdown(summary: pl.DataFrame) -> str:
    """Render the summary as a Markdown table with ``mean +- std`` cells.

    A metric defined in only some folds says in how many; one defined in none
    reads ``n/a``. Reference rows read ``<name> (reference)``. With the
    interval columns, a ``pooled AUROC [95 % CI]`` column ("0.74 [0.69, 0.79]");
    with ``auroc_hfo``, the negative control's AUROC.
    """
    has_ci = "auroc_ci_low" in summary.columns
    has_control = CONTROL_COLUMN in summary.columns
    titles = ["detector", "method", *(TITLES[m] for m in TABLE_METRICS)]
    titles += ["pooled AUROC [95 % CI]"] * has_ci + ["HFO AUROC (control)"] * has_control
    titles.append("folds")
    lines = ["| " + " | ".join(titles) + " |", "| " + " | ".join(["---"] * len(titles)) + " |"]
    for row in summary.iter_rows(named=True):
        cells = [_cell(row, m) for m in TABLE_METRICS]
        if has_ci:
            cells.append(_interval_cell(row))
        if has_control:
            cells.append(_format_mean(row[CONTROL_COLUMN]))
        method = f"{row['method']} (reference)" if row.get("reference") else row["method"]
        lines.append(
            f"| {row['detector']} | {method} | " + " | ".join(cells) + f" | {row['n_folds']} |"
        )
    return "\n".join(lines) + "\n"


def _interval_cell(row: dict) -> str:
    point, low, high = (row.get(c) for c in INTERVAL_COLUMNS)
    if _missing(point):
        return "n/a"
    if _missing(low) or _missing(high):
        return f"{point:.3f}"
    return f"{point:.3f} [{low:.3f}, {high:.3f}]"


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

    Reference rows are methods like the others (their names say what they
    are); the interval columns and ``auroc_hfo`` are added when present. A
    metric undefined in every fold becomes ``null`` (NaN is not JSON).
    """
    extra = [c for c in (*INTERVAL_COLUMNS, CONTROL_COLUMN) if c in summary.columns]
    out: dict = {}
    for row in summary.iter_rows(named=True):
        out.setdefault(row["detector"], {})[row["method"]] = {
            **{m: _json_number(row[f"{m}_mean"]) for m in TABLE_METRICS},
            **{c: _json_number(row[c]) for c in extra},
        }
    return out


def _json_number(value: float | None) -> float | None:
    return None if _missing(value) else round(value, 4)
