"""DVC stage ``final@<detector>``: the SzXAI head trained on every labelled cv patient.

Spec section 12; ``szxai explain`` applies it to a new recording.

Usage: ``python stages/final.py {deepsoz,cnnblstm}``
"""

from __future__ import annotations

import argparse
import time

from pipeline.config import load_params
from pipeline.registry import DETECTOR_NAMES
from pipeline.stages.final import run
from pipeline.szxai.final import final_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("detector", choices=DETECTOR_NAMES)
    args = parser.parse_args()
    params = load_params()
    started = time.perf_counter()
    record = run(params, args.detector)
    print(
        f"final {args.detector}: {record['method']} head on {record['n_subjects']} patients "
        f"({record['n_train_crops']} train / {record['n_val_crops']} val crops), "
        f"{record['epochs_run']} epochs on {record['device']} in "
        f"{time.perf_counter() - started:.0f} s -> {final_dir(params.train, args.detector)}"
    )


if __name__ == "__main__":
    main()
