"""Where synthetic activity sits on the scalp: 10-20 positions, fields, region words.

Positions are a flat projection of the 10-20 system (nose up, left hemisphere at
negative ``x``, unit radius at the temporal electrodes). A pattern's spatial
footprint is a *field*: one gain per channel in [0, 1], a Gaussian around a focus
electrode for focal activity, a gentle gradient over the whole head for
generalized activity. Region and side words for the notes come from the focus,
so a report says where the synthetic EEG really is.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: (x, y) of each 10-20 electrode: x left (-) to right (+), y back (-) to front (+).
POSITIONS: dict[str, tuple[float, float]] = {
    "FP1": (-0.31, 0.95), "FP2": (0.31, 0.95),
    "F7": (-0.81, 0.59), "F3": (-0.41, 0.53), "FZ": (0.0, 0.5), "F4": (0.41, 0.53),
    "F8": (0.81, 0.59),
    "T3": (-1.0, 0.0), "C3": (-0.5, 0.0), "CZ": (0.0, 0.0), "C4": (0.5, 0.0), "T4": (1.0, 0.0),
    "T5": (-0.81, -0.59), "P3": (-0.41, -0.53), "PZ": (0.0, -0.5), "P4": (0.41, -0.53),
    "T6": (0.81, -0.59),
    "O1": (-0.31, -0.95), "O2": (0.31, -0.95),
}  # fmt: skip
TEMPORAL_FOCI = ("F7", "T3", "T5", "F8", "T4", "T6")
EXTRATEMPORAL_FOCI = ("FP1", "FP2", "F3", "F4", "C3", "C4", "P3", "P4", "O1", "O2")
POSTERIOR = ("O1", "O2", "P3", "P4", "PZ", "T5", "T6")
CENTRAL = ("C3", "CZ", "C4")
#: Lobe word of a focus electrode, as a report names it.
LOBES: dict[str, str] = {
    "FP1": "frontal", "FP2": "frontal", "F3": "frontal", "F4": "frontal",
    "F7": "anterior temporal", "F8": "anterior temporal", "T3": "temporal", "T4": "temporal",
    "T5": "posterior temporal", "T6": "posterior temporal", "C3": "central", "C4": "central",
    "P3": "parietal", "P4": "parietal", "O1": "occipital", "O2": "occipital",
}  # fmt: skip


def side_of(electrode: str) -> str:
    """``left`` / ``right`` (odd / even 10-20 numbers); midline electrodes count as left."""
    return "right" if POSITIONS[electrode][0] > 0 else "left"


def region_words(electrode: str) -> str:
    """Report wording of a focus, e.g. ``"left anterior temporal"``."""
    return f"{side_of(electrode)} {LOBES.get(electrode, 'central')}"


def hemisphere(channels: Sequence[str], side: str) -> np.ndarray:
    """1 on ``side``'s electrodes, 0.15 on the midline, 0 on the other side, shape (n_channels,)."""
    sign = -1.0 if side == "left" else 1.0
    x = np.array([POSITIONS[ch][0] for ch in channels])
    return np.where(x * sign > 0, 1.0, np.where(x == 0, 0.15, 0.0))


def focal_field(channels: Sequence[str], focus: str, width: float) -> np.ndarray:
    """Gaussian field around ``focus``, peak 1, shape (n_channels,).

    ``width`` is the Gaussian's sigma in position units (0.3: the focus and its
    direct neighbours; 0.15: a one-electrode field).
    """
    fx, fy = POSITIONS[focus]
    d2 = np.array([(POSITIONS[ch][0] - fx) ** 2 + (POSITIONS[ch][1] - fy) ** 2 for ch in channels])
    return np.exp(-0.5 * d2 / width**2)


def generalized_field(channels: Sequence[str], frontal_max: float = 0.35) -> np.ndarray:
    """Whole-head field with a frontal maximum, in [1 - frontal_max, 1], shape (n_channels,)."""
    y = np.array([POSITIONS[ch][1] for ch in channels])
    return 1.0 - frontal_max * (1.0 - (y + 1.0) / 2.0)
