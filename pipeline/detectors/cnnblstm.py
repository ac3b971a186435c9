"""CNN-BLSTM (Craley et al.): per-window seizure logits and 40-d latents (spec section 5).

Parameter names follow the DeepSOZ repository's checkpoints (30,182 parameters).
"""

from __future__ import annotations

import torch
from torch import nn

from pipeline.detectors.base import DetectorOutput, check_crops, run_bilstm, zero_padding

#: (output channels, dropout) of the four conv blocks; each block's input is the
#: previous block's output (the EEG channels for the first). The width also
#: names the block's layers: conv5a, bn5a, conv5b, bn5b, ...
_BLOCKS = ((5, 0.1), (10, 0.1), (20, 0.1), (40, 0.2))


class CNNBLSTM(nn.Module):
    """Per-window 1-D CNN over time with channels as inputs, BiLSTM over windows.

    Four blocks of two Conv1d(kernel 3, same padding), each followed by
    LeakyReLU then BatchNorm1d, MaxPool1d(2) and dropout after each block
    (200 -> 100 -> 50 -> 25 -> 12 samples); the mean over the last 12
    positions is the 40-d window feature; a 2-layer BiLSTM (20 per direction)
    over the windows gives h_t; ``fc1`` maps h_t to 2 logits.

    Parameters
    ----------
    n_channels : int
        EEG channels per window (19).
    """

    latent_dim = 40
    #: Size of the per-window input of the BiLSTM (the pooled CNN features).
    pre_dim = 40

    def __init__(self, n_channels: int = 19):
        super().__init__()
        c_in = n_channels
        for width, _ in _BLOCKS:
            for tag, block_in in (("a", c_in), ("b", width)):
                setattr(self, f"conv{width}{tag}", nn.Conv1d(block_in, width, 3, padding=1))
                setattr(self, f"bn{width}{tag}", nn.BatchNorm1d(width))
            c_in = width
        self.pool = nn.MaxPool1d(2)
        self.act = nn.LeakyReLU()
        self.dropouts = nn.ModuleList(nn.Dropout(d) for _, d in _BLOCKS)
        self.lstm = nn.LSTM(40, 20, num_layers=2, batch_first=True, bidirectional=True)
        self.fc1 = nn.Linear(40, 2)

    def _window_features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 19, 200) windows -> (N, 40) features."""
        for (width, _), dropout in zip(_BLOCKS, self.dropouts, strict=True):
            for tag in ("a", "b"):
                conv, norm = getattr(self, f"conv{width}{tag}"), getattr(self, f"bn{width}{tag}")
                x = norm(self.act(conv(x)))
            x = dropout(self.pool(x))
        return x.mean(dim=-1)

    def forward(self, crops: torch.Tensor, pad_mask: torch.Tensor | None = None) -> DetectorOutput:
        """Logits and latents of every window.

        Parameters
        ----------
        crops : Tensor, shape (B, T, 19, 200)
        pad_mask : Tensor of bool, shape (B, T), optional
            True for trailing padding windows, skipped by the BiLSTM.

        Returns
        -------
        DetectorOutput
            ``logits`` (B, T, 2), ``latents`` (B, T, 40) and ``pre`` (B, T, 40),
            the pooled CNN window features that feed the BiLSTM.
        """
        check_crops(crops)
        batch, n_windows, n_channels, n_samples = crops.shape
        features = self._window_features(crops.reshape(batch * n_windows, n_channels, n_samples))
        features = features.reshape(batch, n_windows, -1)
        latents = run_bilstm(self.lstm, features, pad_mask)
        return DetectorOutput(self.fc1(latents), latents, zero_padding(features, pad_mask))
