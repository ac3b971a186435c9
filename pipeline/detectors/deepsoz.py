"""DeepSOZ ``transformer_lstm``: per-window seizure logits and 200-d latents (spec section 5).

Parameter names and shapes follow the authors' published checkpoints, so
``load_state_dict(checkpoint, strict=True)`` works (510,458 parameters).
"""

from __future__ import annotations

import torch
from torch import nn

from pipeline.detectors.base import DetectorOutput, check_crops, run_bilstm, zero_padding


class DeepSOZ(nn.Module):
    """Channel-token transformer per window, BiLSTM over windows.

    Each of the 19 channels' 200 samples of a window is a token; a learned
    position embedding is added, with row 19 a learned global token prepended to
    the channel tokens. The global token's transformer output, per window, goes
    through a bidirectional LSTM over time; h_t is the LSTM output.

    Parameters
    ----------
    n_channels : int
        EEG channels per window (19).
    window_samples : int
        Samples per window (200: 1 s at 200 Hz); also the token size.
    dropout : float
        Dropout of the transformer layer (off in ``eval()``).
    """

    latent_dim = 200
    #: Size of the per-window input of the BiLSTM (the global token's output).
    pre_dim = 200

    def __init__(self, n_channels: int = 19, window_samples: int = 200, dropout: float = 0.1):
        super().__init__()
        self.n_channels = n_channels
        self.pos_encoder = nn.Embedding(n_channels + 1, window_samples)
        self.tx_encoder = nn.TransformerEncoderLayer(
            d_model=window_samples,
            nhead=8,
            dim_feedforward=256,
            dropout=dropout,
            activation="relu",
            batch_first=True,
            norm_first=False,
        )
        self.multi_lstm = nn.LSTM(
            window_samples, window_samples // 2, num_layers=1, batch_first=True, bidirectional=True
        )
        self.multi_linear = nn.Linear(window_samples, 2)

    def forward(self, crops: torch.Tensor, pad_mask: torch.Tensor | None = None) -> DetectorOutput:
        """Logits and latents of every window.

        Parameters
        ----------
        crops : Tensor, shape (B, T, 19, 200)
            Standardised EEG windows.
        pad_mask : Tensor of bool, shape (B, T), optional
            True for trailing padding windows, skipped by the BiLSTM.

        Returns
        -------
        DetectorOutput
            ``logits`` (B, T, 2), ``latents`` (B, T, 200) and ``pre`` (B, T, 200),
            the global token's transformer output that feeds the BiLSTM.
        """
        check_crops(crops)
        batch, n_windows, n_channels, n_samples = crops.shape
        tokens = crops.reshape(batch * n_windows, n_channels, n_samples)
        global_token = torch.zeros_like(tokens[:, :1])
        # Row n_channels of the embedding is the global token, placed first.
        order = torch.cat(
            [
                torch.tensor([n_channels], device=crops.device),
                torch.arange(n_channels, device=crops.device),
            ]
        )
        tokens = torch.cat([global_token, tokens], dim=1) + self.pos_encoder(order)
        encoded = self.tx_encoder(tokens)[:, 0].reshape(batch, n_windows, n_samples)
        latents = run_bilstm(self.multi_lstm, encoded, pad_mask)
        return DetectorOutput(self.multi_linear(latents), latents, zero_padding(encoded, pad_mask))
