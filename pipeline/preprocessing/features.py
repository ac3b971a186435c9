"""The ``features`` stage: hand-made EEG features of every cv window (spec section 11).

Streams ``windows-cv.parquet`` crop by crop (a crop is ~9 MB of EEG) and writes
``<features.out_dir>/windows-cv.parquet``, one row per window in the window
file's order, one row group per crop: ``crop_id``, ``window_index`` (int16),
``is_pad`` (bool) and ``f`` (fixed-size list of float32, the features of
:func:`pipeline.signal.features.window_features`, kind-major over the 19
channels). The schema metadata holds, under ``szxai.features``, the feature
names, bands, sampling rate and source file.

The train stage pools these vectors per crop with the detector's p_sz for the
``features`` reference row of Table 1.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from pipeline.config import FeaturesParams, PreprocessParams
from pipeline.io.atomic import atomic_path
from pipeline.io.windows import CropData, WindowFile
from pipeline.signal.features import feature_names, window_features

METADATA_KEY = b"szxai.features"
_WRITER_OPTIONS = {"compression": "zstd"}


@dataclass(frozen=True)
class FeatureRun:
    """Summary of one run of the stage."""

    n_crops: int
    n_windows: int
    n_features: int
    seconds: float
    out_path: Path


def features_schema(n_features: int, metadata: dict | None = None) -> pa.Schema:
    """Arrow schema of the features file (``n_features`` values per window)."""
    fields = [
        ("crop_id", pa.string()),
        ("window_index", pa.int16()),
        ("is_pad", pa.bool_()),
        ("f", pa.list_(pa.float32(), n_features)),
    ]
    encoded = None if metadata is None else {METADATA_KEY: json.dumps(metadata, sort_keys=True)}
    return pa.schema(fields, metadata=encoded)


def crop_features_table(crop: CropData, features: np.ndarray, schema: pa.Schema) -> pa.Table:
    """Arrow table of one crop's feature rows.

    Parameters
    ----------
    crop : CropData
    features : ndarray of float32, shape (T, n_features)
    schema : pa.Schema
    """
    n = len(features)
    flat = pa.array(np.ascontiguousarray(features, dtype=np.float32).reshape(-1), pa.float32())
    columns = {
        "crop_id": pa.array([crop.ref.crop_id] * n, pa.string()),
        "window_index": pa.array(crop.window_index.astype(np.int16)),
        "is_pad": pa.array(crop.is_pad.astype(bool)),
        "f": pa.FixedSizeListArray.from_arrays(flat, features.shape[1]),
    }
    return pa.table(columns, schema=schema)


def extract_features(
    windows_path: Path, out_path: Path, params: FeaturesParams, preprocess: PreprocessParams
) -> FeatureRun:
    """Write the features of every window of ``windows_path`` to ``out_path`` (atomically).

    Parameters
    ----------
    windows_path : Path
        A ``windows-<cohort>.parquet`` of the preprocess stage.
    out_path : Path
        The features file; it appears complete or not at all.
    params : FeaturesParams
    preprocess : PreprocessParams
        For the sampling rate and the channel names.

    Returns
    -------
    FeatureRun
    """
    started = time.perf_counter()
    windows = WindowFile(windows_path)
    names = feature_names(params.bands, preprocess.channels)
    metadata = {
        "names": names,
        "bands": {k: list(v) for k, v in params.bands.items()},
        "sfreq": preprocess.sfreq,
        "windows": str(windows_path),
    }
    schema = features_schema(len(names), metadata)
    n_windows = 0
    with atomic_path(out_path) as tmp, pq.ParquetWriter(tmp, schema, **_WRITER_OPTIONS) as writer:
        for crop in tqdm(windows, total=len(windows), desc="features", unit="crop"):
            features = window_features(crop.eeg, preprocess.sfreq, params.bands)
            writer.write_table(crop_features_table(crop, features, schema))
            n_windows += len(features)
    return FeatureRun(len(windows), n_windows, len(names), time.perf_counter() - started, out_path)


def read_feature_names(path: str | Path) -> list[str]:
    """The ``<kind>:<channel>`` names of the ``f`` entries of a features file."""
    return json.loads(pq.read_schema(path).metadata[METADATA_KEY])["names"]
