"""Per-window p_sz and latents h_t of a frozen detector, streamed into Parquet.

Output (one row per window, rows ordered by crop then window, one row group per
crop): ``crop_id``, ``recording_id``, ``subject``, ``window_index`` (int16),
``start_s`` (float64), ``label`` (int8, ground truth), ``is_pad`` (bool),
``p_sz`` (float32, softmax of the two logits, seizure class), and three
fixed-size lists of float32 for the reference rows of Table 1 (spec section 11)
beside the method's input:

- ``h`` (latent_dim): h_t, the trained detector's BiLSTM output;
- ``h_pre`` (pre_dim): the per-window layer that feeds that BiLSTM;
- ``h_random`` (latent_dim): h_t of a randomly initialised detector of the same
  architecture (:func:`pipeline.detectors.training.random_detector`), run on the
  same windows in the same pass.

All three are zero at padding windows. Readers that need ``h`` only read that
column. The file's schema metadata holds, under ``szxai.detector``, a JSON
record: detector, latent and pre-BiLSTM sizes, window-level AUROC on the file's
non-padding windows, weight and checkpoint hashes, the random control's seed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import torch
from torch import nn
from tqdm import tqdm

from pipeline.detectors.training import make_batch, window_auroc
from pipeline.io.windows import CropData, WindowFile

METADATA_KEY = b"szxai.detector"
_WRITER_OPTIONS = {"compression": "zstd"}


@dataclass(frozen=True)
class Extraction:
    """Summary of one extraction run."""

    auroc: float | None
    n_crops: int
    n_windows: int
    n_pad_windows: int
    n_seizure_windows: int
    seconds: float


def latent_schema(latent_dim: int, pre_dim: int, metadata: dict | None = None) -> pa.Schema:
    """Arrow schema of ``latents.parquet``.

    Parameters
    ----------
    latent_dim : int
        Size of h_t and of the random control's h_t (200 for DeepSOZ, 40 for
        CNN-BLSTM).
    pre_dim : int
        Size of the BiLSTM's per-window input (200 for DeepSOZ, 40 for CNN-BLSTM).
    metadata : dict, optional
        Stored as JSON under ``szxai.detector``.
    """
    fields = [
        ("crop_id", pa.string()),
        ("recording_id", pa.string()),
        ("subject", pa.string()),
        ("window_index", pa.int16()),
        ("start_s", pa.float64()),
        ("label", pa.int8()),
        ("is_pad", pa.bool_()),
        ("p_sz", pa.float32()),
        ("h", pa.list_(pa.float32(), latent_dim)),
        ("h_pre", pa.list_(pa.float32(), pre_dim)),
        ("h_random", pa.list_(pa.float32(), latent_dim)),
    ]
    encoded = None if metadata is None else {METADATA_KEY: json.dumps(metadata, sort_keys=True)}
    return pa.schema(fields, metadata=encoded)


class FrozenWindows(NamedTuple):
    """What the frozen detector (and its random control) give for one crop.

    Attributes
    ----------
    crop : CropData
    p_sz : ndarray of float32, shape (T,)
    h : ndarray of float32, shape (T, latent_dim)
    h_pre : ndarray of float32, shape (T, pre_dim)
    h_random : ndarray of float32, shape (T, latent_dim), or None
        None when no control model was given.
    """

    crop: CropData
    p_sz: np.ndarray
    h: np.ndarray
    h_pre: np.ndarray
    h_random: np.ndarray | None


def _vectors(values: np.ndarray) -> pa.FixedSizeListArray:
    """(T, d) float32 -> a fixed-size list column of T rows of d values."""
    flat = pa.array(np.ascontiguousarray(values, dtype=np.float32).reshape(-1), pa.float32())
    return pa.FixedSizeListArray.from_arrays(flat, values.shape[1])


def crop_latent_table(out: FrozenWindows, schema: pa.Schema) -> pa.Table:
    """Arrow table of one crop's windows.

    Parameters
    ----------
    out : FrozenWindows
        With ``h_random`` set.
    schema : pa.Schema
        From :func:`latent_schema`.
    """
    if out.h_random is None:
        raise ValueError("crop_latent_table needs the random control's latents (h_random)")
    crop, n = out.crop, len(out.p_sz)
    ref = crop.ref
    columns = {
        "crop_id": pa.array([ref.crop_id] * n, pa.string()),
        "recording_id": pa.array([ref.recording_id] * n, pa.string()),
        "subject": pa.array([ref.subject] * n, pa.string()),
        "window_index": pa.array(crop.window_index.astype(np.int16)),
        "start_s": pa.array(crop.start_s.astype(np.float64)),
        "label": pa.array(crop.label.astype(np.int8)),
        "is_pad": pa.array(crop.is_pad.astype(bool)),
        "p_sz": pa.array(out.p_sz.astype(np.float32)),
        "h": _vectors(out.h),
        "h_pre": _vectors(out.h_pre),
        "h_random": _vectors(out.h_random),
    }
    return pa.table(columns, schema=schema)


@torch.inference_mode()
def run_frozen(
    model: nn.Module,
    windows: WindowFile,
    batch_crops: int,
    device: torch.device,
    control: nn.Module | None = None,
) -> Iterator[FrozenWindows]:
    """p_sz, h_t and the BiLSTM input of every crop of a window file, in file order.

    Parameters
    ----------
    model : nn.Module
        A frozen detector (eval mode).
    windows : WindowFile
    batch_crops : int
        Crops per forward pass; only these are in memory.
    device : torch.device
    control : nn.Module, optional
        A frozen detector run on the same batches (the random-init control);
        its latents are ``h_random``.

    Yields
    ------
    FrozenWindows
        One per crop, with the crop's own length T (batch padding removed).
    """
    for name, net in (("model", model), ("control", control)):
        if net is not None and net.training:
            raise ValueError(f"run_frozen needs a frozen {name} (eval mode): dropout would be on")
    refs = windows.crops
    for first in range(0, len(refs), batch_crops):
        crops = [windows.read(r) for r in refs[first : first + batch_crops]]
        batch = make_batch([(c.eeg, c.label, c.is_pad) for c in crops], device)
        out = model(batch.eeg, batch.pad)
        p_sz = _numpy(torch.softmax(out.logits.float(), dim=-1)[..., 1])
        latents, pre = _numpy(out.latents), _numpy(out.pre)
        random = None if control is None else _numpy(control(batch.eeg, batch.pad).latents)
        for i, crop in enumerate(crops):
            n = len(crop.label)
            yield FrozenWindows(
                crop, p_sz[i, :n], latents[i, :n], pre[i, :n],
                None if random is None else random[i, :n],
            )  # fmt: skip


def _numpy(values: torch.Tensor) -> np.ndarray:
    return values.float().cpu().numpy()


def extract_latents(
    model: nn.Module,
    windows: WindowFile,
    out_path: str | Path,
    metadata: dict,
    batch_crops: int = 4,
    device: torch.device | None = None,
    desc: str = "extract",
    *,
    control: nn.Module,
) -> Extraction:
    """Write p_sz, h_t, the BiLSTM input and the control's h_t of every window to ``out_path``.

    Crops are streamed: a few are in memory at a time. The AUROC is only known
    at the end, so the rows go to a sibling ``.partial`` file first and are then
    copied, row group by row group, under the final schema metadata.

    Parameters
    ----------
    model : nn.Module
        Frozen detector with ``latent_dim`` and ``pre_dim`` attributes.
    windows : WindowFile
        Usually the ``cv`` cohort.
    out_path : str or Path
        The Parquet file; the caller makes it atomic (e.g. inside
        :func:`pipeline.io.atomic.atomic_path`).
    metadata : dict
        Provenance stored under ``szxai.detector``; ``latent_dim``, ``pre_dim``
        and ``auroc`` are added.
    batch_crops : int
    device : torch.device, optional
        Defaults to the device of the model's parameters.
    desc : str
        Progress bar label.
    control : nn.Module
        Frozen random-init detector of the same architecture (``h_random``).

    Returns
    -------
    Extraction
    """
    if control.latent_dim != model.latent_dim:
        raise ValueError(
            f"control latent size {control.latent_dim} != detector latent size {model.latent_dim}"
        )
    started = time.perf_counter()
    out_path = Path(out_path)
    partial = out_path.with_name(out_path.name + ".partial")
    device = device or next(model.parameters()).device
    schema = latent_schema(model.latent_dim, model.pre_dim)
    scores, labels = [], []
    n_windows = n_pad = 0
    with pq.ParquetWriter(partial, schema, **_WRITER_OPTIONS) as writer:
        frozen = run_frozen(model, windows, batch_crops, device, control)
        for out in tqdm(frozen, total=len(windows), desc=desc, unit="crop"):
            writer.write_table(crop_latent_table(out, schema))
            keep = ~out.crop.is_pad
            scores.append(out.p_sz[keep])
            labels.append(out.crop.label[keep])
            n_windows += len(out.p_sz)
            n_pad += int(out.crop.is_pad.sum())
    auroc = window_auroc(labels, scores)
    dims = {"latent_dim": model.latent_dim, "pre_dim": model.pre_dim}
    final_schema = latent_schema(
        model.latent_dim, model.pre_dim, {**metadata, **dims, "auroc": auroc}
    )
    _copy_with_schema(partial, out_path, final_schema)
    partial.unlink()
    return Extraction(
        auroc=auroc,
        n_crops=len(windows),
        n_windows=n_windows,
        n_pad_windows=n_pad,
        n_seizure_windows=int(sum(int(y.sum()) for y in labels)),
        seconds=time.perf_counter() - started,
    )


def _copy_with_schema(source: Path, target: Path, schema: pa.Schema) -> None:
    # Row group by row group: keeps the one-row-group-per-crop layout and memory flat.
    reader = pq.ParquetFile(source)
    with pq.ParquetWriter(target, schema, **_WRITER_OPTIONS) as writer:
        for group in range(reader.num_row_groups):
            writer.write_table(reader.read_row_group(group).cast(schema))


def read_detector_metadata(path: str | Path) -> dict:
    """The ``szxai.detector`` record of a latents file."""
    return json.loads(pq.read_schema(path).metadata[METADATA_KEY])
