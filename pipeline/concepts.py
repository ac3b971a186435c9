"""The reference concept bank of the paper (spec section 6): names, index order, sides.

Indices 0-9 are seizure concepts, 10-19 non-seizure concepts; the pooling and the
alignment loss rely on this split.
"""

from __future__ import annotations

SEIZURE_CONCEPTS: tuple[str, ...] = (
    "spike and wave", "sharp wave", "polyspike", "high frequency oscillation", "spike",
    "paroxysmal", "burst suppression", "high amplitude", "rhythmic", "fast",
)  # fmt: skip
NON_SEIZURE_CONCEPTS: tuple[str, ...] = (
    "artifacts", "postictal", "slowing", "evolving frequency", "noise",
    "interictal", "epileptiform", "PLED", "phase reversal", "background",
)  # fmt: skip
REFERENCE_CONCEPTS: tuple[str, ...] = SEIZURE_CONCEPTS + NON_SEIZURE_CONCEPTS


def is_seizure_concept(name: str) -> bool:
    """True for concepts pooled over seizure windows (indices 0-9)."""
    return name in SEIZURE_CONCEPTS
