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
#: Negative controls: concepts the preprocessed EEG cannot show. High frequency
#: oscillations (80-500 Hz) lie far above the 30 Hz low-pass (and the 100 Hz
#: Nyquist frequency at 200 Hz), so an AUROC clearly above 0.5 for them means
#: a method reads something other than the EEG pattern (e.g. co-occurring
#: labels). Table 1's macro columns leave them out and report them apart.
CONTROL_CONCEPTS: tuple[str, ...] = ("high frequency oscillation",)


def is_seizure_concept(name: str) -> bool:
    """True for concepts pooled over seizure windows (indices 0-9)."""
    return name in SEIZURE_CONCEPTS


def is_control_concept(name: str) -> bool:
    """True for a negative-control concept (:data:`CONTROL_CONCEPTS`), case-insensitively."""
    return name.strip().lower() in {c.lower() for c in CONTROL_CONCEPTS}
