"""Names the whole pipeline agrees on, free of torch: concepts, groups, methods, detectors.

The reference concept bank of the paper (spec section 6): names, index order, sides.
Indices 0-9 are seizure concepts, 10-19 non-seizure concepts; the pooling and the
alignment loss rely on this split. Display groups of the concepts, the methods and
reference rows of Table 1, and the frozen detectors are listed here once; the
modules that implement them check that they agree.
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


#: Electrode names of the 10-20 and 10-10 systems (and the ear / mastoid references),
#: upper case: what the part of an EDF label before a reference suffix may be.
_ELECTRODE_ROWS = (
    "FP1 FPZ FP2 AF7 AF3 AFZ AF4 AF8",
    "F9 F7 F5 F3 F1 FZ F2 F4 F6 F8 F10",
    "FT9 FT7 FC5 FC3 FC1 FCZ FC2 FC4 FC6 FT8 FT10",
    "T9 T7 C5 C3 C1 CZ C2 C4 C6 T8 T10",
    "TP9 TP7 CP5 CP3 CP1 CPZ CP2 CP4 CP6 TP8 TP10",
    "P9 P7 P5 P3 P1 PZ P2 P4 P6 P8 P10",
    "PO7 PO3 POZ PO4 PO8 O1 OZ O2 O9 O10 IZ",
    "T3 T4 T5 T6 A1 A2 M1 M2",
)
ELECTRODES: frozenset[str] = frozenset(name for row in _ELECTRODE_ROWS for name in row.split())
#: 10-10 names of the four temporal-parietal electrodes the 10-20 (TUH) names differ on.
TEN_TEN_ALIASES: dict[str, str] = {"T7": "T3", "T8": "T4", "P7": "T5", "P8": "T6"}


def is_seizure_concept(name: str) -> bool:
    """True for concepts pooled over seizure windows (indices 0-9)."""
    return name in SEIZURE_CONCEPTS


def is_control_concept(name: str) -> bool:
    """True for a negative-control concept (:data:`CONTROL_CONCEPTS`), case-insensitively."""
    return name.strip().lower() in {c.lower() for c in CONTROL_CONCEPTS}


#: The two sides of the concept bank (the pooling weights p_sz or 1 - p_sz).
CONCEPT_SIDES: tuple[str, ...] = ("seizure", "non-seizure")
#: Display groups of the concept bank, in the order of the confusion matrices.
CONCEPT_GROUPS: tuple[str, ...] = ("spiking", "rhythmic", "interictal", "background")

#: Every method of Table 1 (spec section 8), in table order.
METHODS: tuple[str, ...] = (
    "szxai", "szxai-avg", "szxai-max", "szxai-nal", "szxai-bce", "szxai-bce-nal",
    "patricio", "yan", "szxai-ft",
)  # fmt: skip
#: The reference rows of Table 1 (spec section 11), in table order: class-balanced
#: logistic regressions on pooled per-window vectors (see :mod:`pipeline.szxai.references`).
REFERENCES: tuple[str, ...] = ("features", "probe", "probe-random", "probe-pre")
#: The frozen seizure detectors (spec section 5), in report order; each has a
#: ``detector.<name>`` params section and an architecture in :mod:`pipeline.detectors`.
DETECTOR_NAMES: tuple[str, ...] = ("deepsoz", "cnnblstm")
#: (channels, samples) of one window as the detectors take it: 19 referential
#: channels x 1 s at 200 Hz, fixed by the architectures and their published
#: checkpoints (spec section 3); params that give another shape fail at load.
DETECTOR_WINDOW: tuple[int, int] = (19, 200)
