"""Training every method of a fold at once: stacked heads, batched padded crops, Adam.

Training is vectorised twice: across methods (the slots of a
:class:`~pipeline.szxai.methods.MethodStack`, computed by batched matrix
products) and across crops (a step takes ``batch_crops`` whole crops as one
padded, masked tensor; the paper steps one patient at a time). The data of a
fold are moved to the device once; only index tensors move per step.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from pipeline.metrics import macro_auroc
from pipeline.szxai.data import CropTensors
from pipeline.szxai.losses import knbc_loss, l2_penalty, prediction_loss
from pipeline.szxai.methods import MethodStack
from pipeline.szxai.models import HeadOutput

#: Crops per forward pass when validating and predicting (no gradients kept).
EVAL_CHUNK = 32


@dataclass(frozen=True)
class Hyper:
    """The optimisation settings shared by every method.

    No defaults here: :func:`pipeline.stages.train.hyper_from` builds it from the
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
    l2_all_layers : bool
        L_reg over every Linear layer (the paper) instead of those whose
        scale the loss can see (:func:`~pipeline.szxai.losses.l2_penalty`).
    knbc_bounded : bool
        L_KNBC with the positive in its denominator
        (:func:`~pipeline.szxai.losses.knbc_loss`).
    refit_score_norm : bool
        After training, re-estimate the window heads' score normalisation
        from the whole training crops
        (:meth:`~pipeline.szxai.methods.MethodStack.refit_score_norms`).
    """

    lambda1: float
    lambda2: float
    lr: float
    epochs: int
    patience: int | None
    batch_crops: int
    tau: float
    train_windows: int | None
    l2_all_layers: bool
    knbc_bounded: bool
    refit_score_norm: bool


@dataclass
class FitResult:
    """How one slot of a stack trained: its epochs, best epoch and loss history."""

    epochs_run: int
    best_epoch: int
    best_val_loss: float
    history: list[dict] = field(default_factory=list)


@dataclass
class StackFit:
    """A trained :class:`MethodStack` (each slot at its best epoch) and each slot's record."""

    stack: MethodStack
    results: list[FitResult]
    seconds: float


@dataclass(frozen=True)
class LossTerms:
    """Per-slot loss settings as tensors of shape (S,); ``weights`` (N,) and ``tau`` are shared."""

    weighted: torch.Tensor
    lambda1: torch.Tensor
    lambda2: torch.Tensor
    weights: torch.Tensor
    tau: float
    l2_all_layers: bool = False
    knbc_bounded: bool = False

    @classmethod
    def of(
        cls,
        stack: MethodStack,
        weights: torch.Tensor,
        tau: float,
        l2_all_layers: bool = False,
        knbc_bounded: bool = False,
    ) -> LossTerms:
        """The settings of ``stack``'s slots (lambda1 = 0 for slots without alignment)."""
        slots = stack.slots

        def column(values, dtype):
            return torch.tensor(values, dtype=dtype, device=weights.device)

        return cls(
            weighted=column([s.method.weighted_bce for s in slots], torch.bool),
            lambda1=column([s.knbc_weight for s in slots], torch.float32),
            lambda2=column([s.lambda2 for s in slots], torch.float32),
            weights=weights, tau=tau, l2_all_layers=l2_all_layers, knbc_bounded=knbc_bounded,
        )  # fmt: skip


def slot_losses(
    stack: MethodStack,
    outputs: list[HeadOutput],
    batch: CropTensors | dict[str, CropTensors],
    terms: LossTerms,
) -> dict[str, torch.Tensor]:
    """L = L_CP + lambda1 L_KNBC + lambda2 L_reg of every slot on one batch.

    ``batch`` as :meth:`MethodStack.forward` takes it (one set of crops, or
    the same crops per window draw).

    Returns
    -------
    dict of str -> Tensor, shape (S,)
        ``loss`` (summed over slots and minimised), ``cp``, ``knbc`` (0
        without alignment) and ``reg``.
    """
    labels = stack.group_batch(batch, 0).labels  # the same crops in every draw
    cp = _prediction_losses(stack.logits(outputs), labels, terms)
    knbc, reg = torch.zeros_like(cp), torch.zeros_like(cp)
    for g, (group, output) in enumerate(zip(stack.groups, outputs, strict=True)):
        index = stack.group_rows(g)
        reg = reg.index_add(0, index, l2_penalty(group, terms.l2_all_layers))
        if output.similarity is not None and bool(terms.lambda1[index].any()):
            shown = stack.group_batch(batch, g)
            term = knbc_loss(output.similarity, shown.seizure, shown.mask, labels,
                             group.seizure_concepts, terms.tau, terms.knbc_bounded)  # fmt: skip
            knbc = knbc.index_add(0, index, term)
    knbc = torch.where(terms.lambda1 > 0, knbc, 0.0)  # a group's slots without alignment
    loss = cp + terms.lambda1 * knbc + terms.lambda2 * reg
    return {"loss": loss, "cp": cp, "knbc": knbc, "reg": reg}


def _prediction_losses(logits: torch.Tensor, labels: torch.Tensor, terms: LossTerms):
    """L_CP of each slot, weighted (Eq. 3) or plain as its method says: (S, B, N) -> (S,)."""
    plain = prediction_loss(logits, labels, None)
    weighted = prediction_loss(logits, labels, terms.weights)
    return torch.where(terms.weighted, weighted, plain)


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


def sample_windows_by_p_sz(
    batch: CropTensors, n_windows: int, generator: torch.Generator, n_uniform: int | None = None
) -> CropTensors:
    """Per crop, K real windows: K // 2 drawn with probability proportional to p_sz, the rest
    uniformly among the other real windows (without replacement, in time order).

    ``n_uniform`` (default K - K // 2) uniform windows instead of the rest:
    ``n_uniform = K`` adds the K // 2 p_sz windows to a full uniform draw of K
    (``train.window_draw: p_sz_added``).

    Attention pooling weighs a seizure concept's window scores by p_sz; a
    seizure is 1-20 % of a 600-window crop, so K uniform draws often hold
    no seizure window, and the pooled seizure scores train on background.
    The p_sz-weighted half (Gumbel top-k on log p_sz) brings the crop's seizure
    windows in; the uniform half keeps the rest of the crop, which the
    non-seizure concepts pool by 1 - p_sz. Parameters and result as
    :func:`sample_windows`.
    """
    n_time = batch.mask.shape[1]
    by_p_sz = n_windows // 2
    n_uniform = n_windows - by_p_sz if n_uniform is None else n_uniform
    if by_p_sz + n_uniform >= n_time:
        return batch
    device = batch.mask.device
    uniform = torch.rand(batch.mask.shape, generator=generator).to(device)
    gumbel = -torch.log(-torch.log(torch.rand(batch.mask.shape, generator=generator)
                                   .clamp(1e-12, 1 - 1e-7))).to(device)  # fmt: skip
    keys = (batch.p_sz.clamp(min=1e-6).log() + gumbel).masked_fill(~batch.mask, -math.inf)
    first = keys.topk(by_p_sz, dim=1).indices
    taken = torch.zeros_like(batch.mask).scatter(1, first, True)
    # Real windows not yet drawn have keys < 1: drawn first, then padding, then repeats.
    rest_keys = uniform.masked_fill(~batch.mask, 2.0).masked_fill(taken, 3.0)
    rest = rest_keys.topk(n_uniform, dim=1, largest=False).indices
    return batch.windows(torch.cat([first, rest], dim=1).sort(dim=1).values)


@torch.no_grad()
def validation_losses(
    stack: MethodStack, crops: CropTensors, terms: LossTerms, encoder: nn.Module | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each slot's own prediction loss (L_CP) and probabilities on whole crops, in eval mode.

    Returns
    -------
    losses : ndarray, shape (S,)
    probs : ndarray, shape (S, n, N)
    """
    stack.eval()
    logits = torch.cat([stack.logits(stack(chunk)) for chunk in eval_chunks(crops, encoder)], dim=1)
    losses = _prediction_losses(logits, crops.labels, terms)
    return losses.cpu().numpy(), torch.sigmoid(logits).cpu().numpy()


def eval_chunks(crops: CropTensors, encoder: nn.Module | None = None) -> Iterator[CropTensors]:
    """Whole crops, EVAL_CHUNK at a time, through ``encoder`` (in eval mode) when given."""
    device = crops.h.device
    if encoder is not None:
        encoder.eval()
    for start in range(0, len(crops), EVAL_CHUNK):
        chunk = crops.rows(torch.arange(start, min(start + EVAL_CHUNK, len(crops)), device=device))
        if encoder is not None:
            with torch.no_grad():
                chunk = encoder(chunk)
        yield chunk


def fit(
    stack: MethodStack,
    train: CropTensors,
    val: CropTensors | None,
    weights: torch.Tensor,
    hyper: Hyper,
    seed: int,
    desc: str | None = None,
    encoder: nn.Module | None = None,
    encoder_lr: float = 0.0,
    draw: Callable[[CropTensors, torch.Generator], CropTensors] | None = None,
) -> StackFit:
    """Train every slot of ``stack`` at once with Adam, ``hyper.epochs`` or until early stopping.

    The slots see the same crop order and window draws and their losses are
    summed, so each slot's gradient is that of its own loss, and Adam, which
    updates elementwise, moves it as it would move it alone. With early
    stopping each slot keeps its own best epoch; training ends when every slot
    has waited ``hyper.patience`` epochs.

    Parameters
    ----------
    stack : MethodStack
        Freshly built, on the device of the tensors.
    train : CropTensors
        Training crops.
    val : CropTensors or None
        Inner validation crops: their loss and macro AUROC are recorded every
        epoch and, with ``hyper.patience``, stop training and pick each slot's
        best epoch. Without validation crops or patience, training runs all
        ``hyper.epochs`` and keeps the last epoch.
    weights : Tensor, shape (N,)
        Training-fold concept weights of the weighted BCE.
    hyper : Hyper
        ``lr``, ``epochs``, ``patience``, ``batch_crops``, ``tau`` and
        ``train_windows`` (the slots carry their own lambda1 and lambda2).
    seed : int
        Seeds the crop order and window draws.
    desc : str, optional
        Shows a progress bar over the epochs with this label (None: silent).
    encoder : nn.Module, optional
        Trained with the stack, between the crops' ``h`` and the heads
        (``szxai-ft``'s :class:`~pipeline.szxai.finetune.BiLSTMEncoder`):
        a map of :class:`CropTensors`, applied to every batch, validation
        and refit chunk. Not with early stopping (it restores heads only).
    encoder_lr : float
        The encoder's Adam learning rate.
    draw : callable, optional
        ``draw(train, generator)``: the crops an epoch shows, in place of
        ``hyper.train_windows`` random windows per crop.

    Returns
    -------
    StackFit
        The stack (and encoder) left in eval mode, each slot with its best weights.
    """
    generator = torch.Generator().manual_seed(seed)
    draw_generator = torch.Generator().manual_seed(
        int(np.random.SeedSequence([seed, 1]).generate_state(1)[0])
    )
    groups = [{"params": list(stack.parameters()), "lr": hyper.lr}]
    if encoder is not None:
        groups.append({"params": list(encoder.parameters()), "lr": encoder_lr})
    optimizer = torch.optim.Adam(groups, lr=hyper.lr)
    terms = LossTerms.of(stack, weights, hyper.tau, hyper.l2_all_layers, hyper.knbc_bounded)
    has_val = val is not None and len(val) > 0
    early_stopping = has_val and hyper.patience is not None
    if early_stopping and encoder is not None:
        raise ValueError("early stopping restores the heads only: train an encoder without it")
    best = _BestSlots(stack)
    histories: list[list[dict]] = [[] for _ in range(len(stack))]
    val_labels = val.labels.cpu().numpy() if has_val else None
    started = time.perf_counter()
    epochs = tqdm(range(1, hyper.epochs + 1), desc=desc, unit="epoch", disable=desc is None)
    for epoch in epochs:
        parts = _train_epoch(stack, optimizer, train, terms, hyper, generator, draw_generator,
                             encoder, draw)  # fmt: skip
        if has_val:
            val_loss, val_probs = validation_losses(stack, val, terms, encoder)
            val_auroc = [macro_auroc(val_labels, probs) for probs in val_probs]
        else:
            val_loss, val_auroc = parts["cp"], [math.nan] * len(stack)
        for s, history in enumerate(histories):
            if not best.stopped[s]:
                row = {k: float(v[s]) for k, v in parts.items()}
                history.append({"epoch": epoch, **row, "val_cp": float(val_loss[s]),
                                "val_auroc": float(val_auroc[s])})  # fmt: skip
        if early_stopping:
            best.update(epoch, val_loss, hyper.patience)
            if best.stopped.all():
                break
    if early_stopping:
        best.restore()
    if hyper.refit_score_norm and len(train) > 1:
        stack.refit_score_norms(eval_chunks(train, encoder))
    stack.eval()
    if encoder is not None:
        encoder.eval()
    results = []
    for s, history in enumerate(histories):
        if early_stopping and np.isfinite(best.loss[s]):
            results.append(
                FitResult(len(history), int(best.epoch[s]), float(best.loss[s]), history)
            )
        else:  # no early stopping (or no finite validation loss): the last epoch is kept
            results.append(FitResult(len(history), len(history), history[-1]["val_cp"], history))
    return StackFit(stack, results, time.perf_counter() - started)


class _BestSlots:
    """Each slot's best validation loss, epoch and weights, and whether it has stopped."""

    def __init__(self, stack: MethodStack) -> None:
        self.stack = stack
        self.loss = np.full(len(stack), np.inf)
        self.epoch = np.zeros(len(stack), int)
        self.waited = np.zeros(len(stack), int)
        self.stopped = np.zeros(len(stack), bool)
        self.state = [t.detach().clone() for _, t in stack.slot_tensors()]

    def update(self, epoch: int, val_loss: np.ndarray, patience: int) -> None:
        """Record the slots whose validation loss improved; stop those out of patience."""
        improved = (val_loss < self.loss - 1e-6) & ~self.stopped
        self.loss[improved], self.epoch[improved] = val_loss[improved], epoch
        self.waited[improved] = 0
        self.waited[~improved & ~self.stopped] += 1
        self.stopped |= self.waited >= patience
        if improved.any():
            self._copy(improved, into_best=True)

    def restore(self) -> None:
        """Put every slot's best weights (and BatchNorm statistics) back into the stack."""
        self._copy(np.isfinite(self.loss), into_best=False)

    @torch.no_grad()
    def _copy(self, slots: np.ndarray, into_best: bool) -> None:
        for saved, (g, tensor) in zip(self.state, self.stack.slot_tensors(), strict=True):
            rows = [r for r, s in enumerate(self.stack.group_slots[g]) if slots[s]]
            if rows:
                if into_best:
                    saved[rows] = tensor[rows]
                else:
                    tensor[rows] = saved[rows]


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


def _epoch_windows(
    stack: MethodStack,
    train: CropTensors,
    hyper: Hyper,
    generator: torch.Generator,
    draw_generator: torch.Generator,
    draw: Callable[[CropTensors, torch.Generator], CropTensors] | None,
) -> dict[str, CropTensors]:
    """The training crops as each window draw of ``stack`` shows them this epoch.

    The windows of every crop are drawn once per epoch, before batching, so
    that the batch size changes how crops are grouped but not what they show.
    The uniform draw is made even when no slot uses it (and then dropped) and
    the p_sz draw has a generator of its own, so each slot sees the same
    windows whatever is stacked with it.
    """
    if draw is not None:
        return dict.fromkeys(stack.draws, draw(train, generator))
    if hyper.train_windows is None:
        return dict.fromkeys(stack.draws, train)
    shown = {"uniform": sample_windows(train, hyper.train_windows, generator)}
    if "p_sz" in stack.draws:
        shown["p_sz"] = sample_windows_by_p_sz(train, hyper.train_windows, draw_generator)
    if "p_sz_added" in stack.draws:
        shown["p_sz_added"] = sample_windows_by_p_sz(
            train, hyper.train_windows, draw_generator, n_uniform=hyper.train_windows
        )
    return {name: crops for name, crops in shown.items() if name in stack.draws}


def _train_epoch(
    stack, optimizer, train, terms, hyper, generator, draw_generator, encoder=None, draw=None
) -> dict[str, np.ndarray]:
    """One pass over the training crops; the mean of each loss part per slot, shape (S,)."""
    stack.train()
    if encoder is not None:
        encoder.train()
    order = torch.randperm(len(train), generator=generator).to(train.h.device)
    shown = _epoch_windows(stack, train, hyper, generator, draw_generator, draw)
    batches = crop_batches(order, hyper.batch_crops)
    totals: dict[str, torch.Tensor] = {}
    for index in batches:
        batch = {name: crops.rows(index) for name, crops in shown.items()}
        if encoder is not None:
            batch = {name: encoder(crops) for name, crops in batch.items()}
        parts = slot_losses(stack, stack(batch), batch, terms)
        optimizer.zero_grad(set_to_none=True)
        parts["loss"].sum().backward()
        optimizer.step()
        for key in ("cp", "knbc", "reg"):
            totals[key] = totals.get(key, 0.0) + parts[key].detach() / len(batches)
    return {key: value.cpu().numpy() for key, value in totals.items()}


@torch.no_grad()
def predict(
    stack: MethodStack,
    crops: CropTensors,
    windows_of: int | None = None,
    encoder: nn.Module | None = None,
) -> dict:
    """Every slot's concept probabilities of whole crops, and optionally one slot's S_nt and h~_t.

    Parameters
    ----------
    stack : MethodStack
    crops : CropTensors
    windows_of : int, optional
        A window-head slot whose similarities and encodings to return too.
    encoder : nn.Module, optional
        The one trained with the stack (:func:`fit`).

    Returns
    -------
    dict
        ``probs`` ndarray (S, n, N); with ``windows_of`` also ``similarity``
        (n, T, N) and ``encodings`` (n, T, d_e), both float32 numpy arrays.
    """
    stack.eval()
    want = windows_of is not None
    chunks = [stack(chunk, return_encodings=want) for chunk in eval_chunks(crops, encoder)]
    logits = torch.cat([stack.logits(outputs) for outputs in chunks], dim=1)
    result = {"probs": torch.sigmoid(logits).cpu().numpy()}
    if want:
        group = next(g for g, rows in enumerate(stack.group_slots) if windows_of in rows)
        row = stack.group_slots[group].index(windows_of)
        for key in ("similarity", "encodings"):
            parts = [getattr(outputs[group], key)[row] for outputs in chunks]
            result[key] = torch.cat(parts).cpu().numpy()
    return result
