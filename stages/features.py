"""DVC stage ``features``: hand-made EEG features of every cv window (spec section 11).

Usage: ``python stages/features.py`` (reads params.yaml).
"""

from __future__ import annotations

import argparse

from pipeline.config import load_params
from pipeline.stages.features import run


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    made = run(load_params())
    print(
        f"features: {made.n_crops} crops, {made.n_windows} windows x {made.n_features} features "
        f"in {made.seconds:.1f} s -> {made.out_path}"
    )


if __name__ == "__main__":
    main()
