"""DVC stage ``features``: hand-made EEG features of every cv window (spec section 11)."""

from __future__ import annotations

from pipeline.config import load_params
from pipeline.features import extract_features


def main() -> None:
    params = load_params()
    windows = params.preprocess.out_dir / "windows-cv.parquet"
    run = extract_features(windows, params.features.cv_path, params.features, params.preprocess)
    print(
        f"features: {run.n_crops} crops, {run.n_windows} windows x {run.n_features} features "
        f"in {run.seconds:.1f} s -> {run.out_path}"
    )


if __name__ == "__main__":
    main()
