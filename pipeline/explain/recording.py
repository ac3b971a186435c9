"""A whole recording through the frozen detector and the final SzXAI head.

The recording is read with the ingest checks (:func:`pipeline.io.edf.validate_edf`),
conditioned as in the ``preprocess`` stage, and cut into consecutive
``preprocess.crop_s`` crops from its start (the last one zero-padded and
masked): every second is scored, not only the parts around annotated seizures.
Each crop goes through the detector (p_sz and the latent layer the head was
trained on) and the head (S_nt per window and concept probabilities per crop);
the recording's concept probabilities are the mean over its crops, weighted by
each crop's share of real windows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from pipeline.config import Params
from pipeline.detectors.training import freeze, load_checkpoint, make_batch
from pipeline.io.edf import (
    EdfError,
    EdfSignals,
    channel_indices,
    no_channels_problem,
    read_edf,
    validate_edf,
)
from pipeline.io.problems import is_rejected
from pipeline.preprocessing.preprocess import condition_signal
from pipeline.signal.windows import cut_windows
from pipeline.szxai.data import CropTensors
from pipeline.szxai.final import FinalHead
from pipeline.szxai.training import predict


@dataclass(frozen=True)
class ScoredRecording:
    """Per-window and per-recording outputs of one recording.

    Attributes
    ----------
    duration_s : float
        Recording length (s).
    p_sz : ndarray of float32, shape (n_windows,)
        Detector seizure probability per window (windows of ``window_s``).
    similarity : ndarray of float32, shape (n_windows, N)
        S_nt of the head per window and concept.
    probs : ndarray of float64, shape (N,)
        Concept probabilities of the recording.
    signals_uv : ndarray of float32, shape (19, n_samples)
        The 19 channels in µV at ``sfreq`` (for the EEG excerpts).
    sfreq : float
        Sampling rate of ``signals_uv`` (Hz).
    channels : tuple of str
    missing : tuple of str
        Requested channels absent from the file (zero-filled).
    origin : str
        What time 0 is: the recording's start, or a crop's.
    """

    duration_s: float
    window_s: float
    p_sz: np.ndarray
    similarity: np.ndarray
    probs: np.ndarray
    signals_uv: np.ndarray
    sfreq: float
    channels: tuple[str, ...]
    missing: tuple[str, ...]
    origin: str = "recording start"


def read_checked(path: str | Path, params: Params) -> EdfSignals:
    """The 19 channels of an EDF after the ingest checks, or :class:`EdfError` with the reasons.

    As in ``ingest``: a file the header checks reject, or one where none of the
    required channels is found, is refused; missing channels are zero-filled
    (listed in :attr:`ScoredRecording.missing`).
    """
    channels, aliases = params.preprocess.channels, params.preprocess.channel_aliases
    header, problems = validate_edf(path, channels, aliases)
    if header is not None and not is_rejected(problems):
        if any(i is not None for i in channel_indices(header, channels, aliases)):
            return read_edf(path, channels, header=header, dtype=np.float32, aliases=aliases)
        problems = [no_channels_problem(path, header, channels)]
    rejected = [f"{p.problem}: {p.detail}" for p in problems if p.severity == "rejected"]
    raise EdfError(path, f"rejected by the ingest checks: {'; '.join(rejected) or 'unreadable'}")


def load_detector(params: Params, detector: str, device: torch.device) -> torch.nn.Module:
    """The frozen detector written by ``detector@<name>`` (weights loaded strict)."""
    weights = params.detector.weights_path(detector)
    if not weights.is_file():
        raise FileNotFoundError(f"{weights}: no trained detector; run `dvc repro` first")
    return freeze(load_checkpoint(detector, weights, device))


def detector_pass(
    data: np.ndarray,
    params: Params,
    model: torch.nn.Module,
    device: torch.device,
    desc: str | None = None,
):
    """The detector over consecutive crops of a conditioned recording, one crop at a time.

    Parameters
    ----------
    data : ndarray of float32, shape (19, n_samples)
        The output of :func:`~pipeline.preprocessing.preprocess.condition_signal`.
    params : Params
        ``preprocess.sfreq``, ``crop_s`` and ``window_s``.
    model : nn.Module
        A frozen detector.
    device : torch.device
    desc : str, optional
        A progress bar with this label; None = no bar.

    Yields
    ------
    p_sz : Tensor of float32, shape (1, T)
        Seizure probability of the crop's windows (T = crop_s / window_s).
    output : DetectorOutput
        The detector's latents of the crop.
    is_pad : ndarray of bool, shape (T,)
        Windows past the end of the recording.
    """
    pp = params.preprocess
    n_crops = max(1, math.ceil(data.shape[1] / pp.sfreq / pp.crop_s))
    for k in tqdm(range(n_crops), desc=desc, unit="crop", disable=desc is None):
        windows, is_pad = cut_windows(data, pp.sfreq, k * pp.crop_s, pp.crop_s, pp.window_s)
        batch = make_batch([(windows, np.zeros(len(windows), np.int64), is_pad)], device)
        with torch.inference_mode():
            out = model(batch.eeg, batch.pad)
            p_sz = torch.softmax(out.logits.float(), dim=-1)[..., 1]
        yield p_sz, out, is_pad


def recording_p_sz(
    path: str | Path, params: Params, model: torch.nn.Module, device: torch.device
) -> tuple[np.ndarray, float]:
    """Seizure probability of every window of an EDF recording, and its duration (s)."""
    signals = read_checked(path, params)
    data = condition_signal(signals.data, signals.sfreq, params.preprocess)
    p_sz = [p[0].cpu().numpy()[~pad] for p, _, pad in detector_pass(data, params, model, device)]
    return np.concatenate(p_sz).astype(np.float32), signals.data.shape[1] / signals.sfreq


def score_recording(
    path: str | Path,
    params: Params,
    detector_model: torch.nn.Module,
    head: FinalHead,
    device: torch.device,
    progress: bool = True,
) -> ScoredRecording:
    """Run the detector and the head over every crop of one EDF recording."""
    pp = params.preprocess
    signals = read_checked(path, params)
    data = condition_signal(signals.data, signals.sfreq, pp)
    use_pre = head.record["latent_layer"] == "h_pre"
    p_sz, similarity, probs, real = [], [], [], []
    desc = f"explain {Path(path).name}" if progress else None
    for crop_p, out, is_pad in detector_pass(data, params, detector_model, device, desc):
        mask = torch.from_numpy(~is_pad).to(device).unsqueeze(0)
        latents = (out.pre if use_pre else out.latents).float()
        tensors = CropTensors(latents, crop_p, torch.zeros_like(mask), mask,
                              torch.zeros(1, head.concepts.n_concepts, device=device))  # fmt: skip
        outputs = predict(head.stack, tensors, windows_of=0)
        keep = ~is_pad
        p_sz.append(crop_p[0].cpu().numpy()[keep])
        similarity.append(outputs["similarity"][0][keep])
        probs.append(outputs["probs"][0, 0])
        real.append(keep.sum())
    weights = np.asarray(real, dtype=float)
    return ScoredRecording(
        duration_s=signals.data.shape[1] / signals.sfreq,
        window_s=float(pp.window_s),
        p_sz=np.concatenate(p_sz).astype(np.float32),
        similarity=np.concatenate(similarity).astype(np.float32),
        probs=(np.stack(probs) * weights[:, None]).sum(0) / weights.sum(),
        signals_uv=signals.data,
        sfreq=float(signals.sfreq),
        channels=tuple(pp.channels),
        missing=tuple(signals.missing),
    )
