"""Seizure types of the synthetic corpus v2 and the concepts each makes likely (spec 10).

A patient has one seizure type (a second one with probability
:data:`SECOND_TYPE_P`). The type fixes a *carrier* concept, the morphology every
seizure of that type is made of, and makes optional concepts likely with the
probabilities of the spec's table. ``synth.bundle_strength`` k blends each
type-specific probability with the mean over types,
``p = k p_type + (1 - k) p_mean``: k = 1 ties concepts to types as the table says,
k = 0 draws them independently of the type.

Concepts no type lists (artifacts, noise, the HFO control) and the non-seizure
concepts a type does not mention take the base rates of :data:`BASE_RATES`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pipeline.registry import NON_SEIZURE_CONCEPTS, SEIZURE_CONCEPTS
from pipeline.synth.scalp import EXTRATEMPORAL_FOCI, TEMPORAL_FOCI

SECOND_TYPE_P = 0.15
#: The negative control: planted in the raw EDF above the preprocessing band.
HFO = "high frequency oscillation"
HFO_P = 0.25


@dataclass(frozen=True)
class SeizureType:
    """One row of the spec's seizure-type table.

    Attributes
    ----------
    name : str
    carriers : dict
        Carrier concept -> probability (one is drawn; most types have one carrier
        with probability 1).
    optional : dict
        Optional seizure concept -> probability for a patient of this type.
    duration_s : (float, float)
        Seizure duration range (s).
    tendencies : dict
        Non-seizure concept -> probability (others: :data:`BASE_RATES`).
    generalized : bool
        Generalized onset; else focal with spread.
    foci : tuple of str
        Electrodes a focal onset is drawn from (also the side of lateralized
        non-seizure patterns for generalized types).
    words : str
        How a report names the type (``{region}`` is the focus).
    suppression_s : (float, float)
        Postictal suppression before the delta (s), for a planted ``postictal``.
    evolves_into : dict
        Concept -> probability: after the carrier's onset the seizure evolves
        into exactly one of these; empty for most types.
    """

    name: str
    carriers: dict[str, float]
    optional: dict[str, float]
    duration_s: tuple[float, float]
    tendencies: dict[str, float]
    generalized: bool
    foci: tuple[str, ...]
    words: str
    suppression_s: tuple[float, float] = (0.0, 3.0)
    evolves_into: dict[str, float] = field(default_factory=dict)


_FOCAL_TENDENCIES = {
    "postictal": 0.6, "slowing": 0.5, "interictal": 0.5, "evolving frequency": 0.35,
    "phase reversal": 0.35,
}  # fmt: skip
_ALL_FOCI = (*TEMPORAL_FOCI, "F3", "F4", "C3", "C4", "P3", "P4")

SEIZURE_TYPES: tuple[SeizureType, ...] = (
    SeizureType(
        "absence", {"spike and wave": 1.0},
        {"paroxysmal": 0.7, "rhythmic": 0.5, "high amplitude": 0.5, "polyspike": 0.25},
        (6.0, 25.0), {"background": 0.85, "interictal": 0.5}, True, _ALL_FOCI,
        "typical absence seizures",
    ),
    SeizureType(
        "focal temporal", {"rhythmic": 1.0}, {"sharp wave": 0.45, "spike": 0.2, "fast": 0.15},
        (30.0, 120.0), _FOCAL_TENDENCIES, False, TEMPORAL_FOCI,
        "focal seizures arising from the {region} region",
    ),
    SeizureType(
        "focal extratemporal", {"fast": 1.0}, {"sharp wave": 0.3, "paroxysmal": 0.4},
        (15.0, 90.0), _FOCAL_TENDENCIES, False, EXTRATEMPORAL_FOCI,
        "focal seizures arising from the {region} region",
        evolves_into={"rhythmic": 0.6, "spike": 0.4},
    ),
    SeizureType(
        "tonic-clonic", {"polyspike": 1.0},
        {"fast": 0.6, "spike and wave": 0.4, "high amplitude": 0.6},
        (50.0, 120.0), {"postictal": 0.9}, True, _ALL_FOCI, "generalized tonic-clonic seizures",
        suppression_s=(2.0, 30.0),
    ),
    SeizureType(
        "tonic", {"fast": 1.0}, {"paroxysmal": 0.7, "polyspike": 0.3},
        (8.0, 25.0), {"epileptiform": 0.5, "slowing": 0.6}, True, _ALL_FOCI, "tonic seizures",
    ),
    SeizureType(
        "generalized rhythmic", {"rhythmic": 1.0}, {"sharp wave": 0.35, "high amplitude": 0.4},
        (20.0, 90.0), {"slowing": 0.5}, True, _ALL_FOCI, "generalized onset seizures",
    ),
    SeizureType(
        "encephalopathic", {"burst suppression": 0.7, "sharp wave": 0.3}, {"polyspike": 0.4},
        (20.0, 120.0), {"PLED": 0.7, "slowing": 0.7, "background": 0.05}, True, _ALL_FOCI,
        "seizures in the setting of a diffuse encephalopathy",
    ),
)  # fmt: skip
TYPES_BY_NAME = {t.name: t for t in SEIZURE_TYPES}

#: Probability of a non-seizure concept for a type that does not mention it.
BASE_RATES: dict[str, float] = {
    "artifacts": 0.4, "postictal": 0.15, "slowing": 0.2, "evolving frequency": 0.1,
    "noise": 0.3, "interictal": 0.2, "epileptiform": 0.1, "PLED": 0.05,
    "phase reversal": 0.1, "background": 0.6,
}  # fmt: skip
#: Concepts whose probability does not depend on the type at all.
TYPE_FREE = ("artifacts", "noise")


def _type_probability(kind: SeizureType, concept: str) -> float:
    if concept in SEIZURE_CONCEPTS:
        return kind.optional.get(concept, 0.0) if concept not in kind.evolves_into else 0.0
    if concept in TYPE_FREE:
        return BASE_RATES[concept]
    return kind.tendencies.get(concept, BASE_RATES[concept])


def concept_probability(kind: SeizureType, concept: str, bundle_strength: float) -> float:
    """``k p_type + (1 - k) p_mean`` for an optional or non-seizure concept."""
    p_type = _type_probability(kind, concept)
    p_mean = float(np.mean([_type_probability(t, concept) for t in SEIZURE_TYPES]))
    return bundle_strength * p_type + (1.0 - bundle_strength) * p_mean


@dataclass(frozen=True)
class TypePlan:
    """What one of a patient's seizure types shows in every seizure of that type.

    ``concepts`` is in onset order: the carrier first (for focal extratemporal
    seizures the fast onset, then the pattern it evolves into), then the
    optional concepts drawn for this patient.
    """

    name: str
    concepts: tuple[str, ...]


def draw_type_plan(rng: np.random.Generator, kind: SeizureType, bundle_strength: float) -> TypePlan:
    """Draw the carrier and the optional seizure concepts of one type for one patient."""
    carriers = list(kind.carriers)
    carrier = carriers[int(rng.choice(len(carriers), p=list(kind.carriers.values())))]
    chosen = [carrier]
    if kind.evolves_into:
        names = list(kind.evolves_into)
        p = list(kind.evolves_into.values())
        chosen.append(names[int(rng.choice(len(names), p=p))])
    for concept in SEIZURE_CONCEPTS:
        if concept in chosen or concept == HFO:
            continue
        if rng.random() < concept_probability(kind, concept, bundle_strength):
            chosen.append(concept)
    return TypePlan(kind.name, tuple(chosen))


def draw_non_seizure(
    rng: np.random.Generator, kinds: list[SeizureType], bundle_strength: float
) -> list[str]:
    """Non-seizure concepts of a patient: each drawn with its highest type probability."""
    out = []
    for concept in NON_SEIZURE_CONCEPTS:
        p = max(concept_probability(k, concept, bundle_strength) for k in kinds)
        if rng.random() < p:
            out.append(concept)
    return out


class TypeDealer:
    """Deals seizure types so that every type has about the same number of patients.

    Types come from a stream of seeded permutations; patient ``i`` depends only
    on the stream, not on the cohort size.
    """

    def __init__(self, seed: int, code: int) -> None:
        self.seed, self.code = seed, code

    def primary(self, index: int) -> SeizureType:
        n = len(SEIZURE_TYPES)
        block, offset = divmod(index, n)
        ss = np.random.SeedSequence(self.seed, spawn_key=(self.code, 10**6 + block))
        return SEIZURE_TYPES[int(np.random.default_rng(ss).permutation(n)[offset])]

    def hfo(self, index: int) -> bool:
        """Whether patient ``index`` gets the HFO control: p = HFO_P, on a stream of its own.

        Independent of the type and of every other draw of the patient. (Dealing
        it stratified by type, exactly one in four per type, fixes the margins,
        and cross-validated AUROC of a control with fixed margins is biased below
        0.5: measured 0.31-0.50 on seed 1.)
        """
        ss = np.random.SeedSequence(self.seed, spawn_key=(self.code, 2 * 10**6 + index))
        return bool(np.random.default_rng(ss).random() < HFO_P)
