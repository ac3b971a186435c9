"""Concept heads on top of a frozen detector: SzXAI (paper 2.1) and the two baselines.

Every model maps a batch of padded crops (:class:`~pipeline.szxai.data.CropTensors`)
to one logit per concept and crop. Window-level layers only ever see the real
(non-padding) windows, so padding changes neither BatchNorm statistics nor
pooled scores.
"""

from __future__ import annotations

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
    """What a concept head computes for a batch of B crops, T windows, N concepts.

    Attributes
    ----------
    logits : Tensor, shape (B, N)
        Pre-sigmoid concept scores; p_c = sigmoid(logits).
    similarity : Tensor of shape (B, T, N), or None
        S_nt per window (0 at padding); None for models without window scores.
    encodings : Tensor of shape (B, T, d_e), or None
        h~_t (0 at padding); only when asked for (prediction, t-SNE).
    """

    logits: torch.Tensor
    similarity: torch.Tensor | None = None
    encodings: torch.Tensor | None = None


def mlp_encoder(in_dim: int, hidden: int, out_dim: int, slope: float) -> nn.Sequential:
    """f_NN of the paper: three Linear layers, BatchNorm1d and LeakyReLU between them."""
    return nn.Sequential(
        nn.Linear(in_dim, hidden), nn.BatchNorm1d(hidden), nn.LeakyReLU(slope),
        nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.LeakyReLU(slope),
        nn.Linear(hidden, out_dim),
    )  # fmt: skip


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
    similarity : Tensor, shape (B, T, N)
    p_sz : Tensor, shape (B, T)
        Detector seizure probability per window, in [0, 1].
    mask : Tensor of bool, shape (B, T)
        Real windows.
    seizure_concepts : Tensor of bool, shape (N,)
    mode : {"attention", "avg", "max"}

    Returns
    -------
    Tensor, shape (B, N)
    """
    if mode == "max":
        floor = torch.finfo(similarity.dtype).min
        return similarity.masked_fill(~mask.unsqueeze(-1), floor).amax(dim=1)
    real = mask.to(similarity.dtype)
    if mode == "avg":
        weights = real.unsqueeze(-1).expand_as(similarity)
    elif mode == "attention":
        on_seizure = (p_sz * real).unsqueeze(-1)
        off_seizure = ((1 - p_sz) * real).unsqueeze(-1)
        weights = torch.where(seizure_concepts, on_seizure, off_seizure)
    else:
        raise ValueError(f"unknown pooling {mode!r}")
    return (weights * similarity).sum(dim=1) / (weights.sum(dim=1) + _EPS)


class CropScoreNorm(nn.BatchNorm1d):
    """Standardises each pooled concept score across the crops of a batch (no affine part).

    Pooled cosines of different crops differ by about 1e-2 while the concept
    layer starts from weights of about 0.2, so without this the logits hardly
    depend on the crop and the L2 penalty keeps them so: on the default corpus
    the heads stayed at chance while a linear probe of the same pooled latents
    did not (README, "Why SzXAI needed a score normalisation"). A training
    batch of a single crop has no spread to standardise by, so it is scaled by
    the running statistics instead.

    Parameters
    ----------
    n_concepts : int
        N; the input and output have shape (B, N).
    """

    def __init__(self, n_concepts: int) -> None:
        super().__init__(n_concepts, affine=False)

    def forward(self, scores: torch.Tensor) -> torch.Tensor:
        if self.training and scores.shape[0] < 2:
            return F.batch_norm(scores, self.running_mean, self.running_var, training=False)
        return super().forward(scores)


class _ConceptSpaceModule(nn.Module):
    """Holds the fixed, unit-normalised concept embeddings as buffers."""

    def __init__(self, embeddings: np.ndarray, seizure_concepts: np.ndarray) -> None:
        super().__init__()
        unit = F.normalize(torch.as_tensor(embeddings, dtype=torch.float32), dim=-1)
        self.register_buffer("concepts", unit)
        self.register_buffer("seizure_concepts", torch.as_tensor(seizure_concepts, dtype=bool))

    def cosine(self, encodings: torch.Tensor) -> torch.Tensor:
        """Cosine similarity of encodings (..., d_e) with every concept -> (..., N)."""
        return F.normalize(encodings, dim=-1) @ self.concepts.T


class WindowConceptHead(_ConceptSpaceModule):
    """Window encoder -> cosine similarity to the concepts -> pooling -> Linear.

    Between the pooling and the Linear layer, :class:`CropScoreNorm`
    standardises the pooled scores across crops (our addition to paper 2.1).

    With the MLP encoder and attention pooling this is the SzXAI head (paper
    2.1); with a single Linear encoder and average pooling it is the model of
    Yan et al. [25].

    Parameters
    ----------
    latent_dim : int
        d_h, size of the detector latents h_t.
    embeddings : ndarray, shape (N, d_e)
        Concept embeddings E (fixed, never trained).
    seizure_concepts : ndarray of bool, shape (N,)
    encoder : {"mlp", "linear"}
    pooling : {"attention", "avg", "max"}
    hidden : int
        Width of the MLP's hidden layers.
    slope : float
        LeakyReLU negative slope.
    """

    def __init__(
        self,
        latent_dim: int,
        embeddings: np.ndarray,
        seizure_concepts: np.ndarray,
        encoder: Literal["mlp", "linear"] = "mlp",
        pooling: Pooling = "attention",
        hidden: int = 128,
        slope: float = 0.01,
    ) -> None:
        super().__init__(embeddings, seizure_concepts)
        n_concepts, embed_dim = embeddings.shape
        if encoder == "mlp":
            self.encoder = mlp_encoder(latent_dim, hidden, embed_dim, slope)
        else:
            self.encoder = nn.Linear(latent_dim, embed_dim)
        self.pooling = pooling
        self.score_norm = CropScoreNorm(n_concepts)
        self.concept_layer = nn.Linear(n_concepts, n_concepts)

    def forward(self, batch: CropTensors, return_encodings: bool = False) -> HeadOutput:
        real = batch.mask
        encoded = self.encoder(batch.h[real])  # (n_real, d_e)
        n_batch, n_time = real.shape
        similarity = encoded.new_zeros(n_batch, n_time, self.concepts.shape[0])
        similarity[real] = self.cosine(encoded)
        pooled = pool_similarity(similarity, batch.p_sz, real, self.seizure_concepts, self.pooling)
        encodings = None
        if return_encodings:
            encodings = encoded.new_zeros(n_batch, n_time, encoded.shape[-1])
            encodings[real] = encoded
        logits = self.concept_layer(self.score_norm(pooled))
        return HeadOutput(logits, similarity, encodings)


class TimeAveragedProjection(_ConceptSpaceModule):
    """The model of Patricio et al. [18]: one projection of the time-averaged latent.

    h_bar = mean over real windows of h_t; z = W h_bar + b; the concept score
    is cos(z, e_n), turned into a logit by a learned per-concept scale and
    offset (a cosine in [-1, 1] cannot be a probability by itself).

    Parameters
    ----------
    latent_dim : int
    embeddings : ndarray, shape (N, d_e)
    seizure_concepts : ndarray of bool, shape (N,)
        Kept for a uniform interface; this model ignores the concept sides.
    """

    def __init__(
        self, latent_dim: int, embeddings: np.ndarray, seizure_concepts: np.ndarray
    ) -> None:
        super().__init__(embeddings, seizure_concepts)
        n_concepts, embed_dim = embeddings.shape
        self.projection = nn.Linear(latent_dim, embed_dim)
        # A scale of 10 lets cosines of +-0.3 reach probabilities of 0.05-0.95.
        self.scale = nn.Parameter(torch.full((n_concepts,), 10.0))
        self.offset = nn.Parameter(torch.zeros(n_concepts))

    def forward(self, batch: CropTensors, return_encodings: bool = False) -> HeadOutput:
        real = batch.mask.to(batch.h.dtype).unsqueeze(-1)
        mean_latent = (batch.h * real).sum(dim=1) / real.sum(dim=1).clamp(min=1)
        score = self.cosine(self.projection(mean_latent))
        return HeadOutput(self.scale * score + self.offset)
