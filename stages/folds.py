"""DVC stage ``folds``: patient-grouped 10-fold assignment of the cv cohort.

Usage: ``python stages/folds.py`` (reads params.yaml).
"""

from __future__ import annotations

import argparse

from pipeline.config import load_params
from pipeline.stages.folds import run


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    params = load_params()
    folds = run(params)
    sizes = folds.group_by("fold").len()["len"]
    print(
        f"folds: {folds.height} cv patients in {params.folds.n_folds} folds "
        f"({sizes.min()}-{sizes.max()} patients each) -> {params.folds.path}"
    )


if __name__ == "__main__":
    main()
