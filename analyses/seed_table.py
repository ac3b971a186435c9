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

from pipeline.config import load_params
from pipeline.evaluate.selection import ALIGNED_METHOD
from pipeline.stages.evaluate import score_cv


def main() -> None:
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()
    params = load_params()
    scores = score_cv(params)
    print(f"corpus seed {params.seed}, train.seed {params.train.seed}")
    for r in scores.summary.drop_nulls("auroc_pooled").iter_rows(named=True):
        print(f"{r['detector']:9s} {r['method']:14s} pooled {r['auroc_pooled']:.3f} "
              f"[{r['auroc_low']:.3f}, {r['auroc_high']:.3f}]  "
              f"folds {r['auroc_mean']:.3f}")  # fmt: skip
    for r in scores.comparisons.iter_rows(named=True):
        print(f"{r['detector']:9s} {ALIGNED_METHOD} - {r['method']:14s} "
              f"{r['delta_pooled']:+.3f} [{r['delta_low']:+.3f}, {r['delta_high']:+.3f}] "
              f"p {r['p_bootstrap']:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
