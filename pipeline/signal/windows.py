"""Crops around seizures and 1-s window labels (spec section 4).

Times are in seconds from the start of the recording. A crop is ``crop_s``
seconds long and starts on a whole window boundary; where it runs past the end
of the recording its windows are padding (zeros, ``is_pad``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Interval = tuple[float, float]


def seizure_crop_start(
    onset_s: float,
    duration_s: float,
    crop_s: int,
    allowed: Interval,
    position: float,
) -> int:
    """Start of the crop around one seizure.

    The onset is placed at ``position`` (a fraction in [0, 1)) of the crop, so
    that drawing ``position`` uniformly spreads onsets over the crop and the
    detector cannot learn "seizures start in the middle". The crop is then
    shifted to stay inside ``allowed`` (the gap between the neighbouring
    seizures) and inside the recording; where neither fits, the recording wins
    and where the recording is shorter than the crop, the crop starts at 0.

    Parameters
    ----------
    onset_s : float
        Seizure onset (s).
    duration_s : float
        Recording duration (s).
    crop_s : int
        Crop length (s).
    allowed : (float, float)
        End of the previous seizure and onset of the next one (s), or the
        recording bounds where there is none.
    position : float
        Fraction of the crop before the onset, in [0, 1).

    Returns
    -------
    int
        Crop start (s), a whole second.
    """
    start = int(np.floor(onset_s - position * crop_s))
    low, high = allowed
    if high - low >= crop_s:
        start = min(max(start, int(np.ceil(low))), int(np.floor(high)) - crop_s)
    last_start = int(np.floor(duration_s)) - crop_s
    if last_start < 0:
        return 0
    return min(max(start, 0), last_start)


def seizure_crop_starts(
    seizures: Sequence[Interval], duration_s: float, crop_s: int, rng: np.random.Generator
) -> list[int]:
    """One crop start per seizure, onsets spread uniformly over the crop.

    Seizures whose crops coincide (a recording shorter than a crop, or seizures
    too close to be kept apart) share one crop: an identical crop twice would
    count its windows twice in training and in every metric.

    Parameters
    ----------
    seizures : sequence of (start, stop)
        Sorted, non-overlapping seizure intervals (s).
    duration_s : float
        Recording duration (s).
    crop_s : int
        Crop length (s).
    rng : numpy.random.Generator
        Draws the onset position in each crop.

    Returns
    -------
    list of int
        Distinct crop starts (s), in seizure order.
    """
    starts = []
    for i, (onset, _) in enumerate(seizures):
        low = seizures[i - 1][1] if i > 0 else 0.0
        high = seizures[i + 1][0] if i + 1 < len(seizures) else duration_s
        starts.append(seizure_crop_start(onset, duration_s, crop_s, (low, high), rng.random()))
    return list(dict.fromkeys(starts))


def background_crop_starts(
    duration_s: float, crop_s: int, n_crops: int, rng: np.random.Generator
) -> list[int]:
    """Distinct random whole-second crop starts for a recording without seizures.

    Drawn without replacement, so no crop is repeated; fewer than ``n_crops``
    when the recording has fewer distinct starts.
    """
    last_start = int(np.floor(duration_s)) - crop_s
    if last_start <= 0:
        return [0] * min(n_crops, 1)
    n = min(n_crops, last_start + 1)
    return sorted(int(s) for s in rng.choice(last_start + 1, size=n, replace=False))


def window_labels(
    crop_start_s: float, n_windows: int, window_s: float, seizures: Sequence[Interval]
) -> np.ndarray:
    """Seizure label of each window: 1 where seizures cover more than half of it.

    Parameters
    ----------
    crop_start_s : float
        Start of the first window (s).
    n_windows : int
        Number of consecutive windows.
    window_s : float
        Window length (s).
    seizures : sequence of (start, stop)
        Non-overlapping seizure intervals (s).

    Returns
    -------
    ndarray of int8, shape (n_windows,)
    """
    win_start = crop_start_s + window_s * np.arange(n_windows)
    win_stop = win_start + window_s
    overlap = np.zeros(n_windows)
    for start, stop in seizures:
        overlap += np.clip(np.minimum(win_stop, stop) - np.maximum(win_start, start), 0, None)
    return (overlap > window_s / 2).astype(np.int8)


def cut_windows(
    data: np.ndarray, sfreq: float, crop_start_s: int, crop_s: int, window_s: int
) -> tuple[np.ndarray, np.ndarray]:
    """Cut one crop into windows, zero-padding past the end of the recording.

    Parameters
    ----------
    data : ndarray, shape (n_channels, n_samples)
    sfreq : float
        Sampling rate (Hz); ``window_s * sfreq`` must be a whole number.
    crop_start_s, crop_s, window_s : int
        Crop start, crop length and window length (s).

    Returns
    -------
    windows : ndarray, shape (n_windows, n_channels, window_samples)
    is_pad : ndarray of bool, shape (n_windows,)
        True for windows not fully covered by the recording.
    """
    n_windows = crop_s // window_s
    win_samples = int(round(window_s * sfreq))
    first = int(round(crop_start_s * sfreq))
    n_channels, n_samples = data.shape
    crop = np.zeros((n_channels, n_windows * win_samples), dtype=data.dtype)
    available = max(0, min(n_samples - first, crop.shape[1]))
    crop[:, :available] = data[:, first : first + available]
    windows = crop.reshape(n_channels, n_windows, win_samples).transpose(1, 0, 2)
    is_pad = (np.arange(n_windows) + 1) * win_samples > available
    return windows, is_pad
