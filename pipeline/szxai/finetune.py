"""``szxai-ft``: the SzXAI head trained with the detector's BiLSTM unfrozen (issue 14).

Every other method reads frozen latents. This one asks how much that frozen
bottleneck costs: the detector's last recurrent layer (the BiLSTM whose
output h_t the heads read; only the seizure classifier follows it) is copied
with its trained weights and trained together with a fresh SzXAI head, on
the latents that feed it (``h_pre`` in ``latents.parquet``: DeepSOZ's global
token output, CNN-BLSTM's pooled CNN features). The stored ``h_pre`` makes
this cheap: the EEG and the layers below the BiLSTM are never run again, and
the BiLSTM with its trained weights reproduces the stored h_t exactly.

What differs from ``szxai`` (fixed before the first 10-fold run, not tuned):

- the BiLSTM needs consecutive windows, so each crop shows a sub-crop of
  ``train.finetune.windows`` consecutive windows per epoch
  (:func:`anchored_subcrops`) instead of 16 random ones;
- the BiLSTM learns at ``train.finetune.lr_scale`` times the head's ``lr``;
- p_sz, the attention pooling's weights, stays the frozen detector's;
- it always reads h_t, whatever ``detector.<name>.latent_layer`` says (on
  CNN-BLSTM, whose ``szxai`` row reads ``h_pre``, the two rows differ in
  layer as well as in freezing);
- it takes the top-level lambda1 and lambda2, also under ``train.tune``.
"""

from __future__ import annotations

import copy
from dataclasses import replace

import torch
from torch import nn

from pipeline.detectors.base import run_bilstm
from pipeline.szxai.data import CropTensors


def detector_bilstm(detector: nn.Module) -> nn.LSTM:
    """The one bidirectional LSTM of a detector (the layer that outputs its h_t).

    Raises
    ------
    ValueError
        If the detector has no LSTM, several, or a unidirectional one.
    """
    lstms = [m for m in detector.modules() if isinstance(m, nn.LSTM)]
    if len(lstms) != 1 or not lstms[0].bidirectional or not lstms[0].batch_first:
        raise ValueError(
            f"{type(detector).__name__}: szxai-ft needs exactly one batch-first bidirectional "
            f"LSTM, found {len(lstms)}"
        )
    return lstms[0]


class BiLSTMEncoder(nn.Module):
    """A trainable copy of a detector's BiLSTM, mapping its input latents to h_t.

    Parameters
    ----------
    lstm : nn.LSTM
        From :func:`detector_bilstm`; copied, so the detector stays frozen.
    """

    def __init__(self, lstm: nn.LSTM) -> None:
        super().__init__()
        self.lstm = copy.deepcopy(lstm).requires_grad_(True)

    def forward(self, crops: CropTensors) -> CropTensors:
        """``crops`` with ``h`` replaced by the BiLSTM's output.

        Parameters
        ----------
        crops : CropTensors
            ``h`` of shape (B, T, input_size): the detector's ``h_pre``;
            padding must be trailing (as in every crop and sub-crop).

        Returns
        -------
        CropTensors
            ``h`` of shape (B, T, 2 * hidden_size), zero at padding windows.
        """
        return replace(crops, h=run_bilstm(self.lstm, crops.h, ~crops.mask))


def anchored_subcrops(crops: CropTensors, length: int, generator: torch.Generator) -> CropTensors:
    """Per crop, ``length`` consecutive windows around a random seizure window.

    A random sub-crop of a 600-window crop would often miss its seizure, and
    the seizure concepts' pooling (weighted by p_sz) would then train on
    background. So the sub-crop holds a seizure window drawn at random (in
    crops that have one; a random real window otherwise), at a random
    position inside it, shifted to stay within the crop's real windows.

    Parameters
    ----------
    crops : CropTensors
        B crops of T windows; padding trailing.
    length : int
        L; when L >= T the crops are returned unchanged.
    generator : torch.Generator
        CPU generator (the draw is the same on every device).

    Returns
    -------
    CropTensors
        B crops of L windows; a crop with fewer than L real windows is taken
        from its start and keeps its trailing padding, still masked.
    """
    n, n_time = crops.mask.shape
    if length >= n_time:
        return crops
    device = crops.mask.device
    keys = torch.rand((n, n_time), generator=generator).to(device)
    offsets = (torch.rand(n, generator=generator) * length).long().to(device)
    seizure = crops.seizure & crops.mask
    candidates = torch.where(seizure.any(dim=1, keepdim=True), seizure, crops.mask)
    anchor = keys.masked_fill(~candidates, 2.0).argmin(dim=1)
    last_start = (crops.mask.sum(dim=1) - length).clamp(min=0)
    start = torch.minimum((anchor - offsets).clamp(min=0), last_start)
    return crops.windows(start[:, None] + torch.arange(length, device=device))
