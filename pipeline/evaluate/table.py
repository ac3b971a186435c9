"""Table 1 of the paper: macro metrics per method x detector, mean +- std over folds."""

from __future__ import annotations

import polars as pl

from pipeline.evaluate.metrics import METRICS

#: Order of the rows: the method, its ablations, then the baselines, then chance.
METHOD_ORDER: tuple[str, ...] = (
    "szxai", "szxai-avg", "szxai-max", "szxai-nal", "szxai-bce", "szxai-bce-nal",
    "patricio", "yan", "chance",
)  # fmt: skip


def summarise_folds(per_fold: pl.DataFrame) -> pl.DataFrame:
    """Mean and standard deviation over folds.

    Parameters
    ----------
    per_fold : polars.DataFrame
        One row per (detector, method, fold) with the columns of :data:`METRICS`.

    Returns
    -------
    polars.DataFrame
        One row per (detector, method): ``n_folds`` and ``<metric>_mean`` /
        ``<metric>_std`` (sample std over folds), in :data:`METHOD_ORDER`.
    """
    aggregations = [pl.len().alias("n_folds")]
    for name in METRICS:
        aggregations += [
            pl.col(name).mean().alias(f"{name}_mean"),
            pl.col(name).std().alias(f"{name}_std"),
        ]
    rank = {m: i for i, m in enumerate(METHOD_ORDER)}
    return (
        per_fold.group_by("detector", "method")
        .agg(aggregations)
        .with_columns(pl.col("method").replace_strict(rank, default=len(rank)).alias("_rank"))
        .sort("detector", "_rank", "method")
        .drop("_rank")
    )


def to_markdown(summary: pl.DataFrame) -> str:
    """Render the summary as a Markdown table with ``mean +- std`` cells."""
    header = "| detector | method | recall | precision | specificity | folds |"
    lines = [header, "| --- | --- | --- | --- | --- | --- |"]
    for row in summary.iter_rows(named=True):
        cells = [f"{row[f'{m}_mean']:.3f} ± {row[f'{m}_std'] or 0.0:.3f}" for m in METRICS]
        lines.append(
            f"| {row['detector']} | {row['method']} | "
            + " | ".join(cells)
            + f" | {row['n_folds']} |"
        )
    return "\n".join(lines) + "\n"


def to_metrics_json(summary: pl.DataFrame) -> dict:
    """Nested ``{detector: {method: {metric: mean}}}`` for ``dvc metrics show``."""
    out: dict = {}
    for row in summary.iter_rows(named=True):
        out.setdefault(row["detector"], {})[row["method"]] = {
            m: round(row[f"{m}_mean"], 4) for m in METRICS
        }
    return out
