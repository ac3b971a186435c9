"""Preprocessing of the ingested recordings into Parquet windows (spec section 4).

One recording at a time: read the 19 channels, resample, band-pass, clip and
z-score, cut crops around seizures and split them into windows. Recordings are
processed by a thread pool, and results are written in manifest order as they
arrive, so the output is deterministic and the corpus is never held in memory.

Output layout (``out_dir``):

``windows-<cohort>.parquet``
    One file per cohort of :data:`~pipeline.config.COHORTS` (empty without
    patients). One row per window: ``crop_id``, ``recording_id``, ``subject``,
    ``crop_index``, ``window_index``, ``start_s``, ``label`` (1 = seizure),
    ``is_pad`` and ``eeg``, a fixed-size list of ``n_channels * window
    samples`` float32 values, row-major ``(channel, sample)``. One row group
    per crop.
``crops.parquet``
    One row per crop: ids, cohort, kind (``seizure`` / ``background``), start,
    window counts.

The preprocessing parameters are stored in each file's schema metadata under
``szxai.preprocess``.
"""

from __future__ import annotations

import zlib
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from pipeline.config import COHORTS, PreprocessParams, n_workers
from pipeline.io.atomic import atomic_path
from pipeline.io.edf import read_edf
from pipeline.io.windows import METADATA_KEY, params_metadata, window_schema
from pipeline.signal.filters import clip_and_standardize, resample_bandpass
from pipeline.signal.windows import (
    background_crop_starts,
    cut_windows,
    seizure_crop_starts,
    window_labels,
)


@dataclass(frozen=True)
class Recording:
    """The manifest fields preprocessing needs for one recording."""

    recording_id: str
    subject: str
    cohort: str
    edf_path: str
    duration_s: float
    seizures: tuple[tuple[float, float], ...]

    @classmethod
    def from_manifest_row(cls, row: dict) -> Recording:
        seizures = tuple(zip(row["seizure_start_s"], row["seizure_stop_s"], strict=True))
        return cls(
            recording_id=row["recording_id"],
            subject=row["subject"],
            cohort=row["cohort"],
            edf_path=row["edf_path"],
            duration_s=float(row["duration_s"]),
            seizures=tuple(sorted(seizures)),
        )


@dataclass(frozen=True)
class Crop:
    """One crop of a recording, cut into windows.

    Attributes
    ----------
    windows : ndarray of float32, shape (n_windows, n_channels, window_samples)
    labels : ndarray of int8, shape (n_windows,)
    is_pad : ndarray of bool, shape (n_windows,)
    """

    recording: Recording
    index: int
    kind: str
    start_s: int
    windows: np.ndarray
    labels: np.ndarray
    is_pad: np.ndarray

    @property
    def crop_id(self) -> str:
        return f"{self.recording.recording_id}_c{self.index:02d}"


def recording_rng(seed: int, recording_id: str) -> np.random.Generator:
    """A generator that depends only on the seed and the recording (not on its order)."""
    return np.random.default_rng([seed, zlib.crc32(recording_id.encode())])


def condition_signal(data: np.ndarray, sfreq: float, params: PreprocessParams) -> np.ndarray:
    """Resample, band-pass, clip and z-score one recording.

    Parameters
    ----------
    data : ndarray, shape (n_channels, n_samples)
        EEG in µV at ``sfreq`` Hz.
    sfreq : float
        Original sampling rate (Hz).
    params : PreprocessParams

    Returns
    -------
    ndarray of float32, shape (n_channels, n_samples * params.sfreq / sfreq)
    """
    data = resample_bandpass(
        data.astype(np.float32, copy=False),
        sfreq,
        params.sfreq,
        params.l_freq,
        params.h_freq,
        params.filter_order,
    )
    return clip_and_standardize(data, params.clip_std).astype(np.float32, copy=False)


def plan_crops(recording: Recording, params: PreprocessParams, seed: int) -> list[tuple[str, int]]:
    """(kind, start_s) of every crop of a recording, seeded per recording."""
    rng = recording_rng(seed, recording.recording_id)
    if recording.seizures:
        starts = seizure_crop_starts(recording.seizures, recording.duration_s, params.crop_s, rng)
        return [("seizure", s) for s in starts]
    starts = background_crop_starts(
        recording.duration_s, params.crop_s, params.background_crops, rng
    )
    return [("background", s) for s in starts]


def preprocess_recording(recording: Recording, params: PreprocessParams, seed: int) -> list[Crop]:
    """Read, condition and crop one recording.

    Parameters
    ----------
    recording : Recording
    params : PreprocessParams
    seed : int
        Pipeline seed; crop positions depend on it and on the recording id.

    Returns
    -------
    list of Crop
    """
    signals = read_edf(
        recording.edf_path, params.channels, dtype=np.float32, aliases=params.channel_aliases
    )
    data = condition_signal(signals.data, signals.sfreq, params)
    crops = []
    for index, (kind, start) in enumerate(plan_crops(recording, params, seed)):
        windows, is_pad = cut_windows(data, params.sfreq, start, params.crop_s, params.window_s)
        labels = window_labels(start, len(windows), params.window_s, recording.seizures)
        labels[is_pad] = 0
        crops.append(Crop(recording, index, kind, start, windows, labels, is_pad))
    return crops


def crop_table(crop: Crop, schema: pa.Schema, window_s: float) -> pa.Table:
    """Arrow table of one crop's windows (one row per window)."""
    n_windows = len(crop.windows)
    flat = pa.array(crop.windows.reshape(-1), type=pa.float32())
    eeg = pa.FixedSizeListArray.from_arrays(flat, schema.field("eeg").type.list_size)
    columns = {
        "crop_id": pa.array([crop.crop_id] * n_windows, pa.string()),
        "recording_id": pa.array([crop.recording.recording_id] * n_windows, pa.string()),
        "subject": pa.array([crop.recording.subject] * n_windows, pa.string()),
        "crop_index": pa.array(np.full(n_windows, crop.index, np.int16)),
        "window_index": pa.array(np.arange(n_windows, dtype=np.int16)),
        "start_s": pa.array(crop.start_s + window_s * np.arange(n_windows, dtype=np.float64)),
        "label": pa.array(crop.labels),
        "is_pad": pa.array(crop.is_pad),
        "eeg": eeg,
    }
    return pa.table(columns, schema=schema)


def crop_summary(crop: Crop) -> dict:
    """One row of ``crops.parquet``."""
    return {
        "crop_id": crop.crop_id,
        "recording_id": crop.recording.recording_id,
        "subject": crop.recording.subject,
        "cohort": crop.recording.cohort,
        "kind": crop.kind,
        "start_s": crop.start_s,
        "n_windows": len(crop.labels),
        "n_seizure_windows": int(crop.labels.sum()),
        "n_pad_windows": int(crop.is_pad.sum()),
    }


def iter_preprocessed(
    recordings: list[Recording], params: PreprocessParams, seed: int
) -> Iterator[list[Crop]]:
    """Crops of each recording, in the order given, computed by a thread pool.

    At most two recordings per worker are in flight, so memory stays bounded
    however large the corpus and however slow the consumer.
    """
    workers = n_workers(params.n_jobs, len(recordings))
    if workers == 1:
        for rec in recordings:
            yield preprocess_recording(rec, params, seed)
        return
    # Threads, not processes: reading, the FFT filter and the window cutting run in
    # numpy/scipy with the GIL released, so threads use every core, and the
    # ~9 MB of windows per crop never has to be pickled to a parent process
    # (that transfer cost a process pool a third of its wall time).
    with ThreadPoolExecutor(workers) as pool:
        tasks = iter(recordings)
        in_flight: deque = deque()
        for rec in islice(tasks, 2 * workers):
            in_flight.append(pool.submit(preprocess_recording, rec, params, seed))
        while in_flight:
            crops = in_flight.popleft().result()
            for rec in islice(tasks, 1):
                in_flight.append(pool.submit(preprocess_recording, rec, params, seed))
            yield crops


def preprocess_corpus(
    manifest: pl.DataFrame, params: PreprocessParams, seed: int, out_dir: Path
) -> pl.DataFrame:
    """Preprocess every recording of the manifest into ``out_dir``.

    Parameters
    ----------
    manifest : polars.DataFrame
        The ingest manifest (one row per accepted recording).
    params : PreprocessParams
    seed : int
    out_dir : Path
        Written atomically: it appears complete or not at all.

    Returns
    -------
    polars.DataFrame
        The crop summary (also written as ``crops.parquet``).
    """
    recordings = [Recording.from_manifest_row(r) for r in manifest.iter_rows(named=True)]
    schema = window_schema(params)
    summaries: list[dict] = []
    with atomic_path(out_dir) as tmp:
        tmp.mkdir(parents=True)
        writers: dict[str, pq.ParquetWriter] = {}
        # One writer thread (Parquet encoding releases the GIL) overlaps the
        # writing of a crop with receiving the next ones; a single thread keeps
        # the row order, and the bounded queue keeps memory flat.
        pending: deque[Future] = deque()
        try:
            with ThreadPoolExecutor(max_workers=1) as io_thread:
                progress = tqdm(
                    iter_preprocessed(recordings, params, seed),
                    total=len(recordings),
                    desc="preprocess",
                    unit="rec",
                )
                for crops in progress:
                    for crop in crops:
                        cohort = crop.recording.cohort
                        if cohort not in writers:
                            writers[cohort] = pq.ParquetWriter(
                                tmp / params.windows_path(cohort).name, schema, **_WRITER_OPTIONS
                            )
                        table = crop_table(crop, schema, params.window_s)
                        pending.append(io_thread.submit(writers[cohort].write_table, table))
                        summaries.append(crop_summary(crop))
                        while len(pending) > _MAX_PENDING_WRITES:
                            pending.popleft().result()
                while pending:
                    pending.popleft().result()
            for cohort in COHORTS:  # every cohort has a file, empty without patients:
                if cohort not in writers:  # the stages downstream depend on all of them
                    writers[cohort] = pq.ParquetWriter(
                        tmp / params.windows_path(cohort).name, schema, **_WRITER_OPTIONS
                    )
        finally:
            for writer in writers.values():
                writer.close()
        crops_df = pl.DataFrame(summaries, schema=_CROP_SCHEMA)
        crops_table = crops_df.to_arrow().replace_schema_metadata(
            {METADATA_KEY: params_metadata(params)}
        )
        pq.write_table(crops_table, tmp / "crops.parquet")
    return crops_df


# z-scored EEG is close to white noise: dictionary encoding, statistics and zstd
# gain ~10 % of its size at several times the cost of the signal conditioning,
# so they are kept for the small id columns only. Version 2 data pages write the
# EEG column ~15 % faster (pyarrow, polars and Spark read them).
_ID_COLUMNS = [
    "crop_id", "recording_id", "subject", "crop_index", "window_index", "start_s", "label",
    "is_pad",
]  # fmt: skip
_WRITER_OPTIONS = {
    "compression": {**dict.fromkeys(_ID_COLUMNS, "zstd"), "eeg": "none"},
    "use_dictionary": _ID_COLUMNS,
    "write_statistics": _ID_COLUMNS,
    "data_page_version": "2.0",
}

_MAX_PENDING_WRITES = 4

_CROP_SCHEMA = {
    "crop_id": pl.String,
    "recording_id": pl.String,
    "subject": pl.String,
    "cohort": pl.String,
    "kind": pl.String,
    "start_s": pl.Int64,
    "n_windows": pl.Int64,
    "n_seizure_windows": pl.Int64,
    "n_pad_windows": pl.Int64,
}
