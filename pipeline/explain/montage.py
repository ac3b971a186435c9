"""EEG montages of the case page: the referential 10-20 channels and the double banana.

Channel names follow TUH naming in upper case (``T3``/``T4``/``T5``/``T6``, not
``T7``/``T8``/``P7``/``P8``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipeline.config import STANDARD_CHANNELS

#: The 19 channels of the 10-20 system, front to back, left before right.
REFERENTIAL: tuple[str, ...] = STANDARD_CHANNELS

#: The longitudinal bipolar ("double banana") montage in reading order: left
#: temporal, right temporal, left parasagittal, right parasagittal, central chain.
#: Each derivation is the first electrode minus the second.
DOUBLE_BANANA: tuple[tuple[str, str], ...] = (
    ("FP1", "F7"), ("F7", "T3"), ("T3", "T5"), ("T5", "O1"),
    ("FP2", "F8"), ("F8", "T4"), ("T4", "T6"), ("T6", "O2"),
    ("FP1", "F3"), ("F3", "C3"), ("C3", "P3"), ("P3", "O1"),
    ("FP2", "F4"), ("F4", "C4"), ("C4", "P4"), ("P4", "O2"),
    ("FZ", "CZ"), ("CZ", "PZ"),
)  # fmt: skip


def bipolar(signals: np.ndarray, channels: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Derive the double-banana montage from referential signals.

    Parameters
    ----------
    signals : ndarray, shape (n_channels, n_samples)
        Referential signals (any unit, typically µV), rows in the order of ``channels``.
    channels : sequence of str
        Channel names of the rows, matched case-insensitively (``"Fp1"`` is ``FP1``).

    Returns
    -------
    derivations : ndarray, shape (18, n_samples)
        ``signals[a] - signals[b]`` for each pair ``(a, b)`` of :data:`DOUBLE_BANANA`,
        in the dtype of ``signals`` (float64 for integer input).
    labels : list of str
        ``"FP1-F7"``, ... in the same order.

    Raises
    ------
    ValueError
        If ``signals`` is not 2-D, its row count differs from ``len(channels)``, or a
        channel of the montage is missing (the message names every missing channel).
    """
    signals = np.asarray(signals)
    if signals.ndim != 2:
        raise ValueError(f"signals must be 2-D (n_channels, n_samples), got shape {signals.shape}")
    names = [str(c).strip().upper() for c in channels]
    if len(names) != signals.shape[0]:
        raise ValueError(f"{len(names)} channel names for {signals.shape[0]} rows of signals")
    row = {name: i for i, name in enumerate(names)}
    needed = dict.fromkeys(name for pair in DOUBLE_BANANA for name in pair)
    missing = [name for name in needed if name not in row]
    if missing:
        raise ValueError(f"double-banana montage needs missing channel(s): {', '.join(missing)}")
    if not np.issubdtype(signals.dtype, np.floating):
        signals = signals.astype(np.float64)
    first = [row[a] for a, _ in DOUBLE_BANANA]
    second = [row[b] for _, b in DOUBLE_BANANA]
    return signals[first] - signals[second], [f"{a}-{b}" for a, b in DOUBLE_BANANA]
