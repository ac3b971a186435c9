"""Concept heads on top of a frozen detector, stacked: M heads trained in one pass.

Every layer here holds the parameters of M independent heads along a leading
axis (one slice per method of Table 1, or per method x hyper-parameter setting),
and computes all M in one batched matrix product. Slices never mix: each has
its own weights, BatchNorm statistics and loss term, and Adam updates
elementwise, so training M stacked heads gives each the trajectory it would
have alone (``tests/szxai/test_szxai.py`` checks this), at the cost of one pass.

Window-level layers only ever see the real (non-padding) windows, so padding
changes neither BatchNorm statistics nor pooled scores.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from pipeline.szxai.data import CropTensors

Pooling = Literal["attention", "avg", "max"]
_EPS = 1e-6


@dataclass
class HeadOutput:
    """What M stacked concept heads compute for B crops of T windows and N concepts.

    Attributes
    ----------
    logits : Tensor, shape (M, B, N)
        Pre-sigmoid concept scores; p_c = sigmoid(logits).
    similarity : Tensor of shape (M, B, T, N), or None
        S_nt per window (0 at padding); None for models without window scores.
    encodings : Tensor of shape (M, B, T, d_e), or None
        h~_t (0 at padding); only when asked for (prediction, t-SNE).
    """

    logits: torch.Tensor
    similarity: torch.Tensor | None = None
    encodings: torch.Tensor | None = None


def slice_generators(seeds: Sequence[int]) -> list[torch.Generator]:
    """One CPU generator per slice: a slice's initial weights depend on its seed alone."""
    return [torch.Generator().manual_seed(int(s)) for s in seeds]


class StackedLinear(nn.Module):
    """M independent ``nn.Linear(in_dim, out_dim)`` layers, initialised as torch does.

    Parameters
    ----------
    generators : list of torch.Generator, length M
        Slice m draws its weights, then its bias, from ``generators[m]``
        (U(-1/sqrt(in_dim), 1/sqrt(in_dim)), nn.Linear's default).
    in_dim, out_dim : int
    bias : bool
        False for a layer followed by BatchNorm, which cancels any bias: its
        gradient would be zero up to rounding, and Adam, which divides by the
        gradient's own size, would turn that rounding into full-size steps.
    scale_invariant : bool
        The layer has no bias and BatchNorm normalises its output, so scaling
        its weights changes nothing the loss sees; see
        :func:`pipeline.szxai.losses.l2_penalty`.
    """

    def __init__(
        self,
        generators: list[torch.Generator],
        in_dim: int,
        out_dim: int,
        bias: bool = True,
        scale_invariant: bool = False,
    ) -> None:
        super().__init__()
        self.scale_invariant = scale_invariant
        bound = 1.0 / math.sqrt(in_dim)
        weight = torch.empty(len(generators), in_dim, out_dim)
        biases = torch.zeros(len(generators), out_dim)
        for m, generator in enumerate(generators):
            weight[m] = torch.empty(out_dim, in_dim).uniform_(-bound, bound, generator=generator).T
            if bias:
                biases[m].uniform_(-bound, bound, generator=generator)
        self.weight = nn.Parameter(weight)
        self.bias = nn.Parameter(biases) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(M, n, in_dim) -> (M, n, out_dim); a 2-D (n, in_dim) input is shared by every slice."""
        if x.dim() == 2:  # one GEMM for all slices: (n, in) @ (in, M * out)
            n_slices, in_dim, out_dim = self.weight.shape
            flat = x @ self.weight.permute(1, 0, 2).reshape(in_dim, n_slices * out_dim)
            out = flat.view(-1, n_slices, out_dim).transpose(0, 1)
            return out if self.bias is None else out + self.bias.unsqueeze(1)
        if self.bias is None:
            return torch.bmm(x, self.weight)
        return torch.baddbmm(self.bias.unsqueeze(1), x, self.weight)


class StackedBatchNorm(nn.Module):
    """BatchNorm1d over the rows of each slice separately: (M, n, C) -> (M, n, C).

    Training mode standardises by the slice's own batch statistics (biased
    variance) and updates its running statistics (unbiased variance, momentum
    0.1, as ``nn.BatchNorm1d``); eval mode, or a training batch of a single
    row, which has no spread to standardise by, uses the running statistics.

    Parameters
    ----------
    n_slices, n_features : int
    affine : bool
        Learned per-slice scale and shift (the MLP's layers) or none (the
        score normalisation).
    """

    def __init__(self, n_slices: int, n_features: int, affine: bool = True) -> None:
        super().__init__()
        self.eps, self.momentum = 1e-5, 0.1
        self.register_buffer("running_mean", torch.zeros(n_slices, 1, n_features))
        self.register_buffer("running_var", torch.ones(n_slices, 1, n_features))
        self.weight = nn.Parameter(torch.ones(n_slices, 1, n_features)) if affine else None
        self.bias = nn.Parameter(torch.zeros(n_slices, 1, n_features)) if affine else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and x.shape[1] > 1:
            var, mean = torch.var_mean(x, dim=1, keepdim=True, correction=0)
            with torch.no_grad():
                n = x.shape[1]
                self.running_mean.lerp_(mean, self.momentum)
                self.running_var.lerp_(var * n / (n - 1), self.momentum)
        else:
            mean, var = self.running_mean, self.running_var
        out = (x - mean) * torch.rsqrt(var + self.eps)
        if self.weight is not None:
            out = out * self.weight + self.bias
        return out

    @torch.no_grad()
    def set_statistics(self, x: torch.Tensor) -> None:
        """Replace the running statistics by those of ``x`` (M, n, C), n >= 2 rows per slice.

        The mean and unbiased variance over the rows, as the running
        statistics hold them.
        """
        if x.shape[1] < 2:
            raise ValueError(f"need at least 2 rows per slice for a variance, got {x.shape[1]}")
        var, mean = torch.var_mean(x, dim=1, keepdim=True, correction=1)
        self.running_mean.copy_(mean)
        self.running_var.copy_(var)


class StackedMLP(nn.Module):
    """f_NN of the paper, M times: Linear, BatchNorm1d, LeakyReLU, Linear, BN, LeakyReLU, Linear.

    With ``hidden=None`` a single Linear layer (the encoder of Yan et al.).
    """

    def __init__(
        self,
        generators: list[torch.Generator],
        in_dim: int,
        out_dim: int,
        hidden: int | None,
        slope: float,
    ) -> None:
        super().__init__()
        n = len(generators)
        widths = [in_dim, out_dim] if hidden is None else [in_dim, hidden, hidden, out_dim]
        last = len(widths) - 2
        self.linears = nn.ModuleList(
            StackedLinear(generators, a, b, bias=i == last, scale_invariant=i < last)
            for i, (a, b) in enumerate(zip(widths[:-1], widths[1:], strict=True))
        )
        self.norms = nn.ModuleList(StackedBatchNorm(n, width) for width in widths[1:-1])
        self.slope = slope

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(n, in_dim), shared by the slices, -> (M, n, out_dim)."""
        for i, linear in enumerate(self.linears):
            x = linear(x)
            if i < len(self.norms):
                x = F.leaky_relu(self.norms[i](x), self.slope)
        return x


def pool_similarity(
    similarity: torch.Tensor,
    p_sz: torch.Tensor,
    mask: torch.Tensor,
    seizure_concepts: torch.Tensor,
    mode: Pooling,
) -> torch.Tensor:
    """Pool window similarities into one score per concept and crop (paper Eq. 1).

    ``attention`` weighs window t by p_sz(t) for seizure concepts and by
    1 - p_sz(t) for non-seizure concepts, normalised by the sum of the weights
    so that crops of any length compare (spec section 8). ``avg`` and ``max``
    are the pooling ablations over the real windows.

    Parameters
    ----------
    similarity : Tensor, shape (..., B, T, N)
    p_sz : Tensor, shape (B, T)
        Detector seizure probability per window, in [0, 1].
    mask : Tensor of bool, shape (B, T)
        Real windows.
    seizure_concepts : Tensor of bool, shape (N,)
    mode : {"attention", "avg", "max"}

    Returns
    -------
    Tensor, shape (..., B, N)
    """
    if mode == "max":
        floor = torch.finfo(similarity.dtype).min
        return similarity.masked_fill(~mask.unsqueeze(-1), floor).amax(dim=-2)
    real = mask.to(similarity.dtype)
    if mode == "avg":
        weights = real.unsqueeze(-1).expand(*real.shape, similarity.shape[-1])
    elif mode == "attention":
        on_seizure = (p_sz * real).unsqueeze(-1)
        off_seizure = ((1 - p_sz) * real).unsqueeze(-1)
        weights = torch.where(seizure_concepts, on_seizure, off_seizure)
    else:
        raise ValueError(f"unknown pooling {mode!r}")
    return (weights * similarity).sum(dim=-2) / (weights.sum(dim=-2) + _EPS)


class _ConceptSpaceModule(nn.Module):
    """Holds the fixed, unit-normalised concept embeddings as buffers."""

    def __init__(self, embeddings: np.ndarray, seizure_concepts: np.ndarray) -> None:
        super().__init__()
        unit = F.normalize(torch.as_tensor(embeddings, dtype=torch.float32), dim=-1)
        self.register_buffer("concepts", unit)
        self.register_buffer("seizure_concepts", torch.as_tensor(seizure_concepts, dtype=bool))

    def cosine(self, encodings: torch.Tensor) -> torch.Tensor:
        """Cosine similarity of encodings (..., d_e) with every concept -> (..., N).

        The projection comes first and the division by the encoding's norm
        after, on N columns instead of d_e: a third of a training step's time
        went to normalising (M, n, 384) encodings before.
        """
        norm = encodings.pow(2).sum(-1, keepdim=True).clamp_min(1e-24).rsqrt()
        return (encodings @ self.concepts.T) * norm


class WindowConceptHeads(_ConceptSpaceModule):
    """M window heads: encoder -> cosine to the concepts -> pooling -> score norm -> Linear.

    Between the pooling and the Linear layer a BatchNorm without affine part
    standardises each pooled concept score across the crops of the batch (our
    addition to paper 2.1): pooled cosines of different crops differ by about
    1e-2 while the concept layer starts from weights of about 0.2, so without
    it the logits hardly depend on the crop and the L2 penalty keeps them so
    (docs/heads.md, "Why SzXAI needed a score normalisation").

    With the MLP encoder and attention pooling a slice is the SzXAI head (paper
    2.1); with a single Linear encoder and average pooling it is the model of
    Yan et al. [25].

    Parameters
    ----------
    seeds : sequence of int, length M
        Initial weights of each slice.
    latent_dim : int
        d_h, size of the detector latents h_t.
    embeddings : ndarray, shape (N, d_e)
        Concept embeddings E (fixed, never trained).
    seizure_concepts : ndarray of bool, shape (N,)
    poolings : sequence of {"attention", "avg", "max"}, length M
    hidden : int or None
        Width of the MLP's two hidden layers; None = one Linear encoder.
    slope : float
        LeakyReLU negative slope.
    """

    def __init__(
        self,
        seeds: Sequence[int],
        latent_dim: int,
        embeddings: np.ndarray,
        seizure_concepts: np.ndarray,
        poolings: Sequence[Pooling],
        hidden: int | None = 128,
        slope: float = 0.01,
    ) -> None:
        super().__init__(embeddings, seizure_concepts)
        if len(poolings) != len(seeds):
            raise ValueError(f"{len(seeds)} seeds but {len(poolings)} poolings")
        n_concepts, embed_dim = embeddings.shape
        generators = slice_generators(seeds)
        self.encoder = StackedMLP(generators, latent_dim, embed_dim, hidden, slope)
        self.score_norm = StackedBatchNorm(len(seeds), n_concepts, affine=False)
        self.concept_layer = StackedLinear(generators, n_concepts, n_concepts)
        # Slices per pooling mode, in first-seen order (fixed once: _pool runs every step).
        self.pool_rows = {mode: [m for m, p in enumerate(poolings) if p == mode]
                          for mode in dict.fromkeys(poolings)}  # fmt: skip

    def forward(self, batch: CropTensors, return_encodings: bool = False) -> HeadOutput:
        encoded, similarity, pooled = self.window_scores(batch)
        encodings = None
        if return_encodings:
            real = batch.mask
            encodings = encoded.new_zeros(encoded.shape[0], *real.shape, encoded.shape[-1])
            encodings[:, real] = encoded
        logits = self.concept_layer(self.score_norm(pooled))
        return HeadOutput(logits, similarity, encodings)

    def window_scores(self, batch: CropTensors) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """What the layers before the score normalisation compute.

        Returns
        -------
        encodings : Tensor, shape (M, n_real, d_e)
            h~_t of the real windows.
        similarity : Tensor, shape (M, B, T, N)
            S_nt, 0 at padding.
        pooled : Tensor, shape (M, B, N)
            The pooled scores that :attr:`score_norm` standardises.
        """
        real = batch.mask
        encoded = self.encoder(batch.h[real])  # (M, n_real, d_e)
        n_slices, n_concepts = encoded.shape[0], self.concepts.shape[0]
        similarity = encoded.new_zeros(n_slices, *real.shape, n_concepts)
        similarity[:, real] = self.cosine(encoded)
        return encoded, similarity, self._pool(similarity, batch)

    def _pool(self, similarity: torch.Tensor, batch: CropTensors) -> torch.Tensor:
        """(M, B, T, N) -> (M, B, N), each slice with its own pooling."""
        n_slices, n_batch, _, n_concepts = similarity.shape
        pooled = similarity.new_empty(n_slices, n_batch, n_concepts)
        for mode, rows in self.pool_rows.items():
            pooled[rows] = pool_similarity(
                similarity[rows], batch.p_sz, batch.mask, self.seizure_concepts, mode
            )
        return pooled


class TimeAveragedProjections(_ConceptSpaceModule):
    """M models of Patricio et al. [18]: one projection of the time-averaged latent.

    h_bar = mean over real windows of h_t; z = W h_bar + b; the concept score
    is cos(z, e_n), turned into a logit by a learned per-concept scale and
    offset (a cosine in [-1, 1] cannot be a probability by itself).

    Parameters
    ----------
    seeds : sequence of int, length M
    latent_dim : int
    embeddings : ndarray, shape (N, d_e)
    seizure_concepts : ndarray of bool, shape (N,)
        Kept for a uniform interface; this model ignores the concept sides.
    """

    def __init__(
        self,
        seeds: Sequence[int],
        latent_dim: int,
        embeddings: np.ndarray,
        seizure_concepts: np.ndarray,
    ) -> None:
        super().__init__(embeddings, seizure_concepts)
        n_concepts, embed_dim = embeddings.shape
        self.projection = StackedLinear(slice_generators(seeds), latent_dim, embed_dim)
        # A scale of 10 lets cosines of +-0.3 reach probabilities of 0.05-0.95.
        self.scale = nn.Parameter(torch.full((len(seeds), 1, n_concepts), 10.0))
        self.offset = nn.Parameter(torch.zeros(len(seeds), 1, n_concepts))

    def forward(self, batch: CropTensors, return_encodings: bool = False) -> HeadOutput:
        real = batch.mask.to(batch.h.dtype).unsqueeze(-1)
        mean_latent = (batch.h * real).sum(dim=1) / real.sum(dim=1).clamp(min=1)
        score = self.cosine(self.projection(mean_latent))  # (M, B, N)
        return HeadOutput(self.scale * score + self.offset)
