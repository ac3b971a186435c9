"""What every frozen seizure detector shares: input layout, output, pad handling."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from pipeline.registry import DETECTOR_WINDOW

#: Input layout of a window: the 19 referential channels x 1 s at 200 Hz (spec sections 4-5).
N_CHANNELS, WINDOW_SAMPLES = DETECTOR_WINDOW


class DetectorOutput(NamedTuple):
    """Per-window output of a detector.

    Attributes
    ----------
    logits : Tensor, shape (B, T, 2)
        Background / seizure logits; ``softmax(logits)[..., 1]`` is p_sz(t).
    latents : Tensor, shape (B, T, latent_dim)
        h_t, the BiLSTM output at window t.
    pre : Tensor, shape (B, T, pre_dim)
        The per-window features that feed the BiLSTM (DeepSOZ: the global
        token's transformer output, 200-d; CNN-BLSTM: the pooled CNN features,
        40-d): the ``probe-pre`` reference row of Table 1 (spec section 11).
        Zero at padding windows, like ``latents``.
    """

    logits: torch.Tensor
    latents: torch.Tensor
    pre: torch.Tensor


def zero_padding(values: torch.Tensor, pad_mask: torch.Tensor | None) -> torch.Tensor:
    """``values`` (B, T, d) with the windows where ``pad_mask`` (B, T) is True set to zero.

    The per-window layers see the zero-filled padding windows and produce
    non-zero junk there; zeroing it gives every output the BiLSTM's convention.
    """
    if pad_mask is None:
        return values
    return values.masked_fill(pad_mask[..., None], 0.0)


def check_crops(x: torch.Tensor) -> tuple[int, int]:
    """Validate a batch of crops and return ``(B, T)``.

    Parameters
    ----------
    x : Tensor, shape (B, T, 19, 200)
    """
    if x.dim() != 4 or tuple(x.shape[2:]) != (N_CHANNELS, WINDOW_SAMPLES):
        raise ValueError(
            f"expected crops of shape (B, T, {N_CHANNELS}, {WINDOW_SAMPLES}), got {tuple(x.shape)}"
        )
    return x.shape[0], x.shape[1]


def run_bilstm(
    lstm: nn.LSTM, seq: torch.Tensor, pad_mask: torch.Tensor | None = None
) -> torch.Tensor:
    """Run a batch-first BiLSTM over time, skipping trailing padding windows.

    Without packing, the backward direction would start in the zero padding
    after a short recording and carry that state into the real windows.

    Parameters
    ----------
    lstm : nn.LSTM
        Batch-first, bidirectional.
    seq : Tensor, shape (B, T, input_size)
    pad_mask : Tensor of bool, shape (B, T), optional
        True for padding windows; padding must be trailing (crops are padded
        past the end of the recording only). Outputs there are zero.

    Returns
    -------
    Tensor, shape (B, T, 2 * hidden_size)
    """
    if pad_mask is None or not bool(pad_mask.any()):
        return lstm(seq)[0]
    lengths = (~pad_mask).sum(dim=1)
    positions = torch.arange(seq.shape[1], device=pad_mask.device)
    if not torch.equal(pad_mask, positions[None, :] >= lengths[:, None]):
        raise ValueError("pad_mask must mark trailing windows only")
    # A crop made only of padding still needs one step; its outputs are unused.
    lengths = lengths.clamp(min=1).cpu()
    packed = nn.utils.rnn.pack_padded_sequence(seq, lengths, batch_first=True, enforce_sorted=False)
    out, _ = lstm(packed)
    out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=seq.shape[1])
    return out
