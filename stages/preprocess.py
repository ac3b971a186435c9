"""DVC stage ``preprocess``: manifest -> Parquet windows (spec section 4)."""

from __future__ import annotations

import time

import polars as pl

from pipeline.config import load_params
from pipeline.preprocess import preprocess_corpus


def main() -> None:
    params = load_params()
    manifest = pl.read_parquet(params.ingest.manifest_path)
    started = time.perf_counter()
    crops = preprocess_corpus(manifest, params.preprocess, params.seed, params.preprocess.out_dir)
    elapsed = time.perf_counter() - started
    print(
        f"preprocess: {manifest.height} recordings -> {crops.height} crops, "
        f"{crops['n_windows'].sum()} windows ({crops['n_seizure_windows'].sum()} seizure, "
        f"{crops['n_pad_windows'].sum()} padding) in {elapsed:.1f} s "
        f"-> {params.preprocess.out_dir}"
    )


if __name__ == "__main__":
    main()
