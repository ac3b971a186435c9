"""Per-recording signal conditioning (spec section 4).

All functions take and return arrays shaped ``(n_channels, n_samples)``; the
time axis is last.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import numpy as np
from scipy import fft, signal


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


def resample_bandpass(
    data: np.ndarray,
    sfreq: float,
    target_sfreq: float,
    l_freq: float,
    h_freq: float,
    order: int = 4,
    pad_s: float = 10.0,
) -> np.ndarray:
    """Resample and zero-phase Butterworth band-pass in one pass in the frequency domain.

    Forward-backward filtering with a Butterworth filter has the zero-phase
    response ``|H(f)|^2``. Multiplying the spectrum by it and keeping only the
    bins below the target Nyquist frequency resamples and band-passes with one
    FFT pair per channel, about 3x faster than ``resample_poly`` followed by
    ``sosfiltfilt``; away from the ends the two agree to ~1e-3 of the signal
    RMS (tested). The ends are odd-extended by ``pad_s`` seconds, as
    ``filtfilt`` does, so the circular FFT does not wrap one end into the other.

    Parameters
    ----------
    data : ndarray, shape (n_channels, n_samples)
        Float32 input gives float32 output (half the memory traffic).
    sfreq, target_sfreq : float
        Original and target sampling rates (Hz); ``target_sfreq <= sfreq``.
    l_freq, h_freq : float
        Pass band edges (Hz), below ``target_sfreq / 2``.
    order : int
        Butterworth order, as in :func:`bandpass`.
    pad_s : float
        Odd extension at each end (s); covers the 1.6 Hz high-pass transient.

    Returns
    -------
    ndarray, shape (n_channels, round(n_samples * target_sfreq / sfreq))
    """
    if target_sfreq > sfreq:
        raise ValueError(f"cannot upsample {sfreq} Hz to {target_sfreq} Hz")
    ratio = Fraction(target_sfreq / sfreq).limit_denominator(1000)
    n_in = data.shape[-1]
    n_out = int(round(n_in * ratio))
    # Pads in whole multiples of the ratio's denominator map onto whole output samples.
    step = ratio.denominator
    pad = min(int(np.ceil(pad_s * sfreq / step)) * step, (n_in - 1) // step * step)
    n_total = fft.next_fast_len(n_in + 2 * pad, real=True)
    n_total += -n_total % step
    tail = n_total - n_in - pad
    padded = np.empty(data.shape[:-1] + (n_total,), dtype=data.dtype)
    padded[..., pad : pad + n_in] = data
    # Odd extension: 2 x[0] - x[pad..1] before, 2 x[-1] - x[-2..] after (as filtfilt).
    padded[..., :pad] = 2 * data[..., :1] - data[..., pad:0:-1]
    after = data[..., -2 : -2 - tail : -1] if tail < n_in else data[..., -2::-1]
    padded[..., pad + n_in : pad + n_in + after.shape[-1]] = 2 * data[..., -1:] - after
    padded[..., pad + n_in + after.shape[-1] :] = 2 * data[..., -1:] - data[..., :1]
    spectrum = fft.rfft(padded, axis=-1)
    n_total_out = n_total * ratio.numerator // ratio.denominator
    n_bins = n_total_out // 2 + 1
    spectrum = spectrum[..., :n_bins]
    spectrum *= _zero_phase_response(
        float(l_freq), float(h_freq), float(target_sfreq), int(order), n_bins,
        float(sfreq) / n_total,
    ).astype(spectrum.dtype)  # fmt: skip
    out = fft.irfft(spectrum, n=n_total_out, axis=-1)
    out *= n_total_out / n_total
    start = pad * ratio.numerator // ratio.denominator
    return out[..., start : start + n_out]


def _zero_phase_response(
    l_freq: float, h_freq: float, sfreq: float, order: int, n_bins: int, df: float
) -> np.ndarray:
    """``|H(f)|^2`` of the Butterworth band-pass at ``n_bins`` frequencies ``k * df`` (Hz).

    Closed form of the filter :func:`_bandpass_sos` designs: the bilinear
    transform maps ``f`` to ``t = tan(pi f / sfreq)`` (up to a constant that
    cancels), and the band-pass transform of the order-``order`` Butterworth
    low-pass gives ``|H|^2 = 1 / (1 + x^(2 order))`` with
    ``x = (t^2 - t_l t_h) / (t (t_h - t_l))``. It equals
    ``scipy.signal.sosfreqz`` to rounding (tested) at a fraction of its cost,
    which was a tenth of the preprocessing time, and needs no cache per
    recording length.
    """
    t = np.tan(np.pi * np.arange(n_bins) * df / sfreq)
    t_low, t_high = np.tan(np.pi * l_freq / sfreq), np.tan(np.pi * h_freq / sfreq)
    with np.errstate(divide="ignore", over="ignore"):
        # t = 0 (DC) gives x = -inf and |H|^2 = 0, as it should.
        x = (t**2 - t_low * t_high) / (t * (t_high - t_low))
        return 1.0 / (1.0 + x ** (2 * order))


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
    out = np.array(data, dtype=np.result_type(data.dtype, np.float32), copy=True)
    mean, std = _moments(out)
    np.clip(out, mean - clip_std * std, mean + clip_std * std, out=out)
    mean, std = _moments(out)
    # A constant channel leaves a rounding-level std: treat it as flat too.
    flat = std[:, 0] <= 1e-6 * np.abs(mean[:, 0])
    out -= mean
    out /= np.where(std > 0, std, 1.0)
    out[flat] = 0.0
    return out


#: Samples per block of the sum of squares (float32 error grows with the block).
_MOMENT_BLOCK = 4096


def _moments(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and (population) std in one pass over the samples.

    Sums of values and of squares instead of ``mean`` + ``std`` (~2x faster).
    The sum is numpy's pairwise summation in the data's precision; the squares
    are summed in blocks of :data:`_MOMENT_BLOCK` samples in the data's
    precision and the block sums in float64. Relative error ~1e-7 for float32
    recordings of hours (tested), ~4x faster than accumulating everything in
    float64; band-passed EEG has a near-zero mean, so ``E[x^2] - mean^2`` does
    not cancel.
    """
    n = data.shape[-1]
    mean = data.sum(axis=-1, keepdims=True).astype(np.float64) / n
    square = np.zeros((data.shape[0], 1))
    for start in range(0, n, _MOMENT_BLOCK):
        block = data[:, start : start + _MOMENT_BLOCK]
        square[:, 0] += np.einsum("ij,ij->i", block, block)
    square /= n
    std = np.sqrt(np.maximum(square - mean**2, 0.0))
    return mean.astype(data.dtype), std.astype(data.dtype)
