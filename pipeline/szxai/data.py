"""The training data of one detector: padded crop tensors, patient labels, concepts.

A cv-cohort crop is one row of every array below; windows are padded to the
longest crop and masked, so a whole fold (or a batch of crops) is one tensor.
A patient's concept labels apply to each of their crops (spec section 3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import torch
from sklearn.preprocessing import StandardScaler

_LATENT_COLUMNS = ["crop_id", "subject", "window_index", "label", "is_pad", "p_sz"]


@dataclass(frozen=True)
class ConceptSpace:
    """The fixed concept embeddings E and the side of each concept.

    Attributes
    ----------
    names : list of str, length N
    embeddings : ndarray of float32, shape (N, d_e)
    seizure : ndarray of bool, shape (N,)
        True for seizure concepts (pooled over seizure windows), False for
        non-seizure concepts.
    """

    names: list[str]
    embeddings: np.ndarray
    seizure: np.ndarray

    @property
    def n_concepts(self) -> int:
        return len(self.names)


@dataclass(frozen=True)
class Crops:
    """Padded, masked per-window detector outputs of a set of crops.

    Attributes
    ----------
    crop_ids, subjects : list of str, length n
    h : ndarray of float32, shape (n, T, d_h)
        Frozen detector latents (d_h = 200 for DeepSOZ, 40 for CNN-BLSTM).
    p_sz : ndarray of float32, shape (n, T)
        Detector seizure probability per window.
    seizure : ndarray of bool, shape (n, T)
        Ground-truth seizure windows (the annotation, not the detector).
    mask : ndarray of bool, shape (n, T)
        Real windows; False for padding.
    window_index : ndarray of int64, shape (n, T)
    labels : ndarray of float32, shape (n, N)
        The patient's concept labels, repeated for each of their crops.
    """

    crop_ids: list[str]
    subjects: list[str]
    h: np.ndarray
    p_sz: np.ndarray
    seizure: np.ndarray
    mask: np.ndarray
    window_index: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.crop_ids)

    def subset(self, rows: np.ndarray | list[int]) -> Crops:
        """The crops at positions ``rows``, in that order."""
        rows = np.asarray(rows, dtype=int)
        return Crops(
            crop_ids=[self.crop_ids[i] for i in rows],
            subjects=[self.subjects[i] for i in rows],
            h=self.h[rows],
            p_sz=self.p_sz[rows],
            seizure=self.seizure[rows],
            mask=self.mask[rows],
            window_index=self.window_index[rows],
            labels=self.labels[rows],
        )

    def of_subjects(self, subjects: set[str]) -> Crops:
        """The crops of the given patients, in file order."""
        return self.subset([i for i, s in enumerate(self.subjects) if s in subjects])

    def to_tensors(self, device: torch.device) -> CropTensors:
        """The arrays as torch tensors on ``device`` (moved once per fold)."""
        return CropTensors(
            h=torch.from_numpy(self.h).to(device),
            p_sz=torch.from_numpy(self.p_sz).to(device),
            seizure=torch.from_numpy(self.seizure).to(device),
            mask=torch.from_numpy(self.mask).to(device),
            labels=torch.from_numpy(self.labels).to(device),
        )


def latent_moments(parts: Sequence[Crops]) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of every latent dimension over the real windows of ``parts``.

    sklearn's :class:`~sklearn.preprocessing.StandardScaler`, fitted part by
    part: the same standardisation as the reference rows' probes, constant
    dimensions included.

    Parameters
    ----------
    parts : sequence of Crops
        The training crops of a fold (its training and inner-validation parts).

    Returns
    -------
    mean, scale : ndarray of float32, shape (d_h,)
        ``scale`` is the population standard deviation, 1 where a dimension is
        constant (nothing to rescale).
    """
    scaler = StandardScaler()
    for part in parts:
        real = part.h[part.mask]
        if len(real):
            scaler.partial_fit(real)
    if not hasattr(scaler, "mean_"):
        raise ValueError("no real window to standardise the latents by")
    return scaler.mean_.astype(np.float32), scaler.scale_.astype(np.float32)


@dataclass(frozen=True)
class CropTensors:
    """:class:`Crops` on a torch device; same shapes, indexable by crop."""

    h: torch.Tensor
    p_sz: torch.Tensor
    seizure: torch.Tensor
    mask: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return self.h.shape[0]

    def rows(self, index: torch.Tensor) -> CropTensors:
        """The crops at ``index`` (a 1-D long tensor)."""
        return CropTensors(
            self.h[index], self.p_sz[index], self.seizure[index], self.mask[index],
            self.labels[index],
        )  # fmt: skip

    def windows(self, index: torch.Tensor) -> CropTensors:
        """Per crop, the windows at ``index`` of shape (n, K) (for window sampling)."""
        gather = torch.gather
        h_index = index.unsqueeze(-1).expand(-1, -1, self.h.shape[-1])
        return CropTensors(
            gather(self.h, 1, h_index), gather(self.p_sz, 1, index),
            gather(self.seizure, 1, index), gather(self.mask, 1, index), self.labels,
        )  # fmt: skip


def read_concepts(bank_path: str | Path) -> ConceptSpace:
    """The concept bank written by the ``concepts`` stage, in index order."""
    bank = pl.read_parquet(bank_path, columns=["index", "name", "side", "embedding"]).sort("index")
    sides = bank["side"].to_list()
    unknown = sorted(set(sides) - {"seizure", "non-seizure"})
    if unknown:
        raise ValueError(f"{bank_path}: unknown concept side(s) {unknown}")
    return ConceptSpace(
        names=bank["name"].to_list(),
        embeddings=np.stack(bank["embedding"].to_numpy()).astype(np.float32),
        seizure=np.array([s == "seizure" for s in sides]),
    )


def read_labels(labels_path: str | Path) -> dict[str, np.ndarray]:
    """Per-patient binary concept vectors written by the ``labels`` stage."""
    table = pl.read_parquet(labels_path, columns=["subject", "labels"])
    return {
        subject: np.asarray(vector, dtype=np.float32)
        for subject, vector in zip(table["subject"], table["labels"].to_list(), strict=True)
    }


def read_crops(
    latents_path: str | Path,
    labels: dict[str, np.ndarray],
    subjects: set[str],
    layer: str = "h",
) -> Crops:
    """Padded tensors of the crops of ``subjects`` that have concept labels.

    Parameters
    ----------
    latents_path : str or Path
        ``latents.parquet`` of one detector (one row per window, rows ordered
        by crop then window).
    labels : dict of str -> ndarray of shape (N,)
        From :func:`read_labels`; crops of unlabelled patients are skipped
        (they have no note, spec section 3).
    subjects : set of str
        The cv-cohort patients in the folds file.
    layer : {"h", "h_pre"}
        Which per-window vectors become ``Crops.h``: the BiLSTM output or the
        layer feeding it (``detector.<name>.latent_layer``).

    Returns
    -------
    Crops
    """
    wanted = sorted(s for s in subjects if s in labels)
    table = pq.read_table(
        latents_path, columns=[*_LATENT_COLUMNS, layer], filters=[("subject", "in", wanted)]
    )
    if table.num_rows == 0:
        raise ValueError(f"{latents_path}: no windows of the {len(wanted)} labelled cv patients")
    crop_ids = table.column("crop_id").to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(np.r_[True, crop_ids[1:] != crop_ids[:-1]])
    if len(np.unique(crop_ids)) != len(starts):
        raise ValueError(f"{latents_path}: the windows of a crop are not contiguous")
    lengths = np.diff(np.r_[starts, len(crop_ids)])
    n, t_max = len(starts), int(lengths.max())
    h_flat = table.column(layer).combine_chunks().flatten().to_numpy()
    h_all = h_flat.reshape(table.num_rows, -1)
    # Row r of the file goes to (crop, position within crop).
    crop_of_row = np.repeat(np.arange(n), lengths)
    pos_of_row = np.arange(table.num_rows) - np.repeat(starts, lengths)

    def padded(values: np.ndarray, dtype, fill=0) -> np.ndarray:
        out = np.full((n, t_max, *values.shape[1:]), fill, dtype=dtype)
        out[crop_of_row, pos_of_row] = values
        return out

    is_pad = table.column("is_pad").to_numpy()
    subjects_of_crop = table.column("subject").to_numpy(zero_copy_only=False)[starts].tolist()
    return Crops(
        crop_ids=crop_ids[starts].tolist(),
        subjects=subjects_of_crop,
        h=padded(h_all, np.float32),
        p_sz=padded(table.column("p_sz").to_numpy(), np.float32),
        seizure=padded((table.column("label").to_numpy() == 1) & ~is_pad, bool, False),
        mask=padded(~is_pad, bool, False),
        window_index=padded(table.column("window_index").to_numpy(), np.int64, -1),
        labels=np.stack([labels[s] for s in subjects_of_crop]).astype(np.float32),
    )


#: Held-out predictions of a fold (and of the test cohort, ``heldout@<detector>``).
PREDICTIONS_FILE = "predictions.parquet"


def predictions_schema(n_concepts: int) -> dict[str, pl.DataType]:
    """Columns of a predictions file: method, crop, patient, N probabilities, N labels."""
    return {"method": pl.String, "crop_id": pl.String, "subject": pl.String,
            "probs": pl.Array(pl.Float32, n_concepts),
            "labels": pl.Array(pl.Int8, n_concepts)}  # fmt: skip
