"""Two trainings of the same cv crops, row by row: did a setting move Table 1 beyond noise?

Reads the held-out predictions of two ``train`` output folders (``train.out_dir``
layouts: ``<dir>/<detector>/fold<k>/predictions.parquet``), e.g. a copy of
``data/train`` kept before a ``dvc exp run -S epochs=50`` and the folder after
it, and prints for every (detector, method) both runs' pooled macro AUROC over
the expressible concepts and their difference with a 95 % paired patient-bootstrap
interval and p-value (the draws ``evaluate`` uses, shared by both runs).

Usage: ``python -m analyses.compare_runs BASE_DIR OTHER_DIR``; prints, writes nothing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.config import load_params
from pipeline.evaluate.collect import control_mask, read_predictions, run_differences
from pipeline.registry import DETECTOR_NAMES
from pipeline.szxai.data import read_concepts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("base", type=Path, help="train output folder of the reference run")
    parser.add_argument("other", type=Path, help="train output folder of the run compared")
    args = parser.parse_args()
    params = load_params()
    control = control_mask(read_concepts(params.concepts.bank_path).names)
    n_folds = len(params.folds.ids)
    base, other = (read_predictions(d, DETECTOR_NAMES, n_folds) for d in (args.base, args.other))
    table = run_differences(base, other, control, params.seed, params.evaluate.bootstrap_draws)
    print(f"{args.other} - {args.base}: pooled macro AUROC, 95 % paired patient bootstrap")
    for r in table.iter_rows(named=True):
        print(f"{r['detector']:9s} {r['method']:14s} base {r['auroc_base']:.3f} "
              f"other {r['auroc_other']:.3f}  {r['delta']:+.3f} [{r['delta_low']:+.3f}, "
              f"{r['delta_high']:+.3f}] p {r['p_bootstrap']:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
