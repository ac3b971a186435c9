"""DVC stage ``folds``: patient-grouped 10-fold assignment of the cv cohort."""

from __future__ import annotations

import polars as pl

from pipeline.config import load_params
from pipeline.datasets.folds import assign_folds
from pipeline.io.atomic import atomic_path


def main() -> None:
    params = load_params()
    manifest = pl.read_parquet(params.ingest.manifest_path)
    subjects = manifest.filter(pl.col("cohort") == "cv")["subject"]
    folds = assign_folds(subjects, params.folds.n_folds, params.seed)
    with atomic_path(params.folds.path) as tmp:
        folds.write_csv(tmp)
    sizes = folds.group_by("fold").len()["len"]
    print(
        f"folds: {folds.height} cv patients in {params.folds.n_folds} folds "
        f"({sizes.min()}-{sizes.max()} patients each) -> {params.folds.path}"
    )


if __name__ == "__main__":
    main()
