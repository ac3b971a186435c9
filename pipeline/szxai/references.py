"""The reference rows of Table 1 (spec section 11): what the data allows, on the methods' folds.

Each reference row is the linear probe of :mod:`pipeline.szxai.probe` on one
kind of per-window vector, pooled per crop with the *trained* detector's p_sz
(seizure concepts) or 1 - p_sz (non-seizure concepts), padding excluded, and
fitted per concept on the fold's training crops (every crop outside the
held-out fold, with the labels the methods train on), then applied to the
held-out crops:

- ``features``: hand-made EEG features (:mod:`pipeline.signal.features`, the
  ``features`` stage): what plain EEG features give;
- ``probe``: the frozen latents h_t the methods read: what they carry linearly;
  a head far below it is a training problem, not a data problem;
- ``probe-random``: h_t of a randomly initialised detector of the same
  architecture: what architecture and input statistics give without training;
- ``probe-pre``: the per-window layer feeding the detector's BiLSTM.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.metrics import per_concept_auroc
from pipeline.szxai.probe import pooled_means, probe_predict, side_weights, weighted_sums

#: Per reference row: (source file, vector column). ``latents`` is the
#: detector's latents.parquet, ``features`` the features stage's file.
REFERENCE_SOURCES: dict[str, tuple[str, str]] = {
    "features": ("features", "f"),
    "probe": ("latents", "h"),
    "probe-random": ("latents", "h_random"),
    "probe-pre": ("latents", "h_pre"),
}
#: One line per reference row, for reports/index.md.
REFERENCE_DESCRIPTIONS: dict[str, str] = {
    "features": "reference: hand-made EEG features per window and channel (log band powers "
    "delta/theta/alpha/beta, line length, peak-to-peak, peak frequency, kurtosis, skewness, "
    "Hjorth mobility and complexity; each also as its maximum and median over the "
    "channels), pooled with p_sz / 1 - p_sz, one class-balanced "
    "logistic regression per concept: what plain EEG features give",
    "probe": "reference: the same logistic regression on the frozen detector latents h_t: "
    "what the latents the methods read carry linearly",
    "probe-random": "reference: the same on h_t of a randomly initialised detector of the "
    "same architecture (pooled with the trained detector's p_sz): what architecture and "
    "input statistics give without training",
    "probe-pre": "reference: the same on the layer feeding the detector's BiLSTM (DeepSOZ: "
    "the global token's transformer output; CNN-BLSTM: the pooled CNN features)",
}
#: Rows per Arrow batch when pooling a file: ~26 MB of 200-float vectors.
_BATCH_ROWS = 32_768


def _crop_codes(column: pa.ChunkedArray | pa.Array, crop_ids: pa.Array) -> np.ndarray:
    """Position of each row's crop in ``crop_ids``; -1 for crops not asked for."""
    return pc.index_in(column, value_set=crop_ids).fill_null(-1).to_numpy()


def window_weights(
    latents_path: Path, crop_ids: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pooling inputs of the latents file, indexed (crop, window_index).

    Returns
    -------
    p_sz : ndarray of float32, shape (n_crops, T_max)
    real : ndarray of bool, shape (n_crops, T_max)
        False for padding windows and for positions a crop does not have.
    n_rows : ndarray of int, shape (n_crops,)
        Windows of each crop in the file (to check other files against).
    """
    table = pq.read_table(latents_path, columns=["crop_id", "window_index", "is_pad", "p_sz"])
    code = _crop_codes(table.column("crop_id"), pa.array(list(crop_ids), pa.string()))
    keep = code >= 0
    window = table.column("window_index").to_numpy()[keep].astype(int)
    n_crops, t_max = len(crop_ids), int(window.max(initial=-1)) + 1
    p_sz = np.zeros((n_crops, t_max), np.float32)
    real = np.zeros((n_crops, t_max), bool)
    p_sz[code[keep], window] = table.column("p_sz").to_numpy()[keep]
    real[code[keep], window] = ~table.column("is_pad").to_numpy(zero_copy_only=False)[keep]
    n_rows = np.bincount(code[keep], minlength=n_crops)
    missing = [c for c, n in zip(crop_ids, n_rows, strict=True) if n == 0]
    if missing:
        raise ValueError(f"{latents_path}: no windows for crops {missing[:5]}")
    return p_sz, real, n_rows


def _vectors(batch: pa.RecordBatch, column: str) -> np.ndarray:
    values = batch.column(column)
    return values.flatten().to_numpy().reshape(len(values), -1)


def pool_file(
    path: Path,
    columns: Sequence[str],
    crop_ids: Sequence[str],
    weights: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> dict[str, np.ndarray]:
    """Side-pooled means of vector columns of a per-window file, streamed in batches.

    Parameters
    ----------
    path : Path
        A Parquet file with ``crop_id``, ``window_index``, ``is_pad`` and the
        fixed-size list ``columns`` (latents.parquet or the features file).
    columns : sequence of str
    crop_ids : sequence of str
        The crops to pool, in output order; other crops of the file are skipped.
    weights : tuple
        From :func:`window_weights` of the detector whose p_sz pools them.

    Returns
    -------
    dict of str -> ndarray of float64, shape (n_crops, 2, d)
        Per column: the p_sz-weighted (index 0) and (1 - p_sz)-weighted (1) means.

    Raises
    ------
    ValueError
        If the file's windows of a crop do not match the latents file's (a
        features file from other windows).
    """
    p_sz, real, n_rows = weights
    value_set = pa.array(list(crop_ids), pa.string())
    n_crops = len(crop_ids)
    sums: dict[str, np.ndarray] = {}
    totals = np.zeros((2, n_crops))
    seen = np.zeros(n_crops, int)
    reader = pq.ParquetFile(path)
    read = ["crop_id", "window_index", "is_pad", *columns]
    for batch in reader.iter_batches(batch_size=_BATCH_ROWS, columns=read):
        code = _crop_codes(batch.column("crop_id"), value_set)
        keep = code >= 0
        if not keep.any():
            continue
        crop, window = code[keep], batch.column("window_index").to_numpy()[keep].astype(int)
        if window.max() >= p_sz.shape[1]:
            raise ValueError(f"{path}: windows beyond those of the latents file")
        is_pad = batch.column("is_pad").to_numpy(zero_copy_only=False)[keep]
        if np.any(is_pad == real[crop, window]):
            raise ValueError(f"{path}: padding windows differ from the latents file's")
        side = side_weights(p_sz[crop, window], real[crop, window])
        seen += np.bincount(crop, minlength=n_crops)
        for column in columns:
            part, weight = weighted_sums(_vectors(batch, column)[keep], side, crop, n_crops)
            sums[column] = sums[column] + part if column in sums else part
        totals += weight  # the same for every column of the batch
    if not np.array_equal(seen, n_rows):
        raise ValueError(f"{path}: the crops' windows differ from the latents file's")
    return {column: pooled_means(sums[column], totals) for column in columns}


def read_pooled(
    references: Sequence[str],
    crop_ids: Sequence[str],
    latents_path: Path,
    features_path: Path | None,
) -> dict[str, np.ndarray]:
    """The pooled input of every reference row, for the given crops.

    Parameters
    ----------
    references : sequence of str
        Keys of :data:`REFERENCE_SOURCES`.
    crop_ids : sequence of str
        Output order (the labelled cv crops of :func:`pipeline.szxai.data.read_crops`).
    latents_path : Path
        The detector's latents.parquet: p_sz (the pooling weights of every row),
        ``h``, ``h_random``, ``h_pre``.
    features_path : Path or None
        The features stage's windows-cv.parquet; needed for ``features``.

    Returns
    -------
    dict of str -> ndarray of float64, shape (n_crops, 2, d)
    """
    weights = window_weights(latents_path, crop_ids)
    paths = {"latents": latents_path, "features": features_path}
    out: dict[str, np.ndarray] = {}
    for source in ("latents", "features"):
        wanted = [r for r in references if REFERENCE_SOURCES[r][0] == source]
        if not wanted:
            continue
        path = paths[source]
        if path is None or not Path(path).is_file():
            raise FileNotFoundError(
                f"reference rows {wanted} need the {source} file {path} (run its stage first, "
                "or drop them from train.references)"
            )
        columns = [REFERENCE_SOURCES[r][1] for r in wanted]
        pooled = pool_file(Path(path), columns, crop_ids, weights)
        out.update({r: pooled[REFERENCE_SOURCES[r][1]] for r in wanted})
    return {r: out[r] for r in references}


def reference_predictions(
    pooled: dict[str, np.ndarray],
    train_rows: np.ndarray,
    test_rows: np.ndarray,
    labels: np.ndarray,
    seizure: np.ndarray,
    c: float,
) -> dict[str, np.ndarray]:
    """Held-out concept probabilities of every reference row.

    Parameters
    ----------
    pooled : dict of str -> ndarray, shape (n_crops, 2, d)
        From :func:`read_pooled`.
    train_rows, test_rows : ndarray of int
        Positions of the training-fold and held-out crops in ``pooled``; the
        probes see the training rows only.
    labels : ndarray of {0, 1}, shape (n_crops, N)
    seizure : ndarray of bool, shape (N,)
    c : float
        Inverse L2 strength.

    Returns
    -------
    dict of str -> ndarray of float64, shape (len(test_rows), N)
    """
    labels = np.asarray(labels)
    return {
        name: probe_predict(x[train_rows], labels[train_rows], x[test_rows], seizure, c)
        for name, x in pooled.items()
    }


def fold_aurocs(
    pooled: np.ndarray,
    labels: np.ndarray,
    fold: np.ndarray,
    fold_ids: Sequence[int],
    seizure: np.ndarray,
    c: float,
) -> np.ndarray:
    """Per-concept AUROC of one reference row on each held-out fold, the probe fitted on the rest.

    The same protocol as the train stage's reference rows, without the methods:
    for a quick look at what the data allow (``analyses/reference_rows.py``, the
    corpus audit).

    Parameters
    ----------
    pooled : ndarray, shape (n_crops, 2, d)
        From :func:`read_pooled` or :func:`pool_file`.
    labels : ndarray of {0, 1}, shape (n_crops, N)
    fold : ndarray of int, shape (n_crops,)
        Held-out fold of each crop.
    fold_ids : sequence of int
    seizure : ndarray of bool, shape (N,)
    c : float

    Returns
    -------
    ndarray, shape (len(fold_ids), N)
        NaN where a concept has one class among the fold's crops.
    """
    out = []
    for k in fold_ids:
        train, test = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        probs = probe_predict(pooled[train], labels[train], pooled[test], seizure, c)
        out.append(per_concept_auroc(labels[test], probs))
    return np.asarray(out)
