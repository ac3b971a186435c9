"""The window files (``windows-<cohort>.parquet``): their schema, and crop-by-crop reads.

The ``preprocess`` stage writes them (:func:`window_schema`, one row group per
crop); the detectors and the features stage read them (:class:`WindowFile`).

A window file (``windows-<cohort>.parquet``) has one row per window, rows
ordered by crop then window, and (as written by ``preprocess``) one row group
per crop. The index below does not rely on the last point: it records, for
every crop, the row groups and row ranges that hold it, so a crop is read with
only the row groups it needs and the cohort is never loaded whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.config import PreprocessParams
from pipeline.registry import DETECTOR_WINDOW

N_CHANNELS, WINDOW_SAMPLES = DETECTOR_WINDOW
#: File metadata key of the parameters that shaped the windows.
METADATA_KEY = b"szxai.preprocess"

_ID_COLUMNS = ["crop_id", "recording_id", "subject"]
_WINDOW_COLUMNS = ["window_index", "start_s", "label", "is_pad", "eeg"]


def window_schema(params: PreprocessParams) -> pa.Schema:
    """Arrow schema of the window files, with the parameters as metadata."""
    n_values = len(params.channels) * int(round(params.window_s * params.sfreq))
    fields = [
        ("crop_id", pa.string()),
        ("recording_id", pa.string()),
        ("subject", pa.string()),
        ("crop_index", pa.int16()),
        ("window_index", pa.int16()),
        ("start_s", pa.float64()),
        ("label", pa.int8()),
        ("is_pad", pa.bool_()),
        ("eeg", pa.list_(pa.float32(), n_values)),
    ]
    return pa.schema(fields, metadata={METADATA_KEY: params_metadata(params)})


def params_metadata(params: PreprocessParams) -> bytes:
    """The parameters that shaped the windows, as JSON for the file metadata."""
    # n_jobs and out_dir do not change the windows, so they stay out of the record.
    shaping = params.model_dump(mode="json", exclude={"n_jobs", "out_dir"})
    return json.dumps(shaping, sort_keys=True).encode()


@dataclass(frozen=True)
class CropRef:
    """Where one crop lies in a window file.

    Attributes
    ----------
    segments : tuple of (row_group, first_row, n_rows)
        Consecutive row ranges, in order, that make up the crop.
    """

    crop_id: str
    recording_id: str
    subject: str
    segments: tuple[tuple[int, int, int], ...]

    @property
    def n_windows(self) -> int:
        return sum(n for _, _, n in self.segments)


@dataclass(frozen=True)
class CropData:
    """The windows of one crop.

    Attributes
    ----------
    eeg : ndarray of float32, shape (T, 19, 200)
    label : ndarray of int8, shape (T,)
    is_pad : ndarray of bool, shape (T,)
    window_index : ndarray of int16, shape (T,)
    start_s : ndarray of float64, shape (T,)
    """

    ref: CropRef
    eeg: np.ndarray
    label: np.ndarray
    is_pad: np.ndarray
    window_index: np.ndarray
    start_s: np.ndarray


class WindowFile:
    """Index of the crops of one window file, and reads of single crops.

    Parameters
    ----------
    path : str or Path
        A ``windows-<cohort>.parquet`` file.

    Raises
    ------
    ValueError
        If the windows are not 19 x 200 samples, or a crop's rows are not
        contiguous.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file = pq.ParquetFile(self.path)
        eeg_type = self._file.schema_arrow.field("eeg").type
        if getattr(eeg_type, "list_size", None) != N_CHANNELS * WINDOW_SAMPLES:
            raise ValueError(
                f"{self.path}: eeg must be a fixed-size list of {N_CHANNELS} x {WINDOW_SAMPLES} "
                f"values (19 channels, 1 s at 200 Hz), got {eeg_type}"
            )
        self.crops: list[CropRef] = self._index()
        self._cached: tuple[int, pa.Table] | None = None

    def _index(self) -> list[CropRef]:
        crops: dict[str, dict] = {}
        order: list[str] = []
        for group in range(self._file.num_row_groups):
            ids = self._file.read_row_group(group, columns=_ID_COLUMNS)
            crop_ids = ids.column("crop_id").to_numpy(zero_copy_only=False)
            # Start of each run of equal crop ids within the row group.
            starts = np.flatnonzero(np.r_[True, crop_ids[1:] != crop_ids[:-1]])
            stops = np.r_[starts[1:], len(crop_ids)]
            for start, stop in zip(starts.tolist(), stops.tolist(), strict=True):
                crop_id = str(crop_ids[start])
                if crop_id not in crops:
                    order.append(crop_id)
                    crops[crop_id] = {
                        "recording_id": ids.column("recording_id")[start].as_py(),
                        "subject": ids.column("subject")[start].as_py(),
                        "segments": [],
                    }
                elif crop_id != order[-1]:
                    raise ValueError(f"{self.path}: rows of crop {crop_id} are not contiguous")
                crops[crop_id]["segments"].append((group, start, stop - start))
        return [
            CropRef(cid, c["recording_id"], c["subject"], tuple(c["segments"]))
            for cid, c in ((cid, crops[cid]) for cid in order)
        ]

    def _row_group(self, group: int) -> pa.Table:
        # Consecutive crops usually share row groups only at their edges, so
        # keeping the last one avoids decoding it twice when reading in order.
        if self._cached is None or self._cached[0] != group:
            self._cached = (group, self._file.read_row_group(group, columns=_WINDOW_COLUMNS))
        return self._cached[1]

    def read(self, ref: CropRef) -> CropData:
        """Read the windows of one crop.

        Parameters
        ----------
        ref : CropRef
            One of :attr:`crops`.

        Returns
        -------
        CropData
        """
        parts = [self._row_group(g).slice(first, n) for g, first, n in ref.segments]
        table = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
        eeg = table.column("eeg").combine_chunks().values.to_numpy()
        window_index = table.column("window_index").to_numpy()
        if not np.array_equal(window_index, np.arange(len(window_index))):
            raise ValueError(f"{self.path}: windows of crop {ref.crop_id} are not in order")
        return CropData(
            ref=ref,
            eeg=eeg.reshape(len(window_index), N_CHANNELS, WINDOW_SAMPLES),
            label=table.column("label").to_numpy(),
            is_pad=table.column("is_pad").to_numpy(zero_copy_only=False),
            window_index=window_index.astype(np.int16, copy=False),
            start_s=table.column("start_s").to_numpy(),
        )

    def __iter__(self) -> Iterator[CropData]:
        """Every crop, in file order, one at a time."""
        for ref in self.crops:
            yield self.read(ref)

    def __len__(self) -> int:
        return len(self.crops)
