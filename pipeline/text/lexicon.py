"""The extractor's terminology dictionary: surface forms of each reference concept.

Written from clinical EEG terminology (ACNS 2012/2021 standardized terminology,
the ACNS glossary of EEG terms and common report usage), independently of the
synthetic corpus generator, so that label quality is not measured on the
generator's own words, and extended with the wordings of the maintained HED-SCORE
terminology (:mod:`pipeline.text.score`). Seed 002's recipe: a dictionary of technical synonyms
and abbreviations per concept, matched longest-first over sentences, with
negated mentions removed by :mod:`pipeline.text.terms`.

Patterns apply to :func:`pipeline.text.terms.normalize` output: lower case,
abbreviations expanded, hyphens and slashes turned into spaces. A match emits the
concept's *name* as its term, so the label rule stays the same for both paths:
the term is embedded and compared with the concept bank (similarity 1 with its
own concept, unless a clinician renamed it in the seed bank).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from .score import score_vocabulary
from .terms import expand_abbreviations, negated_tokens, tokenize

_LATERAL = r"laterali[sz]ed"
#: Words that say where, how often or how fast, not what.
_QUALIFIER = (
    r"(?:\d+(?:\.\d+)?|hz|to|and|or|generali[sz]ed|focal|multifocal|diffuse|left|right|"
    r"bilateral|bilaterally|independent|anterior|mid|posterior|frontal|temporal|central|"
    r"parietal|occipital|frontotemporal|centrotemporal|frequent|occasional|rare|sporadic|"
    r"isolated|abundant|brief|runs? of|bursts? of|" + _LATERAL + r")"
)

#: Concept name -> regular expressions of its surface forms (ACNS wording first).
LEXICON: dict[str, tuple[str, ...]] = {
    "spike and wave": (
        r"(?:slow |atypical |typical )?spikes? (?:and |with |& )?(?:slow )?waves?"
        r"(?: complex\w*| discharges?| activity| bursts?| paroxysms?)?",
        r"spike (?:and )?slow wave complex\w*",
    ),
    "sharp wave": (
        r"sharp (?:and slow )?waves?(?: complex\w*| discharges?| transients?| activity)?",
        r"sharp (?:discharges?|transients?|components?)",
        r"sharps",
        r"sharply contoured (?:waves?|discharges?|transients?)",
    ),
    "polyspike": (
        r"poly ?spikes?(?: (?:and |with )?(?:slow )?waves?)?(?: complex\w*| discharges?| bursts?)?",
        r"multiple spikes?(?: (?:and |with )?(?:slow )?waves?)?(?: complex\w*)?",
        r"multi ?spikes?",
    ),
    "high frequency oscillation": (
        r"high frequency oscillat\w*",
        r"very fast oscillat\w*",
        r"gamma oscillat\w*",
        r"(?:fast )?ripples?",
    ),
    "spike": (
        r"spikes?(?: discharges?| activity| foci| focus| complex\w*)?",
        r"spik(?:ing|y)",
    ),
    "paroxysmal": (r"(?:photo ?)?paroxysm(?:s|al|ally)?",),
    "burst suppression": (
        r"burst (?:suppression|suppressed|attenuation)",
        r"suppression burst",
        r"bursts?(?: of [a-z ]{1,40})? (?:alternating|interspersed|interrupted|separated) "
        r"(?:with|by) (?:[a-z]+ ){0,3}(?:suppression|attenuation|flattening|isoelectric\w*)",
    ),
    "high amplitude": (
        r"(?:very |extremely |abnormally )?(?:high|large|increased|elevated|excessive|greater) "
        r"(?:amplitude|voltage)",
        r"hypervoltage",
        r"(?:amplitude|voltage)s? (?:of |up to |reaching |exceeding |above |over |greater than |"
        r"as high as )(?:1[5-9]\d|[2-9]\d\d|\d{4}) ?(?:uv|microvolts?)",
    ),
    "rhythmic": (r"rhythmic\w*", r"monorhythmic"),
    "fast": (
        r"fast (?:activity|activities|rhythms?|frequenc\w+|waves?|components?|beta)",
        r"faster frequenc\w+",
        r"(?:excess\w*|increased|diffuse|prominent|generalized|frontal|superimposed|"
        r"medication induced|drug induced) beta(?: activity| frequenc\w+| range| rhythms?)?",
        r"beta (?:activity|frequenc\w+|range|rhythms?|band)",
        r"low voltage fast activity",
    ),
    "artifacts": (
        r"artifact\w*",
        r"artefact\w*",
        r"(?:eye ?lid |eye )?blink\w*",
        r"(?:slow (?:roving |rolling )?)?eye movements?",
        r"(?:muscle|myogenic|electromyographic|movement|motion|chewing|glossokinetic|sweat|"
        r"pulse|ecg|ekg|cardiac|respiratory) (?:contamination|potentials?|activity)",
        r"electrode pops?",
        r"lateral rectus spikes?",
    ),
    "postictal": (
        # "postictal slowing" names one finding (an alias of postictal in the seed
        # bank and the synthetic corpus), so the compound is not also slowing.
        r"post ?ictal(?:ly)? (?:slowing|slow\w*|delta|theta|suppression|attenuation)"
        r"(?: activity| waves?)?",
        r"post ?ictal\w*",
        # Only with slowing or suppression in the sentence (see _CONTEXTUAL): "normal
        # alpha activity after the seizure" is not postictal.
        r"(?:following|after) (?:the |each |a |this |these |his |her )?(?:seizures?|"
        r"ictal (?:events?|episodes?|discharges?)|electrographic seizures?)",
    ),
    "slowing": (
        r"slowing",
        r"slow(?:ed)? (?:wave )?(?:activity|background|frequenc\w+|rhythms?)",
        r"slow waves?",
        r"slow(?:ed)?",
        r"background slowing",
        r"slowing of (?:the )?background(?: activity| rhythms?)?",
        r"polymorphic (?:delta|theta)(?: activity| waves?| slowing)?",
        r"(?:excess\w*|increased|intermittent|continuous|diffuse|focal|generalized|regional|"
        r"bilateral|" + _LATERAL + r"|bitemporal|temporal|frontal|arrhythmic) (?:theta|delta)"
        r"(?: (?:and|or) (?:theta|delta))?(?: activity| frequenc\w+| waves?| range)?",
    ),
    "evolving frequency": (
        r"evol(?:v\w*|ution\w*)",
        r"frequenc\w+ (?:evolution|evolv\w*|changes?|shifts?|modulation)",
        r"(?:increasing|decreasing|changing|shifting|slowing|accelerating) (?:in )?frequenc\w+",
        r"(?:changes?|shifts?|increases?|decreases?) in frequenc\w+",
        r"(?:builds?|building|built) up",
    ),
    "noise": (
        r"nois\w*",
        r"(?:50|60) hz(?: (?:interference|artifact\w*|noise|contamination|activity))?",
        r"(?:line|mains|electrical|power line|ac|environmental|electromagnetic) "
        r"(?:interference|artifact\w*)",
        r"interference",
    ),
    "interictal": (
        # The concept is interictal *activity* (ACNS: interictal epileptiform
        # discharges); "the interictal record/period" only says when, not what.
        # The noun is a lookahead: "interictal spikes" is interictal *and* spike.
        # Location, frequency and rate words may come between ("interictal generalized
        # 3 hz spike and wave discharges"); verbs may not ("the interictal record showed").
        r"inter ?ictal(?= (?:" + _QUALIFIER + r" ){0,5}(?:epileptiform |epileptic )?"
        r"(?:discharges?|activity|abnormalit\w+|spikes?|sharp|polyspikes?|transients?|"
        r"findings?|epileptiform|foci|focus))",
    ),
    "epileptiform": (
        r"epileptiform(?: discharges?| activity| abnormalit\w+| transients?| features?"
        r"| potentials?)?",
        r"(?:potentially )?epileptogenic(?: discharges?| activity| focus)?",
        r"epileptic discharges?",
    ),
    "PLED": (
        r"(?:bilateral independent )?periodic " + _LATERAL + r" epileptiform discharges?",
        r"(?:bilateral independent )?(?:" + _LATERAL + r" )?periodic " + _LATERAL + r" discharges?",
        r"(?:bilateral independent |" + _LATERAL + r" |focal |unilateral |hemispheric )"
        r"periodic (?:sharp |epileptiform )?(?:discharges?|complex\w*|sharp waves?)",
    ),
    "phase reversal": (
        r"phase revers\w*",
        r"revers\w* (?:of )?(?:phase|polarity)",
        r"polarity revers\w*",
    ),
    "background": (
        r"background(?: activity| rhythms?| frequenc\w+| alpha)?",
        r"posterior (?:dominant|basic|background) (?:rhythm|activity|frequency|alpha)",
        r"(?:posterior |occipital |dominant |normal )alpha(?: rhythm| activity| frequency)?",
        r"alpha rhythm",
    ),
}


#: Mentions that only count when the sentence also has one of these word stems:
#: concept -> (first words of the mention, stems required elsewhere in the sentence).
_CONTEXTUAL: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "postictal": (("after", "following"), ("slow", "suppress", "attenuat", "delta", "theta")),
}


def _in_context(concept: str, surface: str, tokens: list[str]) -> bool:
    starts, stems = _CONTEXTUAL.get(concept, ((), ()))
    if not surface.startswith(starts) or not starts:
        return True
    return any(t.startswith(stems) for t in tokens)


@dataclass(frozen=True)
class Mention:
    """One dictionary hit in a sentence."""

    concept: str
    surface: str
    start: int  # token index
    end: int
    negated: bool


def phrase_pattern(phrase: str) -> str:
    """A lower-case phrase as a pattern whose last word may be plural ("polysharp waves?")."""
    words = [re.escape(w) for w in phrase.split()]
    last = words[-1]
    words[-1] = last[:-1] + "s?" if last.endswith("s") else last + "(?:s|es)?"
    return " ".join(words)


def _bounded(patterns: Iterable[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(patterns) + r")(?![a-z0-9])")


@cache
def _compiled() -> tuple[tuple[tuple[str, ...], re.Pattern[str]], ...]:
    """``(concepts, pattern)``: ours (one concept each), then HED-SCORE's wordings."""
    ours = [((name,), _bounded(patterns)) for name, patterns in LEXICON.items()]
    score: dict[tuple[str, ...], list[str]] = {}
    for term in score_vocabulary().terms:
        score.setdefault(term.concepts, []).append(phrase_pattern(term.phrase))
    return tuple(ours + [(concepts, _bounded(p)) for concepts, p in score.items()])


def _token_index(tokens: list[str]) -> list[int]:
    """Character offset of each token in ``" ".join(tokens)``."""
    offsets, position = [], 0
    for token in tokens:
        offsets.append(position)
        position += len(token) + 1
    return offsets


def find_mentions(sentence: str) -> list[Mention]:
    """Dictionary mentions of reference concepts in one sentence, with negation.

    Overlapping matches are resolved longest first, so "spike and wave" is not
    also a "spike" and "periodic lateralized epileptiform discharges" not also
    "epileptiform"; adjacent but distinct findings ("paroxysmal fast activity")
    both count.

    Parameters
    ----------
    sentence : str
        Raw sentence (abbreviations are expanded here).

    Returns
    -------
    list of Mention
        In sentence order.

    Examples
    --------
    >>> [(m.concept, m.negated) for m in find_mentions("PLEDs were seen; no spike-and-wave.")]
    [('PLED', False), ('spike and wave', True)]
    """
    tokens = tokenize(expand_abbreviations(sentence))
    text = " ".join(tokens)
    starts = _token_index(tokens)
    token_at = {offset: i for i, offset in enumerate(starts)}
    candidates = []
    for order, (names, pattern) in enumerate(_compiled()):
        for match in pattern.finditer(text):
            if match.start() not in token_at:
                continue
            first = token_at[match.start()]
            last = first + len(match.group(0).split())
            candidates.append((last - first, len(match.group(0)), first, order, last, names))
    # Longest (in tokens, then characters) first; our own entry wins a tie, in LEXICON order.
    candidates.sort(key=lambda c: (-c[0], -c[1], c[2], c[3]))
    taken: set[int] = set()
    chosen = []
    for _, _, first, _, last, names in candidates:
        if taken.isdisjoint(range(first, last)):
            taken.update(range(first, last))
            chosen += [(first, last, name) for name in names]
    negated = negated_tokens(tokens)
    mentions = [
        Mention(name, " ".join(tokens[first:last]), first, last, any(negated[first:last]))
        for first, last, name in sorted(chosen, key=lambda c: c[:2])
    ]
    return [m for m in mentions if _in_context(m.concept, m.surface, tokens)]
