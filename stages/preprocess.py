"""DVC stage ``preprocess``: manifest -> Parquet windows (spec section 4).

Usage: ``python stages/preprocess.py`` (reads params.yaml).
"""

from __future__ import annotations

import argparse
import time

from pipeline.config import load_params
from pipeline.stages.preprocess import run


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    params = load_params()
    started = time.perf_counter()
    n_recordings, crops = run(params)
    elapsed = time.perf_counter() - started
    print(
        f"preprocess: {n_recordings} recordings -> {crops.height} crops, "
        f"{crops['n_windows'].sum()} windows ({crops['n_seizure_windows'].sum()} seizure, "
        f"{crops['n_pad_windows'].sum()} padding) in {elapsed:.1f} s "
        f"-> {params.preprocess.out_dir}"
    )


if __name__ == "__main__":
    main()
