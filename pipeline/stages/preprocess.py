"""Stage ``preprocess``: manifest -> Parquet windows of each cohort (spec section 4)."""

from __future__ import annotations

import polars as pl

from pipeline.config import Params
from pipeline.preprocessing.preprocess import preprocess_corpus


def run(params: Params) -> tuple[int, pl.DataFrame]:
    """Write ``preprocess.out_dir``; return the number of recordings and the crop table."""
    manifest = pl.read_parquet(params.ingest.manifest_path)
    crops = preprocess_corpus(manifest, params.preprocess, params.seed, params.preprocess.out_dir)
    return manifest.height, crops
