"""Stage ``features``: hand-made EEG features of every cv window (spec section 11)."""

from __future__ import annotations

from pipeline.config import Params
from pipeline.preprocessing.features import FeatureRun, extract_features


def run(params: Params) -> FeatureRun:
    """Write ``features.cv_path``."""
    windows = params.preprocess.windows_path("cv")
    return extract_features(windows, params.features.cv_path, params.features, params.preprocess)
