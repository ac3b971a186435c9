"""Per-recording signal conditioning (spec section 4).

All functions take and return arrays shaped ``(n_channels, n_samples)``; the
time axis is last.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import numpy as np
from scipy import signal


def resample(data: np.ndarray, sfreq: float, target_sfreq: float) -> np.ndarray:
    """Resample with a polyphase anti-aliasing filter.

    Parameters
    ----------
    data : ndarray, shape (n_channels, n_samples)
    sfreq, target_sfreq : float
        Original and target sampling rates (Hz).

    Returns
    -------
    ndarray, shape (n_channels, round(n_samples * target_sfreq / sfreq))
    """
    if sfreq == target_sfreq:
        return data
    ratio = Fraction(target_sfreq / sfreq).limit_denominator(1000)
    return signal.resample_poly(data, ratio.numerator, ratio.denominator, axis=-1)


@lru_cache(maxsize=16)
def _bandpass_sos(l_freq: float, h_freq: float, sfreq: float, order: int) -> np.ndarray:
    return signal.butter(order, [l_freq, h_freq], btype="bandpass", fs=sfreq, output="sos")


def bandpass(
    data: np.ndarray, sfreq: float, l_freq: float, h_freq: float, order: int = 4
) -> np.ndarray:
    """Zero-phase Butterworth band-pass (forward-backward second-order sections).

    Parameters
    ----------
    data : ndarray, shape (n_channels, n_samples)
    sfreq : float
        Sampling rate (Hz).
    l_freq, h_freq : float
        Pass band edges (Hz).
    order : int
        Butterworth order as in ``scipy.signal.butter``; forward-backward
        filtering doubles the attenuation and cancels the phase.
    """
    sos = _bandpass_sos(float(l_freq), float(h_freq), float(sfreq), int(order))
    return signal.sosfiltfilt(sos, data, axis=-1)


def clip_and_standardize(data: np.ndarray, clip_std: float = 2.0) -> np.ndarray:
    """Clip each channel at mean +- ``clip_std`` std, then z-score each channel.

    Flat channels (zero-filled missing channels included) stay zero instead of
    dividing by a zero standard deviation.

    Parameters
    ----------
    data : ndarray, shape (n_channels, n_samples)
    clip_std : float
        Clipping bound in standard deviations of the unclipped channel.

    Returns
    -------
    ndarray, shape (n_channels, n_samples), dimensionless
    """
    mean = data.mean(axis=-1, keepdims=True)
    std = data.std(axis=-1, keepdims=True)
    clipped = np.clip(data, mean - clip_std * std, mean + clip_std * std)
    mean = clipped.mean(axis=-1, keepdims=True)
    std = clipped.std(axis=-1, keepdims=True)
    safe_std = np.where(std > 0, std, 1.0)
    return np.where(std > 0, (clipped - mean) / safe_std, 0.0)
