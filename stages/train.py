"""DVC stage ``train@<detector>-<fold>``: every Table 1 method and reference row on one fold.

Spec sections 8 (methods) and 11 (reference rows).

Usage: ``python stages/train.py {deepsoz,cnnblstm} FOLD``
"""

from __future__ import annotations

import argparse
import time

from pipeline.config import load_params
from pipeline.registry import DETECTOR_NAMES
from pipeline.stages.train import run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("detector", choices=DETECTOR_NAMES)
    parser.add_argument("fold", type=int)
    args = parser.parse_args()
    params = load_params()
    started = time.perf_counter()
    record = run(params, args.detector, args.fold)
    # Wall-clock time is printed, never written: the outputs stay byte-identical.
    seconds = time.perf_counter() - started
    szxai = record["methods"].get("szxai", {}).get("heldout_at_0.5")
    summary = (
        f"; szxai held-out recall {szxai['recall']}, precision {szxai['precision']}, "
        f"specificity {szxai['specificity']}"
        if szxai
        else ""
    )
    print(
        f"train {args.detector} fold {args.fold}: {len(record['methods'])} methods + "
        f"{len(record.get('references', {}))} reference rows on "
        f"{record['device']} in {seconds:.0f} s ({record['n_train_crops']} train / "
        f"{record['n_val_crops']} val / {record['n_test_crops']} held-out crops){summary} "
        f"-> {params.train.fold_dir(args.detector, args.fold)}"
    )


if __name__ == "__main__":
    main()
