"""TUH-style EEG reports for synthetic patients (spec section 10).

The report names the patient's seizure type(s) and describes its reported
concepts in varied clinical wording (several phrasings per concept,
abbreviations included), with the region, side and frequencies of the
patient's truth (:class:`NoteFacts`); it adds negated
distractors for some concepts that were *not* planted, and unrelated history
(age, gender, reason for study, medications, heart rate).

The phrase bank lives here and only here: the label extractor must use its own
lexicon, so that label quality is not measured on the generator's own words.
Phrasings avoid words that name *other* concepts (e.g. no "rhythmic" in the
seizure description) so that a note never implies a concept it does not plant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.registry import REFERENCE_CONCEPTS, SEIZURE_CONCEPTS

#: Positive phrasings per concept; ``{side}`` and ``{region}`` are filled in.
PRESENT: dict[str, tuple[str, ...]] = {
    "spike and wave": (
        "generalized {sw_hz} Hz spike and wave discharges",
        "{sw_hz} per second SW complexes with frontal predominance",
        "spike-and-slow-wave complexes at approximately {sw_hz} Hz",
        "bursts of generalized spike-wave at {sw_hz} Hz",
    ),
    "sharp wave": (
        "sharp waves in the {region} region",
        "frequent sharply contoured waves, maximal {side}",
        "{region} sharp waves",
        "sharp wave discharges over the {region} derivations",
    ),
    "polyspike": (
        "generalized polyspikes",
        "polyspike and wave bursts",
        "brief bursts of multiple spikes (polyspike discharges)",
        "generalized polyspike discharges",
    ),
    "high frequency oscillation": (
        "high frequency oscillations in the {region} region",
        "focal HFOs over the {region} leads",
        "bursts of high-frequency oscillatory activity, {side}",
        "HFO bursts superimposed at onset",
    ),
    "spike": (
        "{region} spikes",
        "frequent spike discharges, maximal {side}",
        "focal spikes over the {region} region",
        "repetitive spikes in the {region} derivations",
    ),
    "paroxysmal": (
        "paroxysmal bursts of theta",
        "sudden paroxysmal activity with abrupt onset and offset",
        "paroxysms of high voltage theta",
        "paroxysmal discharges",
    ),
    "burst suppression": (
        "a burst suppression pattern",
        "burst-suppression with 1-2 second bursts",
        "periods of suppression alternating with bursts (burst suppression)",
        "a burst suppression pattern during the event",
    ),
    "high amplitude": (
        "very high amplitude discharges",
        "high-amplitude activity exceeding 200 uV",
        "high voltage ictal discharges",
        "discharges of markedly high amplitude",
    ),
    "rhythmic": (
        "rhythmic theta activity",
        "rhythmic delta-theta activity",
        "monomorphic rhythmic activity",
        "rhythmic {rhythm_hz} Hz activity",
    ),
    "fast": (
        "low voltage fast activity",
        "fast activity in the beta range",
        "{fast_hz} Hz fast beta frequency activity",
        "LVFA (low voltage fast activity) at onset",
    ),
    "artifacts": (
        "eye blink and muscle artifact",
        "frequent muscle artifact over the temporal leads",
        "eye movement artifacts in the frontal channels",
        "myogenic and blink artifacts",
    ),
    "postictal": (
        "postictal slowing following each event",
        "post-ictal delta activity after the seizures",
        "diffuse postictal delta",
        "a postictal state with generalized delta",
    ),
    "slowing": (
        "focal slowing in the {region} region",
        "intermittent {region} delta slowing",
        "polymorphic delta activity, {side}",
        "intermittent focal slowing, maximal {side}",
    ),
    "evolving frequency": (
        "brief runs of activity with evolving frequency",
        "focal activity that evolves in frequency",
        "short runs showing frequency evolution",
        "brief evolving rhythms in the {region} region",
    ),
    "noise": (
        "electrode pops",
        "intermittent electrode noise",
        "a noisy channel with electrode popping",
        "electrode noise over one channel",
    ),
    "interictal": (
        "interictal discharges in the {region} region",
        "occasional interictal discharges",
        "interictal discharges, maximal {side}",
        "IEDs over the {region} region",
    ),
    "epileptiform": (
        "multifocal epileptiform discharges",
        "multifocal sharp transients of epileptiform morphology",
        "multifocal epileptiform transients",
        "scattered epileptiform discharges",
    ),
    "PLED": (
        "PLEDs over the {side_word} hemisphere",
        "periodic lateralized epileptiform discharges, {side}",
        "LPDs at approximately {pled_hz} Hz, {side}",
        "lateralized periodic discharges over the {side_word} hemisphere",
    ),
    "phase reversal": (
        "a phase reversal at {electrode}",
        "transients with phase reversal at {electrode}",
        "phase reversals at {electrode}",
        "a focal transient that phase reverses at {electrode}",
    ),
    "background": (
        "a posterior dominant rhythm of {alpha_hz} Hz",
        "a well-developed {alpha_hz} Hz alpha rhythm posteriorly",
        "a normal background with a {alpha_hz} Hz PDR",
        "a symmetric {alpha_hz} Hz posterior background rhythm, reactive to eye opening",
    ),
}

#: Negated phrasings per concept (whole sentences).
ABSENT: dict[str, tuple[str, ...]] = {
    "spike and wave": (
        "No spike and wave discharges were seen.",
        "There were no 3 Hz SW complexes.",
    ),
    "sharp wave": ("No sharp waves were identified.", "There were no focal sharp waves."),
    "polyspike": ("No polyspikes were recorded.", "There is no evidence of polyspike discharges."),
    "high frequency oscillation": (
        "No HFOs were identified.",
        "No high frequency oscillations were seen.",
    ),
    "spike": ("No spikes were seen.", "There were no focal spikes."),
    "paroxysmal": ("No paroxysmal activity was noted.", "There were no paroxysmal bursts."),
    "burst suppression": (
        "There is no evidence of burst suppression.",
        "No burst-suppression pattern was present.",
    ),
    "high amplitude": ("No high amplitude discharges were seen.",),
    "rhythmic": ("No rhythmic theta or delta was seen.", "There was no rhythmic activity."),
    "fast": ("No fast activity was identified.", "There was no excess beta."),
    "artifacts": ("The record is free of significant artifact.", "No artifacts were noted."),
    "postictal": ("No postictal slowing was seen.", "There was no post-ictal delta."),
    "slowing": ("No focal slowing was seen.", "There is no evidence of slowing."),
    "evolving frequency": (
        "No evolution in frequency was noted.",
        "There was no frequency evolution.",
    ),
    "noise": ("No electrode noise was present.", "There were no electrode pops."),
    "interictal": (
        "No interictal discharges were recorded.",
        "There were no IEDs.",
    ),
    "epileptiform": ("No epileptiform discharges were seen.", "Without epileptiform features."),
    "PLED": ("No PLEDs were seen.", "There were no lateralized periodic discharges (LPDs)."),
    "phase reversal": ("No phase reversals were noted.", "There was no phase reversal."),
    "background": (
        "No posterior dominant rhythm was identified.",
        "There is no well-formed alpha rhythm.",
    ),
}

REASONS = (
    "evaluate for seizures",
    "altered mental status",
    "new onset seizure",
    "breakthrough seizures",
    "syncope versus seizure",
    "episodes of staring",
    "follow-up of known epilepsy",
    "unresponsiveness after a fall",
)
HISTORIES = (
    "history of hypertension and diabetes",
    "history of traumatic brain injury",
    "history of stroke two years ago",
    "history of alcohol use",
    "no significant past medical history",
    "history of migraine",
    "history of developmental delay",
    "history of brain tumor resection",
)
MEDICATIONS = (
    "Keppra",
    "Dilantin",
    "Depakote",
    "Lamictal",
    "Vimpat",
    "Ativan",
    "Tegretol",
    "Topamax",
    "Lipitor",
    "Aspirin",
    "Metoprolol",
    "Insulin",
)
INTRODUCTIONS = (
    "Digital video EEG was performed at bedside using standard 10-20 electrode placement "
    "with one channel of EKG.",
    "Routine EEG was recorded in the laboratory using the international 10-20 system. "
    "The patient was awake and drowsy.",
    "Continuous video EEG monitoring was performed in the epilepsy monitoring unit "
    "with standard electrode placement.",
)
SEIZURE_OPENERS = (
    "{n} electrographic seizures were captured, with",
    "During the recording {n} seizures were recorded, showing",
    "The record captured {n} electroclinical events, with",
)
SEIZURE_OPENER_ONE = (
    "One electrographic seizure was captured, with",
    "A single seizure was recorded, showing",
)
OTHER_OPENERS = (
    "Between events, the record shows",
    "Outside the seizures there are",
    "The interictal record demonstrates",
)
NUMBER_WORDS = ("No", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight")
TYPE_OPENERS = (
    "The events are consistent with {types}.",
    "Seizure type: {types}.",
    "The electroclinical picture is that of {types}.",
)


@dataclass(frozen=True)
class NoteFacts:
    """What a report states about where and how fast: copied from the patient's truth.

    Attributes
    ----------
    type_words : tuple of str
        Clinical name of each seizure type (e.g. "typical absence seizures").
    region : str
        Focus in report wording, e.g. "left anterior temporal".
    side : str
        "left" or "right".
    electrode : str
        The focus electrode (phase reversals are reported there).
    sw_hz, rhythm_hz, fast_hz, pled_hz, alpha_hz : float
        The patient's frequencies (Hz), rounded as a reader would.
    """

    type_words: tuple[str, ...]
    region: str
    side: str
    electrode: str
    sw_hz: float
    rhythm_hz: float
    fast_hz: float
    pled_hz: float
    alpha_hz: float


def _fill(rng: np.random.Generator, template: str, facts: NoteFacts) -> str:
    return template.format(
        region=facts.region,
        side=f"over the {facts.side} hemisphere" if rng.random() < 0.5 else f"on the {facts.side}",
        side_word=facts.side,
        electrode=facts.electrode,
        sw_hz=f"{facts.sw_hz:g}",
        rhythm_hz=f"{facts.rhythm_hz:g}",
        fast_hz=f"{facts.fast_hz:g}",
        pled_hz=f"{facts.pled_hz:g}",
        alpha_hz=f"{facts.alpha_hz:g}",
    )


def _pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _join(phrases: Sequence[str]) -> str:
    """English list: "a", "a and b", "a, b and c"."""
    if len(phrases) <= 1:
        return "".join(phrases)
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


def choose_distractors(
    rng: np.random.Generator, planted: Sequence[str], n: tuple[int, int] = (1, 3)
) -> list[str]:
    """Concepts not planted that the note will mention negated, in REFERENCE_CONCEPTS order."""
    absent = [c for c in REFERENCE_CONCEPTS if c not in planted]
    k = min(int(rng.integers(n[0], n[1] + 1)), len(absent))
    picked = set(rng.choice(absent, size=k, replace=False).tolist())
    return [c for c in REFERENCE_CONCEPTS if c in picked]


def write_note(
    rng: np.random.Generator,
    planted: Sequence[str],
    negated: Sequence[str],
    n_seizures: int,
    facts: NoteFacts,
) -> str:
    """A TUH-style report (plain text, upper-case section headers).

    Parameters
    ----------
    rng : numpy.random.Generator
        Draws wording, history and vitals.
    planted : sequence of str
        Concepts the report names as present (the planted ones it reports).
    negated : sequence of str
        Concepts absent from the EEG that are mentioned negated.
    n_seizures : int
        Seizures captured over the patient's recordings.
    facts : NoteFacts
        Seizure type words, focus and frequencies, from the truth.
    """
    age = int(rng.integers(18, 90))
    gender = "woman" if rng.random() < 0.5 else "man"
    meds = rng.choice(MEDICATIONS, size=int(rng.integers(0, 4)), replace=False).tolist()
    seizure_part = [
        _fill(rng, _pick(rng, PRESENT[c]), facts) for c in planted if c in SEIZURE_CONCEPTS
    ]
    other_part = [
        _fill(rng, _pick(rng, PRESENT[c]), facts) for c in planted if c not in SEIZURE_CONCEPTS
    ]

    description = []
    if n_seizures > 0:
        opener = (
            _pick(rng, SEIZURE_OPENER_ONE)
            if n_seizures == 1
            else _pick(rng, SEIZURE_OPENERS).format(n=NUMBER_WORDS[min(n_seizures, 8)].lower())
        )
        if seizure_part:
            description.append(f"{opener[0].upper()}{opener[1:]} {_join(seizure_part)}.")
        else:
            description.append(opener[0].upper() + opener[1:].rsplit(",", 1)[0] + ".")
        description.append(_pick(rng, TYPE_OPENERS).format(types=_join(facts.type_words)))
    if other_part:
        description.append(f"{_pick(rng, OTHER_OPENERS)} {_join(other_part)}.")
    negations = [_pick(rng, ABSENT[c]) for c in negated]
    # Negations go into the description or the impression, so an extractor
    # cannot learn that one section never holds a negation.
    split = int(rng.integers(0, len(negations) + 1))
    description.extend(negations[:split])

    impression = ["ABNORMAL EEG." if planted or n_seizures else "NORMAL EEG."]
    if planted:
        again = [_fill(rng, _pick(rng, PRESENT[c]), facts) for c in planted]
        impression.append(f"Findings include {_join(again)}.")
    impression.extend(negations[split:])

    correlation = _pick(
        rng,
        (
            "This EEG supports the clinical diagnosis of epilepsy.",
            "Clinical correlation is advised.",
            "These findings are consistent with a seizure disorder; correlate clinically.",
            "No definite clinical correlate was reported by the nursing staff.",
        ),
    )
    sections = [
        (
            "CLINICAL HISTORY",
            f"{age} year old {gender} with {_pick(rng, HISTORIES)}, "
            f"referred for EEG: {_pick(rng, REASONS)}.",
        ),
        ("MEDICATIONS", ", ".join(meds) if meds else "None reported."),
        ("INTRODUCTION", _pick(rng, INTRODUCTIONS)),
        ("DESCRIPTION OF THE RECORD", " ".join(description) or "Unremarkable record."),
        ("HR", f"{int(rng.integers(58, 105))} BPM"),
        ("IMPRESSION", " ".join(impression)),
        ("CLINICAL CORRELATION", correlation),
    ]
    return "\n\n".join(f"{title}: {body}" for title, body in sections) + "\n"
