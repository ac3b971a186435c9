"""Hand-made per-window EEG features: the ``features`` reference row of Table 1 (spec 11).

Every feature is computed per channel of each window, vectorised over a batch
of windows (one real FFT per window and channel). The windows are the
preprocessed ones: band-passed 1.6-30 Hz, clipped and z-scored per recording,
so amplitudes are in units of the recording's standard deviation ("z") and an
absolute band power compares a window with the rest of its recording.

Per channel, in this order (:data:`FEATURES`; the band names come from the
``features.bands`` parameter, default delta 1.6-4, theta 4-8, alpha 8-13,
beta 13-30 Hz):

``logpow_<band>``
    log10 of the absolute band power (z^2): the one-sided Hann-windowed
    periodogram integrated over ``[low, high)`` Hz. Absolute, not relative,
    so that amplitude ("high amplitude", "burst suppression") stays visible;
    relative powers are differences of these logs up to the total.
``line_length``
    Mean absolute first difference (z per sample): large for spikes and fast
    activity.
``peak_to_peak``
    Maximum minus minimum (z).
``peak_freq``
    Frequency (Hz) of the largest periodogram bin inside the bands' overall
    range (1.6-30 Hz by default).
``kurtosis``
    Excess kurtosis of the samples: high for spikes and sharp transients, near
    0 for Gaussian background, -1.5 for a pure sinusoid.
``skewness``
    Skewness of the samples: the polarity of sharp waves.
``mobility``, ``complexity``
    Hjorth parameters: sqrt(var(x') / var(x)) (a mean frequency, per sample)
    and mobility(x') / mobility(x) (how far from a pure sine, which has 1).

Each kind is followed by its maximum and median over the channels
(:data:`SPATIAL_SUMMARIES`): a focal pattern (interictal discharges, an electrode
pop, a focal fast onset) lies at a different electrode in every patient, and a
linear model on per-channel values alone must learn it once per electrode.

A flat channel (zero-filled, or a padding window) gives finite values: power
at the floor :data:`POWER_FLOOR`, 0 for the ratios and moments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from scipy.signal.windows import hann

#: Power floor (z^2) inside the logarithm: a flat channel gives log10 = -12, not -inf.
POWER_FLOOR = 1e-12
#: Variance below which a channel counts as flat (moments and Hjorth ratios are 0).
_FLAT_VARIANCE = 1e-12

#: The per-channel features after the band powers, in storage order.
SHAPE_FEATURES: tuple[str, ...] = (
    "line_length", "peak_to_peak", "peak_freq", "kurtosis", "skewness", "mobility", "complexity",
)  # fmt: skip


#: Summaries over the channels appended to every kind, as pseudo-channels, in order.
SPATIAL_SUMMARIES: dict[str, Callable[..., np.ndarray]] = {"max": np.max, "median": np.median}


def feature_kinds(bands: Mapping[str, tuple[float, float]]) -> list[str]:
    """The per-channel feature kinds: one log power per band, then :data:`SHAPE_FEATURES`."""
    return [f"logpow_{band}" for band in bands] + list(SHAPE_FEATURES)


def feature_names(bands: Mapping[str, tuple[float, float]], channels: Sequence[str]) -> list[str]:
    """``<kind>:<channel>`` for every entry of :func:`window_features`' last axis.

    The layout is kind-major: with ``m = n_channels + len(SPATIAL_SUMMARIES)``,
    entry ``k * m + c`` is kind ``k`` of channel ``c``, and the last entries of
    each kind are its summaries over the channels (``<kind>:max``, ``<kind>:median``).
    """
    columns = [*channels, *SPATIAL_SUMMARIES]
    return [f"{kind}:{column}" for kind in feature_kinds(bands) for column in columns]


def band_powers(
    eeg: np.ndarray, sfreq: float, bands: Mapping[str, tuple[float, float]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Absolute band powers from a Hann-windowed periodogram.

    Parameters
    ----------
    eeg : ndarray, shape (n_windows, n_channels, n_samples)
        Windows in z units.
    sfreq : float
        Sampling rate in Hz.
    bands : mapping of str -> (low, high)
        Band edges in Hz, ``low`` inclusive and ``high`` exclusive.

    Returns
    -------
    power : ndarray of float64, shape (n_windows, n_channels, n_bands)
        Band powers in z^2 (the density integrated over the band's bins).
    psd : ndarray of float64, shape (n_windows, n_channels, n_freqs)
        One-sided power spectral density (z^2 / Hz).
    freqs : ndarray of float64, shape (n_freqs,)
        Bin frequencies in Hz (resolution ``sfreq / n_samples``: 1 Hz for 1 s windows).
    """
    n_samples = eeg.shape[-1]
    taper = hann(n_samples, sym=False)  # periodic, as for spectral analysis
    centred = eeg - eeg.mean(axis=-1, keepdims=True)
    spectrum = np.fft.rfft(centred * taper, axis=-1)
    # Density scaling (as scipy.signal.periodogram with a Hann window): the
    # integral of psd over frequency is the taper-corrected variance.
    psd = np.abs(spectrum) ** 2 / (sfreq * np.sum(taper**2))
    psd[..., 1 : (n_samples + 1) // 2] *= 2  # one-sided: fold the negative frequencies
    freqs = np.fft.rfftfreq(n_samples, 1 / sfreq)
    resolution = sfreq / n_samples
    power = np.stack(
        [psd[..., (freqs >= low) & (freqs < high)].sum(axis=-1) * resolution
         for low, high in bands.values()],
        axis=-1,
    )  # fmt: skip
    return power, psd, freqs


def _moments(centred: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Variance, skewness and excess kurtosis over the last axis (0 for a flat signal)."""
    variance = np.mean(centred**2, axis=-1)
    flat = variance < _FLAT_VARIANCE
    safe = np.where(flat, 1.0, variance)
    skewness = np.mean(centred**3, axis=-1) / safe**1.5
    kurtosis = np.mean(centred**4, axis=-1) / safe**2 - 3.0
    return variance, np.where(flat, 0.0, skewness), np.where(flat, 0.0, kurtosis)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    out = np.zeros(np.broadcast(numerator, denominator).shape)
    np.divide(numerator, denominator, out=out, where=denominator > _FLAT_VARIANCE)
    return out


def hjorth(centred: np.ndarray, variance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hjorth mobility and complexity over the last axis.

    Parameters
    ----------
    centred : ndarray, shape (..., n_samples)
        Mean-removed signal.
    variance : ndarray, shape (...)
        Its variance.

    Returns
    -------
    mobility, complexity : ndarray, shape (...)
        Mobility in radians per sample; complexity dimensionless (1 for a sine).
    """
    first = np.diff(centred, axis=-1)
    second = np.diff(first, axis=-1)
    var_first = np.mean(first**2, axis=-1)
    mobility = np.sqrt(_ratio(var_first, variance))
    mobility_first = np.sqrt(_ratio(np.mean(second**2, axis=-1), var_first))
    return mobility, _ratio(mobility_first, mobility)


def window_features(
    eeg: np.ndarray, sfreq: float, bands: Mapping[str, tuple[float, float]]
) -> np.ndarray:
    """The hand-made features of a batch of windows (see the module docstring).

    Parameters
    ----------
    eeg : ndarray, shape (n_windows, n_channels, n_samples)
        Preprocessed windows in z units (19 x 200 at 200 Hz in the pipeline).
    sfreq : float
        Sampling rate in Hz.
    bands : mapping of str -> (low, high)
        Band edges in Hz, ``low`` inclusive, ``high`` exclusive; the peak
        frequency is searched between the lowest and highest edge.

    Returns
    -------
    ndarray of float32, shape (n_windows, n_kinds * (n_channels + 2))
        Kind-major (see :func:`feature_names`), ``n_kinds = len(bands) + 7``;
        each kind's channels, then its maximum and median over them.
    """
    if eeg.ndim != 3:
        raise ValueError(f"expected windows of shape (n, channels, samples), got {eeg.shape}")
    x = eeg.astype(np.float64, copy=False)
    power, psd, freqs = band_powers(x, sfreq, bands)
    low = min(lo for lo, _ in bands.values())
    high = max(hi for _, hi in bands.values())
    in_range = np.flatnonzero((freqs >= low) & (freqs < high))
    peak_freq = freqs[in_range[np.argmax(psd[..., in_range], axis=-1)]]
    centred = x - x.mean(axis=-1, keepdims=True)
    variance, skewness, kurtosis = _moments(centred)
    mobility, complexity = hjorth(centred, variance)
    kinds = [
        *np.moveaxis(np.log10(power + POWER_FLOOR), -1, 0),
        np.mean(np.abs(np.diff(x, axis=-1)), axis=-1),  # line length
        np.ptp(x, axis=-1),
        peak_freq,
        kurtosis,
        skewness,
        mobility,
        complexity,
    ]
    stacked = np.stack(kinds, axis=1)  # (n_windows, n_kinds, n_channels)
    summaries = [summary(stacked, axis=-1) for summary in SPATIAL_SUMMARIES.values()]
    with_summaries = np.concatenate([stacked, np.stack(summaries, axis=-1)], axis=-1)
    return with_summaries.reshape(len(x), -1).astype(np.float32)
