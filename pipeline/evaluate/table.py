"""Table 1 of the paper: macro metrics per method x detector, with intervals.

Every metric cell is the value on all held-out crops pooled over the folds
with its 95 % patient-bootstrap interval; the paper's mean +- std over folds
is kept for the ROC area. Beside the paper's rows: the reference rows of spec
section 11 (marked ``reference``) and chance; beside its columns, the negative
control's AUROC (``auroc_hfo``), which the macro columns leave out. The paired
comparisons of SzXAI with every other row are their own table
(:func:`comparisons_markdown`).
"""

from __future__ import annotations

import math

import polars as pl

from pipeline.evaluate.collect import CONTROL_COLUMN, interval_columns
from pipeline.metrics import TABLE_METRICS
from pipeline.registry import METHODS, REFERENCES

#: Order of the rows: the method, its ablations, the baselines, the reference
#: rows (spec section 11), then chance.
METHOD_ORDER: tuple[str, ...] = (*METHODS, *REFERENCES, "chance")
#: Columns of :func:`pipeline.evaluate.collect.pooled_intervals` joined onto the summary.
INTERVAL_COLUMNS: tuple[str, ...] = tuple(c for m in TABLE_METRICS for c in interval_columns(m))


def summarise_folds(per_fold: pl.DataFrame, intervals: pl.DataFrame | None = None) -> pl.DataFrame:
    """Mean and standard deviation over folds.

    A fold where a macro metric is undefined (NaN: e.g. precision of a method
    that predicted no concept at all) is left out of that metric's mean, the
    rule :mod:`pipeline.metrics` applies to concepts; ``<metric>_folds``
    counts the folds that remain, so the table can say so.

    Parameters
    ----------
    per_fold : polars.DataFrame
        One row per (detector, method, fold) with the columns of
        :data:`TABLE_METRICS` and, optionally, ``auroc_hfo``.
    intervals : polars.DataFrame, optional
        From :func:`pipeline.evaluate.collect.pooled_intervals`: joined on
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
    """Render the summary as a Markdown table.

    With the interval columns, each metric reads "pooled [95 % CI]" ("0.74
    [0.69, 0.79]") and the AUROC also "mean +- std" over folds; without them,
    every metric reads mean +- std over folds. A metric defined in only some
    folds says in how many; one defined in none reads ``n/a``. Reference rows
    read ``<name> (reference)``; with ``auroc_hfo``, the negative control's AUROC.
    """
    has_ci = "auroc_low" in summary.columns
    has_control = CONTROL_COLUMN in summary.columns
    titles = ["detector", "method"]
    if has_ci:
        titles += [f"{TITLES[m]} [95 % CI]" for m in TABLE_METRICS] + ["AUROC, folds"]
    else:
        titles += [TITLES[m] for m in TABLE_METRICS]
    titles += ["HFO AUROC (control)"] * has_control + ["folds"]
    lines = ["| " + " | ".join(titles) + " |", "| " + " | ".join(["---"] * len(titles)) + " |"]
    for row in summary.iter_rows(named=True):
        if has_ci:
            cells = [_interval_cell(row, m) for m in TABLE_METRICS] + [_cell(row, "auroc")]
        else:
            cells = [_cell(row, m) for m in TABLE_METRICS]
        if has_control:
            cells.append(_format_mean(row[CONTROL_COLUMN]))
        method = f"{row['method']} (reference)" if row.get("reference") else row["method"]
        lines.append(
            f"| {row['detector']} | {method} | " + " | ".join(cells) + f" | {row['n_folds']} |"
        )
    return "\n".join(lines) + "\n"


def heldout_markdown(summary: pl.DataFrame) -> str:
    """The held-out test block (:func:`pipeline.evaluate.heldout.heldout_summary`) as a
    Markdown table: pooled value [95 % CI] per metric, chance its value alone."""
    titles = ["detector", "method", *(f"{TITLES[m]} [95 % CI]" for m in TABLE_METRICS),
              "HFO AUROC (control)", "patients", "crops"]  # fmt: skip
    lines = ["| " + " | ".join(titles) + " |", "| " + " | ".join(["---"] * len(titles)) + " |"]
    for row in summary.iter_rows(named=True):
        cells = [_bracket(*(row[c] for c in interval_columns(m))) for m in TABLE_METRICS]
        cells += [_format_mean(row[CONTROL_COLUMN]), str(row["n_patients"]), str(row["n_crops"])]
        lines.append(f"| {row['detector']} | {row['method']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _interval_cell(row: dict, metric: str) -> str:
    point, low, high = (row.get(c) for c in interval_columns(metric))
    if _missing(point):
        return _cell(row, metric)  # chance: no pooled value, its mean over folds
    return _bracket(point, low, high)


def _bracket(point: float, low: float | None, high: float | None) -> str:
    """``0.740 [0.690, 0.790]``, or the value alone without an interval."""
    if _missing(low) or _missing(high):
        return f"{point:.3f}"
    return f"{point:.3f} [{low:.3f}, {high:.3f}]"


def comparisons_markdown(comparisons: pl.DataFrame, against: str) -> str:
    """The paired comparisons of ``against`` with every other row, as a Markdown table."""
    titles = ["detector", f"{against} minus", "Δ pooled AUROC [95 % CI]", "p (bootstrap)",
              "q (BH)", "Δ AUROC, fold mean", "p (Wilcoxon, folds)", "verdict"]  # fmt: skip
    lines = ["| " + " | ".join(titles) + " |", "| " + " | ".join(["---"] * len(titles)) + " |"]
    for row in comparisons.iter_rows(named=True):
        cells = [
            row["detector"], row["method"],
            _bracket(row["delta_pooled"], row["delta_low"], row["delta_high"]),
            _format_p(row["p_bootstrap"]), _format_p(row["q_bh"]),
            _format_mean(row["delta_folds"]), _format_p(row["p_wilcoxon"]), _verdict(row, against),
        ]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _verdict(row: dict, against: str) -> str:
    """Whether the patient-bootstrap interval excludes 0, in words."""
    low, high = row["delta_low"], row["delta_high"]
    if _missing(low) or _missing(high):
        return "n/a"
    if low > 0:
        return f"{against} higher"
    if high < 0:
        return f"{against} lower"
    return "within noise"


def _format_p(value: float | None) -> str:
    if _missing(value):
        return "n/a"
    return f"{value:.3f}" if value >= 0.001 else "< 0.001"


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
    """The headline metrics, ``{detector: {method: {metric: value}}}``, for ``dvc metrics``.

    Per row, each metric of Table 1 on the pooled held-out crops with its 95 %
    interval (``auroc``, ``auroc_low``, ``auroc_high``, ...), or, without the
    interval columns, its mean over folds; nothing else (no fold counts,
    controls or timings), so that ``dvc exp show`` stays readable. Chance is
    left out. A metric undefined everywhere becomes ``null`` (NaN is not JSON).
    """
    has_ci = "auroc_low" in summary.columns
    out: dict = {}
    for row in summary.filter(pl.col("method") != "chance").iter_rows(named=True):
        cells = {}
        for metric in TABLE_METRICS:
            if has_ci:
                point, low, high = interval_columns(metric)
                cells |= {metric: _json_number(row[point]), f"{metric}_low": _json_number(row[low]),
                          f"{metric}_high": _json_number(row[high])}  # fmt: skip
            else:
                cells[metric] = _json_number(row[f"{metric}_mean"])
        out.setdefault(row["detector"], {})[row["method"]] = cells
    return out


def _json_number(value: float | None) -> float | None:
    return None if _missing(value) else round(value, 4)
