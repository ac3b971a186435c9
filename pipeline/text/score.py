"""Synonyms of the reference concepts from HED-SCORE, the maintained EEG terminology.

HED-SCORE (Hermes et al.; the SCORE EEG terminology of Beniczky et al. 2013/2017 and
the ACNS 2021 critical care terms, as a HED library schema) ships inside the
``hedtools`` package (MIT), so no download is needed. This module maps SCORE tags
to the 20 reference concepts (our mapping, following ``docs/report_labeling.md``)
and turns each mapped tag into report wording: its name ("Polysharp-waves" ->
"polysharp waves"), the synonyms its description gives ("Synonym: blunted sharp
wave") and the abbreviations it defines ("(FIRDA)", "LPDs."). The dictionary
(:mod:`pipeline.text.lexicon`) adds these to its own forms; what SCORE lacks
(artifacts, noise, evolution, postictal wording, report idioms) stays in our list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

#: The HED-SCORE library schema version read from ``hedtools``' bundled schemas.
SCORE_SCHEMA = "score_2.2.0"

#: SCORE tag -> the reference concepts a report mention of it affirms. Tags left
#: out name no concept (generalized periodic discharges, hypsarrhythmia, sleep
#: graphoelements) or read unlike report wording.
SCORE_CONCEPTS: dict[str, tuple[str, ...]] = {
    "Spike-and-slow-wave": ("spike and wave",),
    "Six-Hz-spike-slow-wave": ("spike and wave",),
    "Rudimentary-spike-wave-complex": ("spike and wave",),
    "Sharp-wave": ("sharp wave",),
    "Sharp-and-slow-wave": ("sharp wave",),
    "Slow-sharp-wave": ("sharp wave",),
    "Polysharp-waves": ("sharp wave",),
    "Polyspikes": ("polyspike",),
    "Polyspike-and-slow-wave": ("polyspike",),
    "Runs-of-rapid-spikes": ("polyspike",),
    "High-frequency-oscillation": ("high frequency oscillation",),
    "Spike": ("spike",),
    "Wicket-spikes": ("spike",),
    "Small-sharp-spikes": ("spike",),
    "Fast-spike-activity": ("spike", "fast"),
    "Background-burst-suppression": ("burst suppression", "background"),
    "Background-burst-attenuation": ("burst suppression", "background"),
    "Slow-wave-large-amplitude": ("slowing", "high amplitude"),
    "Rhythmic-delta-activity": ("rhythmic", "slowing"),
    "Frontal-intermittent-rhythmic-delta-activity": ("rhythmic", "slowing"),
    "Occipital-intermittent-rhythmic-delta-activity": ("rhythmic", "slowing"),
    "Temporal-intermittent-rhythmic-delta-activity": ("rhythmic", "slowing"),
    "Polymorphic-delta-activity": ("slowing",),
    "Irregular-delta-or-theta-activity": ("slowing",),
    "Low-voltage-fast-activity": ("fast",),
    "Superimposed-fast-activity": ("fast",),
    "Lateralized-periodic-discharges": ("PLED",),
    "Bilateral-independent-periodic-discharges": ("PLED",),
    "Epileptiform-interictal-activity": ("epileptiform", "interictal"),
    "Posterior-dominant-rhythm": ("background",),
    "Background-activity": ("background",),
}

#: Tags whose SCORE synonyms name other concepts under our rules ("generalized
#: paroxysmal fast activity" is paroxysmal and fast, not a polyspike).
_OWN_NAME_ONLY = frozenset({"Runs-of-rapid-spikes"})
_SYNONYM = re.compile(r"Synonyms?:\s*([^.;]+)", re.IGNORECASE)
#: "(FIRDA)" or a description that opens with its abbreviation ("LPDs. Lateralized ...").
_ABBREVIATION = re.compile(r"\(([A-Z][A-Za-z]{1,7})\)|^([A-Z][A-Za-z]{1,7})\.\s")


@dataclass(frozen=True)
class ScoreTerm:
    """One report wording taken from SCORE, with the concepts it affirms."""

    phrase: str  # lower case, words separated by single spaces
    concepts: tuple[str, ...]
    tag: str


def tag_phrase(tag: str) -> str:
    """``"Polysharp-waves"`` -> ``"polysharp waves"``."""
    return " ".join(tag.lower().replace("-", " ").split())


def synonyms(description: str) -> list[str]:
    """The synonyms a SCORE description lists, lower case.

    Examples
    --------
    >>> synonyms("A transient ... exceeds 200 ms. Synonym: blunted sharp wave.")
    ['blunted sharp wave']
    """
    found = [p for m in _SYNONYM.finditer(description) for p in m.group(1).split(",")]
    return [" ".join(p.lower().split()) for p in found if p.strip()]


def abbreviations(description: str) -> list[str]:
    """The abbreviations a SCORE description defines, as written, without a plural ``s``.

    Examples
    --------
    >>> abbreviations("Frontal intermittent rhythmic delta activity (FIRDA). Fairly ...")
    ['FIRDA']
    >>> abbreviations("LPDs. Lateralized includes unilateral ...")
    ['LPD']
    """
    found = [a or b for a, b in _ABBREVIATION.findall(description)]
    return [re.sub(r"(?<=[A-Z])s$", "", a) for a in found]


@dataclass(frozen=True)
class ScoreVocabulary:
    """What the dictionary takes from SCORE: wordings, and abbreviations to expand."""

    terms: tuple[ScoreTerm, ...]
    #: Abbreviation as written (matched in capitals only) -> its tag's phrase.
    abbreviations: dict[str, str]


@cache
def score_vocabulary() -> ScoreVocabulary:
    """Every mapped SCORE tag's wordings (name, synonyms) and abbreviations.

    Raises
    ------
    KeyError
        When a tag of :data:`SCORE_CONCEPTS` is not in the schema (a renamed tag
        after a ``hedtools`` upgrade must be noticed, not skipped).
    """
    from hed.schema import load_schema_version
    from hed.schema.hed_schema_constants import HedSectionKey

    tags = load_schema_version(SCORE_SCHEMA)[HedSectionKey.Tags]
    terms: list[ScoreTerm] = []
    short: dict[str, str] = {}
    for tag, concepts in SCORE_CONCEPTS.items():
        entry = tags.get(tag)
        if entry is None:
            raise KeyError(f"HED {SCORE_SCHEMA} has no tag {tag!r} (pipeline/text/score.py)")
        description = entry.description or ""
        phrases = [tag_phrase(tag)]
        if tag not in _OWN_NAME_ONLY:
            phrases += synonyms(description)
        terms += [ScoreTerm(p, concepts, tag) for p in dict.fromkeys(phrases)]
        short |= {a: tag_phrase(tag) for a in abbreviations(description)}
    return ScoreVocabulary(tuple(terms), short)
