"""Table 1's cross-validation rows from the train stages alone, for another corpus seed.

Scores the ``train@`` outputs as ``evaluate`` does (pooled macro AUROC over the
expressible concepts with its patient-bootstrap interval, the fold mean, and
SzXAI minus every other row, paired over patients), without the stages that
only ``evaluate`` needs (final heads, held-out cohort, events, case pages,
figures). So a corpus seed can be checked after ``dvc repro train`` in a
checkout whose ``params.yaml`` sets that ``seed``.

Usage: ``python -m analyses.seed_table`` (after ``dvc repro train``); prints,
writes nothing.
"""

from __future__ import annotations

import argparse

import polars as pl

from pipeline.config import load_params
from pipeline.evaluate.collect import (
    control_mask,
    fold_scores,
    paired_comparisons,
    pooled_draws,
    pooled_intervals,
    read_predictions,
)
from pipeline.evaluate.selection import ALIGNED_METHOD
from pipeline.registry import DETECTOR_NAMES
from pipeline.stages.evaluate import read_concepts


def seed_tables(params) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per (detector, row): pooled AUROC and interval, fold mean; and the paired comparisons."""
    ev = params.evaluate
    concepts = read_concepts(params.concepts.bank_path)
    control = control_mask(concepts["name"].to_list())
    predictions = read_predictions(params.train.out_dir, DETECTOR_NAMES, params.folds.n_folds)
    per_fold = fold_scores(predictions, ev.threshold, params.seed, control)
    draws = pooled_draws(predictions, control, ev.threshold, params.seed, ev.bootstrap_draws)
    fold_means = per_fold.group_by("detector", "method").agg(pl.col("auroc").mean().alias("folds"))
    rows = pooled_intervals(draws).join(fold_means, on=["detector", "method"])
    return rows, paired_comparisons(draws, per_fold, ALIGNED_METHOD)


def main() -> None:
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()
    params = load_params()
    rows, comparisons = seed_tables(params)
    print(f"corpus seed {params.seed}, train.seed {params.train.seed}")
    for r in rows.iter_rows(named=True):
        print(f"{r['detector']:9s} {r['method']:14s} pooled {r['auroc_pooled']:.3f} "
              f"[{r['auroc_low']:.3f}, {r['auroc_high']:.3f}]  folds {r['folds']:.3f}")  # fmt: skip
    for r in comparisons.iter_rows(named=True):
        print(f"{r['detector']:9s} {ALIGNED_METHOD} - {r['method']:14s} "
              f"{r['delta_pooled']:+.3f} [{r['delta_low']:+.3f}, {r['delta_high']:+.3f}] "
              f"p {r['p_bootstrap']:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
