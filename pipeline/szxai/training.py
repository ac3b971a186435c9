"""Training one method on one fold: batched padded crops, Adam, optional early stopping.

Training is vectorised across crops: a step takes ``batch_crops`` whole crops
as one padded, masked tensor (the paper steps one patient at a time). The data
of a fold are moved to the device once; only index tensors move per step.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from pipeline.szxai.data import CropTensors
from pipeline.szxai.losses import knbc_loss, l2_penalty, prediction_loss
from pipeline.szxai.methods import Method
from pipeline.szxai.models import HeadOutput

#: Crops per forward pass when validating and predicting (no gradients kept).
EVAL_CHUNK = 32


@dataclass(frozen=True)
class Hyper:
    """The optimisation settings shared by every method.

    No defaults here: :func:`pipeline.szxai.run.hyper_from` builds it from the
    parameters, whose defaults live in :mod:`pipeline.config` only.

    Attributes
    ----------
    lambda1, lambda2 : float
        Weights of L_KNBC and of the L2 penalty.
    lr : float
        Adam learning rate.
    epochs : int
        Training epochs (an upper bound when early stopping is on).
    patience : int or None
        Epochs without a better validation loss before stopping; None trains
        every epoch and keeps the last weights.
    batch_crops : int
        Crops per optimiser step.
    tau : float
        L_KNBC temperature.
    train_windows : int or None
        Windows drawn at random per crop and step (None = every window).
    """

    lambda1: float
    lambda2: float
    lr: float
    epochs: int
    patience: int | None
    batch_crops: int
    tau: float
    train_windows: int | None


@dataclass
class FitResult:
    """A trained model (at its best validation epoch) and how it got there."""

    model: nn.Module
    epochs_run: int
    best_epoch: int
    best_val_loss: float
    seconds: float
    history: list[dict] = field(default_factory=list)


def method_loss(
    method: Method,
    model: nn.Module,
    output: HeadOutput,
    batch: CropTensors,
    weights: torch.Tensor,
    hyper: Hyper,
) -> tuple[torch.Tensor, dict[str, float]]:
    """L = L_CP + lambda1 L_KNBC + lambda2 L_reg for ``method`` on one batch.

    Returns
    -------
    loss : Tensor
        Scalar to minimise.
    parts : dict of str -> float
        ``cp``, ``knbc`` (0 without alignment) and ``reg`` values, for the history.
    """
    cp = prediction_loss(output.logits, batch.labels, weights if method.weighted_bce else None)
    loss, parts = cp, {"cp": float(cp.detach()), "knbc": 0.0, "reg": 0.0}
    if method.alignment and hyper.lambda1 > 0:
        knbc = knbc_loss(
            output.similarity, batch.seizure, batch.mask, batch.labels,
            model.seizure_concepts, hyper.tau,
        )  # fmt: skip
        loss = loss + hyper.lambda1 * knbc
        parts["knbc"] = float(knbc.detach())
    if hyper.lambda2 > 0:
        reg = l2_penalty(model)
        loss = loss + hyper.lambda2 * reg
        parts["reg"] = float(reg.detach())
    return loss, parts


def sample_windows(batch: CropTensors, n_windows: int, generator: torch.Generator) -> CropTensors:
    """Per crop, ``n_windows`` real windows drawn without replacement (padding last).

    Parameters
    ----------
    batch : CropTensors
        B crops of T windows.
    n_windows : int
        K; when K >= T the batch is returned unchanged.
    generator : torch.Generator
        CPU generator (the draw is the same on every device).

    Returns
    -------
    CropTensors
        B crops of K windows; a crop with fewer than K real windows keeps
        padding, still masked.
    """
    n_time = batch.mask.shape[1]
    if n_windows >= n_time:
        return batch
    keys = torch.rand(batch.mask.shape, generator=generator).to(batch.mask.device)
    keys = keys.masked_fill(~batch.mask, 2.0)  # real windows have keys < 1: drawn first
    index = keys.topk(n_windows, dim=1, largest=False).indices.sort(dim=1).values
    return batch.windows(index)


@torch.no_grad()
def validation_loss(
    method: Method, model: nn.Module, crops: CropTensors, weights: torch.Tensor
) -> float:
    """The method's own prediction loss (L_CP) on whole crops, in eval mode."""
    model.eval()
    logits = torch.cat([model(chunk).logits for chunk in _chunks(crops)])
    return float(prediction_loss(logits, crops.labels, weights if method.weighted_bce else None))


def _chunks(crops: CropTensors):
    device = crops.h.device
    for start in range(0, len(crops), EVAL_CHUNK):
        yield crops.rows(torch.arange(start, min(start + EVAL_CHUNK, len(crops)), device=device))


def fit(
    method: Method,
    model: nn.Module,
    train: CropTensors,
    val: CropTensors | None,
    weights: torch.Tensor,
    hyper: Hyper,
    seed: int,
) -> FitResult:
    """Train ``model`` with Adam for ``hyper.epochs``, or until early stopping.

    Parameters
    ----------
    method : Method
        Which loss terms apply.
    model : nn.Module
        Freshly built, on the device of the tensors.
    train : CropTensors
        Training crops.
    val : CropTensors or None
        Inner validation crops: their loss is recorded every epoch and, with
        ``hyper.patience``, stops training and picks the best epoch. Without
        validation crops or patience, training runs all ``hyper.epochs`` and
        keeps the last epoch.
    weights : Tensor, shape (N,)
        Training-fold concept weights of the weighted BCE.
    hyper : Hyper
    seed : int
        Seeds the crop order and window draws.

    Returns
    -------
    FitResult
        ``model`` is left in eval mode with its best weights.
    """
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=hyper.lr)
    has_val = val is not None and len(val) > 0
    early_stopping = has_val and hyper.patience is not None
    best_loss, best_epoch, best_state, waited = math.inf, 0, None, 0
    history, started = [], time.perf_counter()
    for epoch in range(1, hyper.epochs + 1):
        parts = _train_epoch(method, model, optimizer, train, weights, hyper, generator)
        val_loss = validation_loss(method, model, val, weights) if has_val else parts["cp"]
        history.append({"epoch": epoch, **parts, "val_cp": val_loss})
        if not early_stopping:
            continue
        if val_loss < best_loss - 1e-6:
            best_loss, best_epoch, waited = val_loss, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            waited += 1
        if waited >= hyper.patience:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    else:  # no early stopping (or no finite validation loss): the last epoch is kept
        best_loss, best_epoch = history[-1]["val_cp"], len(history)
    model.eval()
    seconds = time.perf_counter() - started
    return FitResult(model, len(history), best_epoch, best_loss, seconds, history)


def crop_batches(order: torch.Tensor, batch_crops: int) -> tuple[torch.Tensor, ...]:
    """Split a shuffled crop order into near-equal batches of at least ``batch_crops`` crops.

    The remainder is spread over the batches instead of left as a straggler:
    a batch of one crop would give the score normalisation nothing to
    standardise by. Fewer crops than ``batch_crops`` make one batch.

    Parameters
    ----------
    order : Tensor of int64, shape (n,)
    batch_crops : int

    Returns
    -------
    tuple of Tensor
        max(1, n // batch_crops) index tensors of batch_crops to 2 batch_crops - 1 crops.
    """
    return order.tensor_split(max(1, len(order) // batch_crops))


def _train_epoch(method, model, optimizer, train, weights, hyper, generator) -> dict[str, float]:
    model.train()
    device = train.h.device
    order = torch.randperm(len(train), generator=generator).to(device)
    totals: dict[str, float] = {}
    batches = crop_batches(order, hyper.batch_crops)
    for index in batches:
        batch = train.rows(index)
        if hyper.train_windows is not None:
            batch = sample_windows(batch, hyper.train_windows, generator)
        loss, parts = method_loss(method, model, model(batch), batch, weights, hyper)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        for key, value in parts.items():
            totals[key] = totals.get(key, 0.0) + value / len(batches)
    return totals


@torch.no_grad()
def predict(model: nn.Module, crops: CropTensors, with_windows: bool = False) -> dict:
    """Concept probabilities of whole crops, and optionally S_nt and h~_t.

    Returns
    -------
    dict
        ``probs`` ndarray (n, N); with ``with_windows`` also ``similarity``
        (n, T, N) and ``encodings`` (n, T, d_e), both float32 numpy arrays.
    """
    model.eval()
    outputs = [model(chunk, return_encodings=with_windows) for chunk in _chunks(crops)]
    result = {"probs": torch.cat([torch.sigmoid(o.logits) for o in outputs]).cpu().numpy()}
    if with_windows:
        result["similarity"] = torch.cat([o.similarity for o in outputs]).cpu().numpy()
        result["encodings"] = torch.cat([o.encodings for o in outputs]).cpu().numpy()
    return result


def method_seed(seed: int, fold: int, method_index: int) -> int:
    """A seed per (fold, method), independent of the other methods in the run."""
    return int(np.random.SeedSequence([seed, fold, method_index]).generate_state(1)[0])
