"""Stage ``folds``: patient-grouped 10-fold assignment of the cv cohort."""

from __future__ import annotations

import polars as pl

from pipeline.config import Params
from pipeline.datasets.folds import assign_folds
from pipeline.io.atomic import atomic_path


def run(params: Params) -> pl.DataFrame:
    """Write ``folds.path`` (subject, fold); return it."""
    manifest = pl.read_parquet(params.ingest.manifest_path)
    subjects = manifest.filter(pl.col("cohort") == "cv")["subject"]
    folds = assign_folds(subjects, params.folds.n_folds, params.seed)
    with atomic_path(params.folds.path) as tmp:
        folds.write_csv(tmp)
    return folds
