"""Per-window p_sz and latents h_t of a frozen detector, streamed into Parquet.

Output (one row per window, rows ordered by crop then window, one row group per
crop): ``crop_id``, ``recording_id``, ``subject``, ``window_index`` (int16),
``start_s`` (float64), ``label`` (int8, ground truth), ``is_pad`` (bool),
``p_sz`` (float32, softmax of the two logits, seizure class) and ``h`` (fixed-size
list of float32, the detector's latent size). The file's schema metadata holds,
under ``szxai.detector``, a JSON record: detector, latent size, window-level
AUROC on the file's non-padding windows, weight and checkpoint hashes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import torch
from torch import nn
from tqdm import tqdm

from pipeline.detectors.data import CropData, WindowFile
from pipeline.detectors.training import make_batch, window_auroc

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


def latent_schema(latent_dim: int, metadata: dict | None = None) -> pa.Schema:
    """Arrow schema of ``latents.parquet``.

    Parameters
    ----------
    latent_dim : int
        Size of h_t (200 for DeepSOZ, 40 for CNN-BLSTM).
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
    ]
    encoded = None if metadata is None else {METADATA_KEY: json.dumps(metadata, sort_keys=True)}
    return pa.schema(fields, metadata=encoded)


def crop_latent_table(
    crop: CropData, p_sz: np.ndarray, h: np.ndarray, schema: pa.Schema
) -> pa.Table:
    """Arrow table of one crop's windows.

    Parameters
    ----------
    crop : CropData
    p_sz : ndarray of float32, shape (T,)
    h : ndarray of float32, shape (T, latent_dim)
    schema : pa.Schema
    """
    n = len(p_sz)
    ref = crop.ref
    flat = pa.array(np.ascontiguousarray(h, dtype=np.float32).reshape(-1), pa.float32())
    columns = {
        "crop_id": pa.array([ref.crop_id] * n, pa.string()),
        "recording_id": pa.array([ref.recording_id] * n, pa.string()),
        "subject": pa.array([ref.subject] * n, pa.string()),
        "window_index": pa.array(crop.window_index.astype(np.int16)),
        "start_s": pa.array(crop.start_s.astype(np.float64)),
        "label": pa.array(crop.label.astype(np.int8)),
        "is_pad": pa.array(crop.is_pad.astype(bool)),
        "p_sz": pa.array(p_sz.astype(np.float32)),
        "h": pa.FixedSizeListArray.from_arrays(flat, h.shape[1]),
    }
    return pa.table(columns, schema=schema)


@torch.inference_mode()
def run_frozen(
    model: nn.Module, windows: WindowFile, batch_crops: int, device: torch.device
) -> Iterator[tuple[CropData, np.ndarray, np.ndarray]]:
    """p_sz and h_t of every crop of a window file, in file order.

    Parameters
    ----------
    model : nn.Module
        A frozen detector (eval mode).
    windows : WindowFile
    batch_crops : int
        Crops per forward pass; only these are in memory.
    device : torch.device

    Yields
    ------
    crop : CropData
    p_sz : ndarray of float32, shape (T,)
    h : ndarray of float32, shape (T, latent_dim)
    """
    if model.training:
        raise ValueError("run_frozen needs a frozen model (eval mode): dropout would be on")
    refs = windows.crops
    for first in range(0, len(refs), batch_crops):
        crops = [windows.read(r) for r in refs[first : first + batch_crops]]
        batch = make_batch([(c.eeg, c.label, c.is_pad) for c in crops], device)
        out = model(batch.eeg, batch.pad)
        p_sz = torch.softmax(out.logits.float(), dim=-1)[..., 1].cpu().numpy()
        latents = out.latents.float().cpu().numpy()
        for i, crop in enumerate(crops):
            n = len(crop.label)
            yield crop, p_sz[i, :n], latents[i, :n]


def extract_latents(
    model: nn.Module,
    windows: WindowFile,
    out_path: str | Path,
    metadata: dict,
    batch_crops: int = 4,
    device: torch.device | None = None,
    desc: str = "extract",
) -> Extraction:
    """Write p_sz and h_t of every window of ``windows`` to ``out_path``.

    Crops are streamed: a few are in memory at a time. The AUROC is only known
    at the end, so the rows go to a sibling ``.partial`` file first and are then
    copied, row group by row group, under the final schema metadata.

    Parameters
    ----------
    model : nn.Module
        Frozen detector with a ``latent_dim`` attribute.
    windows : WindowFile
        Usually the ``cv`` cohort.
    out_path : str or Path
        The Parquet file; the caller makes it atomic (e.g. inside
        :func:`pipeline.io.atomic.atomic_path`).
    metadata : dict
        Provenance stored under ``szxai.detector``; ``latent_dim`` and ``auroc``
        are added.
    batch_crops : int
    device : torch.device, optional
        Defaults to the device of the model's parameters.
    desc : str
        Progress bar label.

    Returns
    -------
    Extraction
    """
    started = time.perf_counter()
    out_path = Path(out_path)
    partial = out_path.with_name(out_path.name + ".partial")
    device = device or next(model.parameters()).device
    schema = latent_schema(model.latent_dim)
    scores, labels = [], []
    n_windows = n_pad = 0
    with pq.ParquetWriter(partial, schema, **_WRITER_OPTIONS) as writer:
        frozen = run_frozen(model, windows, batch_crops, device)
        for crop, p_sz, h in tqdm(frozen, total=len(windows), desc=desc, unit="crop"):
            writer.write_table(crop_latent_table(crop, p_sz, h, schema))
            keep = ~crop.is_pad
            scores.append(p_sz[keep])
            labels.append(crop.label[keep])
            n_windows += len(p_sz)
            n_pad += int(crop.is_pad.sum())
    auroc = window_auroc(labels, scores)
    final_schema = latent_schema(
        model.latent_dim, {**metadata, "latent_dim": model.latent_dim, "auroc": auroc}
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
