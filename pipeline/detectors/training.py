"""Training of a detector on the ``pretrain`` cohort, or loading of a checkpoint; freezing.

Training follows spec section 5: class-weighted cross-entropy (background 0.2,
seizure 0.8), Adam, early stopping on subjects held out of the pretrain cohort.
Padding windows never enter the loss. Crops are streamed from the window file a
few at a time; each epoch draws random sub-crops of ``train_windows`` windows
from every training crop (a share of them over a seizure, so that short
seizures are trained on), so one epoch costs a fraction of a full pass while
every part of every crop is seen over the epochs.
"""

from __future__ import annotations

import copy
import math
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from pipeline.config import DetectorTrainParams
from pipeline.datasets.folds import split_subjects
from pipeline.detectors import DETECTORS
from pipeline.hashing import sha256_file
from pipeline.io.windows import CropData, CropRef, WindowFile
from pipeline.metrics import binary_auroc


@dataclass
class TrainingSummary:
    """How the frozen detector was obtained.

    Attributes
    ----------
    source : str
        ``trained`` or ``checkpoint``.
    history : list of dict
        One entry per epoch: train loss, validation loss and AUROC.
    """

    source: str
    device: str
    seconds: float
    epochs_run: int = 0
    best_epoch: int | None = None
    best_val_loss: float | None = None
    n_train_subjects: int = 0
    n_val_subjects: int = 0
    checkpoint: str | None = None
    checkpoint_sha256: str | None = None
    history: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Batch:
    """A batch of (sub-)crops on the target device.

    Attributes
    ----------
    eeg : Tensor of float32, shape (B, T, 19, 200)
    label : Tensor of int64, shape (B, T)
    pad : Tensor of bool, shape (B, T)
        True for padding, trailing in each crop.
    """

    eeg: torch.Tensor
    label: torch.Tensor
    pad: torch.Tensor


def make_batch(pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray]], device) -> Batch:
    """Stack (eeg, label, is_pad) pieces, padding shorter ones at the end.

    Parameters
    ----------
    pieces : list of (ndarray (T_i, 19, 200), ndarray (T_i,), ndarray (T_i,))
    device : torch.device
    """
    n_windows = max(len(label) for _, label, _ in pieces)
    eeg = np.zeros((len(pieces), n_windows, *pieces[0][0].shape[1:]), np.float32)
    label = np.zeros((len(pieces), n_windows), np.int64)
    pad = np.ones((len(pieces), n_windows), bool)
    for i, (x, y, p) in enumerate(pieces):
        eeg[i, : len(y)], label[i, : len(y)], pad[i, : len(y)] = x, y, p
    return Batch(
        torch.from_numpy(eeg).to(device),
        torch.from_numpy(label).to(device),
        torch.from_numpy(pad).to(device),
    )


def weighted_loss(
    logits: torch.Tensor, label: torch.Tensor, pad: torch.Tensor, weights: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Class-weighted cross-entropy summed over non-padding windows.

    Parameters
    ----------
    logits : Tensor, shape (B, T, 2)
    label : Tensor of int64, shape (B, T)
    pad : Tensor of bool, shape (B, T)
    weights : Tensor, shape (2,)

    Returns
    -------
    loss_sum, weight_sum : Tensor
        ``loss_sum / weight_sum`` is torch's weighted mean; the two are kept
        apart so that validation can average over many batches exactly.
    """
    keep = ~pad
    loss = nn.functional.cross_entropy(logits[keep], label[keep], weight=weights, reduction="sum")
    return loss, weights[label[keep]].sum()


def draw_subcrops(
    crop: CropData,
    length: int,
    count: int,
    rng: np.random.Generator,
    seizure_share: float = 0.0,
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Window ranges of one crop (the whole crop when it is shorter).

    Each of the ``count`` sub-crops is, with probability ``seizure_share`` when
    the crop has seizure windows, placed at a uniform offset around one of
    them (drawn uniformly), so that it contains it; otherwise it starts
    uniformly at random.
    """
    n_windows = len(crop.label)
    length = min(length, n_windows)
    starts = rng.integers(0, n_windows - length + 1, size=count)
    seizure = np.flatnonzero(crop.label == 1)
    if len(seizure) and seizure_share > 0:
        centred = rng.random(count) < seizure_share
        anchor = seizure[rng.integers(len(seizure), size=count)]
        around = anchor - rng.integers(0, length, size=count)
        starts = np.where(centred, np.clip(around, 0, n_windows - length), starts)
    return [
        (crop.eeg[s : s + length], crop.label[s : s + length], crop.is_pad[s : s + length])
        for s in starts.tolist()
    ]


def training_batches(
    windows: WindowFile,
    refs: list[CropRef],
    params: DetectorTrainParams,
    rng: np.random.Generator,
    device: torch.device,
) -> Iterator[Batch]:
    """One epoch of sub-crop batches, in a seeded random order.

    Crops are read ``batch_crops`` at a time (each once per epoch); their
    sub-crops are shuffled together and cut into batches, so a batch mixes
    crops and memory holds only a few crops.
    """
    order = rng.permutation(len(refs))
    group = params.batch_crops
    for first in range(0, len(order), group):
        pieces = []
        for i in order[first : first + group].tolist():
            crop = windows.read(refs[i])
            pieces += draw_subcrops(
                crop, params.train_windows, params.subcrops_per_crop, rng,
                params.seizure_subcrop_share,
            )  # fmt: skip
        shuffled = [pieces[j] for j in rng.permutation(len(pieces)).tolist()]
        for start in range(0, len(shuffled), params.batch_crops):
            yield make_batch(shuffled[start : start + params.batch_crops], device)


def n_training_batches(n_crops: int, params: DetectorTrainParams) -> int:
    """Number of batches :func:`training_batches` yields (for the progress bar)."""
    full, rest = divmod(n_crops, params.batch_crops)
    # A full group of crops gives exactly subcrops_per_crop batches.
    return full * params.subcrops_per_crop + math.ceil(
        rest * params.subcrops_per_crop / params.batch_crops
    )


def _fmt(value) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


@torch.inference_mode()
def evaluate(
    model: nn.Module,
    windows: WindowFile,
    refs: list[CropRef],
    weights: torch.Tensor,
    batch_crops: int,
    device: torch.device,
) -> dict:
    """Weighted loss and window-level AUROC on whole crops, in eval mode.

    Returns
    -------
    dict
        ``loss`` (weighted mean over non-padding windows) and ``auroc`` (None
        when the windows hold a single class).
    """
    was_training = model.training
    model.eval()
    loss_sum = weight_sum = 0.0
    scores, labels = [], []
    for first in range(0, len(refs), batch_crops):
        crops = [windows.read(r) for r in refs[first : first + batch_crops]]
        batch = make_batch([(c.eeg, c.label, c.is_pad) for c in crops], device)
        logits = model(batch.eeg, batch.pad).logits
        loss, weight = weighted_loss(logits, batch.label, batch.pad, weights)
        loss_sum, weight_sum = loss_sum + loss.item(), weight_sum + weight.item()
        keep = ~batch.pad
        scores.append(torch.softmax(logits, -1)[..., 1][keep].float().cpu().numpy())
        labels.append(batch.label[keep].cpu().numpy())
    model.train(was_training)
    return {"loss": loss_sum / max(weight_sum, 1e-12), "auroc": window_auroc(labels, scores)}


def window_auroc(labels: list[np.ndarray], scores: list[np.ndarray]) -> float | None:
    """Window-level AUROC, or None when only one class is present."""
    if not labels:
        return None
    return binary_auroc(np.concatenate(labels), np.concatenate(scores))


def _train_epoch(model, optimizer, batches, n_batches, weights, desc) -> float:
    model.train()
    loss_sum = weight_sum = 0.0
    progress = tqdm(batches, total=n_batches, desc=desc, unit="batch", leave=False)
    for batch in progress:
        logits = model(batch.eeg, batch.pad).logits
        loss, weight = weighted_loss(logits, batch.label, batch.pad, weights)
        if weight.item() == 0:  # only padding windows
            continue
        optimizer.zero_grad(set_to_none=True)
        (loss / weight).backward()
        optimizer.step()
        loss_sum, weight_sum = loss_sum + loss.item(), weight_sum + weight.item()
        progress.set_postfix(loss=f"{loss_sum / weight_sum:.4f}")
    return loss_sum / max(weight_sum, 1e-12)


def train_detector(
    name: str,
    windows: WindowFile,
    params: DetectorTrainParams,
    seed: int,
    device: torch.device,
) -> tuple[nn.Module, TrainingSummary]:
    """Train a detector on the crops of a window file.

    Parameters
    ----------
    name : str
        Key of :data:`pipeline.detectors.DETECTORS`.
    windows : WindowFile
        The ``pretrain`` cohort.
    params : DetectorTrainParams
    seed : int
        Seeds the weights, dropout, the subject split and the data order.
    device : torch.device

    Returns
    -------
    model : nn.Module
        The weights of the epoch with the lowest validation loss (of the last
        epoch without validation subjects), in training mode.
    summary : TrainingSummary
    """
    started = time.perf_counter()
    torch.manual_seed(seed)
    if device.type == "cuda":
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    model = DETECTORS[name]().to(device)
    train_subjects, val_subjects = split_subjects(
        [r.subject for r in windows.crops], params.val_fraction, rng
    )
    train_refs = [r for r in windows.crops if r.subject in train_subjects]
    val_refs = [r for r in windows.crops if r.subject in val_subjects]
    weights = torch.tensor(params.class_weights, dtype=torch.float32, device=device)
    optimizer = torch.optim.Adam(model.parameters(), lr=params.lr)
    summary = TrainingSummary(
        "trained",
        str(device),
        0.0,
        n_train_subjects=len(train_subjects),
        n_val_subjects=len(val_subjects),
    )
    best_state, stale = None, 0
    n_batches = n_training_batches(len(train_refs), params)
    for epoch in range(1, params.epochs + 1):
        batches = training_batches(windows, train_refs, params, rng, device)
        desc = f"{name} epoch {epoch}/{params.epochs}"
        train_loss = _train_epoch(model, optimizer, batches, n_batches, weights, desc)
        entry = {"epoch": epoch, "train_loss": train_loss}
        if val_refs:
            val = evaluate(model, windows, val_refs, weights, params.eval_batch_crops, device)
            entry |= {"val_loss": val["loss"], "val_auroc": val["auroc"]}
        summary.history.append(entry)
        summary.epochs_run = epoch
        tqdm.write(f"{name} " + ", ".join(f"{k} {_fmt(v)}" for k, v in entry.items()))
        if not val_refs:
            continue
        if summary.best_val_loss is None or entry["val_loss"] < summary.best_val_loss:
            summary.best_val_loss, summary.best_epoch, stale = entry["val_loss"], epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            stale += 1
            if stale >= params.patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    else:
        summary.best_epoch = summary.epochs_run
    summary.seconds = time.perf_counter() - started
    return model, summary


def load_checkpoint(name: str, path: str | Path, device: torch.device) -> nn.Module:
    """A detector with the weights of a published or saved ``state_dict``.

    Parameters
    ----------
    name : str
        Key of :data:`pipeline.detectors.DETECTORS`.
    path : str or Path
        A ``torch.save``-d state_dict; wrappers ``{"state_dict": ...}`` and
        ``module.`` prefixes (DataParallel) are accepted. Loaded with
        ``strict=True``: any missing or unexpected key is an error. Tensors of
        another float dtype are cast to the model's float32.

    Returns
    -------
    nn.Module
    """
    state = torch.load(path, map_location="cpu", weights_only=True)
    for key in ("state_dict", "model_state_dict"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    state = {k.removeprefix("module."): v for k, v in state.items()}
    model = DETECTORS[name]()
    model.load_state_dict(state, strict=True)
    return model.to(device)


def freeze(model: nn.Module) -> nn.Module:
    """Evaluation mode (dropout off, BatchNorm statistics fixed) and no gradients."""
    model.eval()
    model.requires_grad_(False)
    return model


def random_seed(seed: int, name: str) -> int:
    """Seed of the random-init control of detector ``name`` (its own stream, not training's)."""
    return zlib.crc32(f"{seed}:{name}:random-init".encode())


def random_detector(name: str, seed: int, device: torch.device) -> nn.Module:
    """A frozen, randomly initialised detector of the same architecture (spec section 11).

    Its latents are the ``probe-random`` control of Table 1: what the
    architecture and the input statistics give without any training. The
    weights are PyTorch's default initialisation drawn from
    :func:`random_seed`, inside a forked RNG so the caller's stream is
    untouched; BatchNorm keeps its initial statistics (mean 0, variance 1),
    as a never-trained network would in ``eval()``.

    Parameters
    ----------
    name : str
        Key of :data:`pipeline.detectors.DETECTORS`.
    seed : int
        The pipeline seed.
    device : torch.device

    Returns
    -------
    nn.Module
        Frozen (see :func:`freeze`); the same weights for the same seed.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(random_seed(seed, name))
        model = DETECTORS[name]()
    return freeze(model.to(device))


def obtain_detector(
    name: str,
    pretrain: WindowFile | None,
    params: DetectorTrainParams,
    seed: int,
    device: torch.device,
) -> tuple[nn.Module, TrainingSummary]:
    """The frozen detector: loaded from ``params.checkpoint`` or trained on ``pretrain``.

    Parameters
    ----------
    name : str
    pretrain : WindowFile or None
        Needed only when there is no checkpoint.
    params : DetectorTrainParams
    seed : int
    device : torch.device

    Returns
    -------
    model : nn.Module
        Frozen (see :func:`freeze`).
    summary : TrainingSummary
    """
    if params.checkpoint is not None:
        started = time.perf_counter()
        model = load_checkpoint(name, params.checkpoint, device)
        summary = TrainingSummary(
            "checkpoint",
            str(device),
            time.perf_counter() - started,
            checkpoint=str(params.checkpoint),
            checkpoint_sha256=sha256_file(params.checkpoint),
        )
        return freeze(model), summary
    if pretrain is None:
        raise ValueError(f"detector.{name}: no checkpoint and no pretrain windows to train on")
    model, summary = train_detector(name, pretrain, params, seed, device)
    return freeze(model), summary
