"""CNN-BLSTM (Craley et al.): per-window seizure logits and 40-d latents (spec section 5).

Parameter names follow the DeepSOZ repository's checkpoints (30,182 parameters).
"""

from __future__ import annotations

import torch
from torch import nn

from pipeline.detectors.base import DetectorOutput, check_crops, run_bilstm

#: (name suffix, input channels, output channels, dropout) of the four conv blocks.
_BLOCKS = ((5, None, 0.1), (10, 5, 0.1), (20, 10, 0.1), (40, 20, 0.2))


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

    def __init__(self, n_channels: int = 19):
        super().__init__()
        self._order: list[tuple[str, str, str, float]] = []
        for width, previous, dropout in _BLOCKS:
            first_in = n_channels if previous is None else previous
            for tag, c_in in (("a", first_in), ("b", width)):
                setattr(self, f"conv{width}{tag}", nn.Conv1d(c_in, width, 3, padding=1))
                setattr(self, f"bn{width}{tag}", nn.BatchNorm1d(width))
            self._order.append((f"conv{width}a", f"conv{width}b", str(width), dropout))
        self.pool = nn.MaxPool1d(2)
        self.act = nn.LeakyReLU()
        self.dropouts = nn.ModuleList(nn.Dropout(d) for *_, d in self._order)
        self.lstm = nn.LSTM(40, 20, num_layers=2, batch_first=True, bidirectional=True)
        self.fc1 = nn.Linear(40, 2)

    def _window_features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 19, 200) windows -> (N, 40) features."""
        for (conv_a, conv_b, width, _), dropout in zip(self._order, self.dropouts, strict=True):
            x = getattr(self, f"bn{width}a")(self.act(getattr(self, conv_a)(x)))
            x = getattr(self, f"bn{width}b")(self.act(getattr(self, conv_b)(x)))
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
            ``logits`` (B, T, 2) and ``latents`` (B, T, 40).
        """
        check_crops(crops)
        batch, n_windows, n_channels, n_samples = crops.shape
        features = self._window_features(crops.reshape(batch * n_windows, n_channels, n_samples))
        latents = run_bilstm(self.lstm, features.reshape(batch, n_windows, -1), pad_mask)
        return DetectorOutput(self.fc1(latents), latents)
