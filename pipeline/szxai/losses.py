"""The three terms of the SzXAI loss L = L_CP + lambda1 L_KNBC + lambda2 L_reg (paper Eq. 2-4)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from pipeline.szxai.models import StackedLinear


def concept_weights(training_labels: np.ndarray) -> np.ndarray:
    """Per-concept positive weights w_n of Eq. 3, from training-fold crops only.

    The paper asks for w_n inversely proportional to the concept's frequency
    f_n, with 1 - w_n weighting the negatives. Normalising the two inverse
    frequencies, (1/f) / (1/f + 1/(1-f)), gives exactly w_n = 1 - f_n, so
    positives and negatives of every concept carry equal total weight. f_n is
    smoothed, (count + 0.5) / (n + 1), so a concept absent from (or present in
    every crop of) the training fold keeps both terms.

    Parameters
    ----------
    training_labels : ndarray, shape (n_crops, N)
        Binary labels of the training crops (never the held-out fold).

    Returns
    -------
    ndarray of float32, shape (N,)
        Weights in (0, 1).
    """
    labels = np.asarray(training_labels, dtype=float)
    frequency = (labels.sum(axis=0) + 0.5) / (labels.shape[0] + 1.0)
    return (1.0 - frequency).astype(np.float32)


def prediction_loss(
    logits: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor | None
) -> torch.Tensor:
    """L_CP: weighted (Eq. 3) or plain binary cross-entropy, mean over crops and concepts.

    Parameters
    ----------
    logits : Tensor, shape (..., B, N)
        Pre-sigmoid concept scores (a leading axis per stacked head).
    targets : Tensor, shape (B, N)
        Binary labels.
    weights : Tensor of shape (N,), or None
        w_n of :func:`concept_weights` (positives w_n, negatives 1 - w_n), as
        printed in Eq. 3; None for plain BCE.

    Returns
    -------
    Tensor, shape (...)
    """
    if weights is None:
        per_term = F.binary_cross_entropy_with_logits(
            logits, targets.expand_as(logits), reduction="none"
        )
        return per_term.mean(dim=(-2, -1))
    log_p = F.logsigmoid(logits)
    log_not_p = F.logsigmoid(-logits)
    per_term = weights * targets * log_p + (1 - weights) * (1 - targets) * log_not_p
    return -per_term.mean(dim=(-2, -1))


def knbc_loss(
    similarity: torch.Tensor,
    seizure_windows: torch.Tensor,
    mask: torch.Tensor,
    labels: torch.Tensor,
    seizure_concepts: torch.Tensor,
    tau: float,
    bounded: bool = False,
) -> torch.Tensor:
    """L_KNBC, the knowledge-based contrastive alignment loss (paper Eq. 4).

    For crop b, seizure window t and each *present* seizure concept n:
    ``-log(exp(S_nt / tau) / sum_{k in E_nsz} exp(S_kt / tau))``, averaged over
    |T_sz| x |C_sz|; symmetrically for non-seizure windows, present
    non-seizure concepts and the seizure concepts of the bank in the
    denominator. As in the paper, the denominator holds only the opposite
    side's concepts. A side with no window or no present concept contributes
    0 (it is skipped, rather than the reference code's push away from the
    opposite concepts): a patient whose note names no seizure pattern gives
    no evidence of what their seizure windows should align with. The loss is
    the sum of the two sides, averaged over the crops of the batch (the paper
    trains one patient per step).

    Parameters
    ----------
    similarity : Tensor, shape (..., B, T, N)
        S_nt, cosine similarity of window encodings and concept embeddings
        (a leading axis per stacked head).
    seizure_windows : Tensor of bool, shape (B, T)
        Ground-truth seizure windows.
    mask : Tensor of bool, shape (B, T)
        Real (non-padding) windows.
    labels : Tensor, shape (B, N)
        Binary concept labels of each crop's patient.
    seizure_concepts : Tensor of bool, shape (N,)
    tau : float
        Temperature; 1 (``train.tau``'s default) is Eq. 4 as printed. Why not
        the spec's 0.07: :mod:`pipeline.szxai.methods`.
    bounded : bool
        Add the positive concept's own term to the denominator (InfoNCE's
        form): each term becomes softplus(lse_opposite - S_nt / tau) >= 0 and
        stops pulling once the concept beats the opposite side. As printed
        (False) a term has no floor above -2 / tau + log K and keeps pulling
        every present concept of a side up together.

    Returns
    -------
    Tensor, shape (...)
        The loss of each stacked head (a scalar for one head).
    """
    logits = similarity / tau
    minus_inf = torch.finfo(logits.dtype).min
    lse_seizure = logits.masked_fill(~seizure_concepts, minus_inf).logsumexp(-1)
    lse_other = logits.masked_fill(seizure_concepts, minus_inf).logsumexp(-1)
    sz_windows = (seizure_windows & mask).to(logits.dtype)
    other_windows = (~seizure_windows & mask).to(logits.dtype)
    present = labels.to(logits.dtype)
    sz_concepts = present * seizure_concepts.to(logits.dtype)
    other_concepts = present * (~seizure_concepts).to(logits.dtype)
    seizure_side = _side_term(logits, sz_windows, sz_concepts, lse_other, bounded)
    other_side = _side_term(logits, other_windows, other_concepts, lse_seizure, bounded)
    return (seizure_side + other_side).mean(dim=-1)


def _side_term(
    logits: torch.Tensor,
    windows: torch.Tensor,
    concepts: torch.Tensor,
    lse_opposite: torch.Tensor,
    bounded: bool,
) -> torch.Tensor:
    """Mean over (t in windows, n in concepts) of -logits[t, n] + lse_opposite[t], per crop.

    With ``bounded``, of softplus(lse_opposite[t] - logits[t, n]) instead.
    """
    n_concepts = concepts.sum(-1)
    if bounded:
        terms = F.softplus(lse_opposite.unsqueeze(-1) - logits)
        total = (terms * concepts.unsqueeze(-2)).sum(-1).mul(windows).sum(-1)
    else:  # linear in the logits: no (.., T, N) temporary
        positive = (logits * concepts.unsqueeze(-2)).sum(-1).mul(windows).sum(-1)
        total = n_concepts * (windows * lse_opposite).sum(-1) - positive
    n_pairs = windows.sum(-1) * n_concepts
    return torch.where(n_pairs > 0, total / n_pairs.clamp(min=1), torch.zeros_like(total))


def l2_penalty(heads: nn.Module, scale_invariant: bool = False) -> torch.Tensor:
    """L_reg of each of M stacked heads: its sum of squared Linear weights (no biases, no BN).

    The paper penalises "the weights of all linear layers". The first two of
    f_NN feed BatchNorm, so the loss cannot see their scale: penalising them
    does not restrain the function, it only shrinks the weights, and under
    Adam, whose steps have a fixed size, shrinking weights makes every step
    relatively larger, more so the more steps are taken (docs/heads.md, "Heads that
    reach the probe"). By default those layers are left out;
    ``scale_invariant=True`` restores the paper's all-layer penalty.

    Parameters
    ----------
    heads : nn.Module
        Whose :class:`~pipeline.szxai.models.StackedLinear` layers hold M slices.
    scale_invariant : bool
        Also penalise the layers whose output is normalised.

    Returns
    -------
    Tensor, shape (M,)
    """
    layers = [m for m in heads.modules() if isinstance(m, StackedLinear)
              and (scale_invariant or not m.scale_invariant)]  # fmt: skip
    return torch.stack([m.weight.pow(2).sum(dim=(1, 2)) for m in layers]).sum(0)
