"""DVC stage ``heldout@<detector>``: the final SzXAI head scored once on the test cohort.

Usage: ``python stages/heldout.py {deepsoz,cnnblstm}``
"""

from __future__ import annotations

import argparse
import time

from pipeline.config import load_params
from pipeline.registry import DETECTOR_NAMES
from pipeline.stages.heldout import run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("detector", choices=DETECTOR_NAMES)
    args = parser.parse_args()
    params = load_params()
    started = time.perf_counter()
    record = run(params, args.detector)
    if not record["n_test_patients"]:
        print(f"heldout {args.detector}: no test cohort (data.cohorts maps no split to test)")
        return
    print(
        f"heldout {args.detector}: {record['method']} head on {record['n_crops']} crops of "
        f"{record['n_labelled_patients']} labelled test patients (of "
        f"{record['n_test_patients']}) in {time.perf_counter() - started:.0f} s "
        f"-> {params.train.heldout_dir(args.detector)}"
    )


if __name__ == "__main__":
    main()
