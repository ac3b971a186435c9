"""Clinical-text clean-up shared by the dictionary and the LLM paths.

Abbreviations are expanded before anything is matched; negation
follows NegEx (Chapman et al. 2001) with clause-aware scopes instead of a fixed
word window, because EEG reports list findings ("no spikes, sharp waves or
PLEDs were seen") further than NegEx's five words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from .score import score_vocabulary

# --------------------------------------------------------------------------- abbreviations

#: Unambiguous EEG abbreviations, matched case-insensitively with an optional
#: plural ``s``. Expansions follow the ACNS 2021 standardized critical care EEG
#: terminology and common report usage.
ABBREVIATIONS: dict[str, str] = {
    "PLED": "periodic lateralized epileptiform discharges",
    "BIPLED": "bilateral independent periodic lateralized epileptiform discharges",
    "LPD": "lateralized periodic discharges",
    "BIPD": "bilateral independent periodic discharges",
    "GPD": "generalized periodic discharges",
    "HFO": "high frequency oscillations",
    "IED": "interictal epileptiform discharges",
    "LRDA": "lateralized rhythmic delta activity",
    "GRDA": "generalized rhythmic delta activity",
    "FIRDA": "frontal intermittent rhythmic delta activity",
    "OIRDA": "occipital intermittent rhythmic delta activity",
    "TIRDA": "temporal intermittent rhythmic delta activity",
    "BIRD": "brief potentially ictal rhythmic discharges",
    "SREDA": "subclinical rhythmic electrographic discharges of adults",
    "PDR": "posterior dominant rhythm",
    "PBR": "posterior basic rhythm",
    "GPFA": "generalized paroxysmal fast activity",
    "PFA": "paroxysmal fast activity",
    "LVFA": "low voltage fast activity",
    "PSWC": "periodic sharp wave complexes",
    "SWC": "spike and wave complexes",
    "SWD": "spike and wave discharges",
    "GSW": "generalized spike and wave",
    "PSW": "polyspike and wave",
    "PPR": "photoparoxysmal response",
    "EMG": "electromyographic",
}

#: Short abbreviations that are also ordinary words or initials: expanded only
#: when written in capitals ("SW" yes, "sw" no).
CASE_SENSITIVE_ABBREVIATIONS: dict[str, str] = {
    "SW": "spike and wave",
    "SSW": "spike and slow wave",
    "PSWs": "polyspike and wave",
    "SWs": "spike and wave",
    "HV": "hyperventilation",
    "IPS": "intermittent photic stimulation",
    "BS": "burst suppression",
}

_CI_PATTERN = re.compile(
    r"\b(" + "|".join(sorted(ABBREVIATIONS, key=len, reverse=True)) + r")s?\b", re.IGNORECASE
)
_CS_PATTERN = re.compile(
    r"\b(" + "|".join(sorted(CASE_SENSITIVE_ABBREVIATIONS, key=len, reverse=True)) + r")\b"
)


@cache
def _score_pattern() -> tuple[dict[str, str], re.Pattern[str] | None]:
    """HED-SCORE abbreviations we do not list, matched in capitals only ("BETS", not "bets")."""
    extra = {
        a: p for a, p in score_vocabulary().abbreviations.items() if a.upper() not in ABBREVIATIONS
    }
    if not extra:
        return extra, None
    return extra, re.compile(r"\b(" + "|".join(sorted(extra, key=len, reverse=True)) + r")s?\b")


def expand_abbreviations(text: str) -> str:
    """Replace EEG abbreviations (with or without plural ``s``) by their expansion.

    Ours (:data:`ABBREVIATIONS`, :data:`CASE_SENSITIVE_ABBREVIATIONS`) and those
    HED-SCORE defines (:mod:`pipeline.text.score`).

    Examples
    --------
    >>> expand_abbreviations("Frequent PLEDs and HFOs; no SW.")
    'Frequent periodic lateralized epileptiform discharges and high frequency oscillations; no spike and wave.'
    """  # noqa: E501
    text = _CI_PATTERN.sub(lambda m: ABBREVIATIONS[m.group(1).upper()], text)
    text = _CS_PATTERN.sub(lambda m: CASE_SENSITIVE_ABBREVIATIONS[m.group(1)], text)
    extra, pattern = _score_pattern()
    return pattern.sub(lambda m: extra[m.group(1)], text) if pattern else text


# --------------------------------------------------------------------------- normalisation

_PUNCT_TOKENS = {",", ";", ":"}
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z]+|[,;:]")


def tokenize(text: str) -> list[str]:
    """Lower-case word, number and clause-punctuation tokens.

    Hyphens and slashes separate words ("spike-and-wave" -> spike and wave), so
    that hyphenated and spaced spellings match the same lexicon entry.
    """
    text = text.lower().replace("µ", "u").replace("μ", "u")
    return _TOKEN.findall(text)


def normalize(text: str) -> str:
    """Tokens of :func:`tokenize` joined by single spaces."""
    return " ".join(tokenize(text))


def singularize(word: str) -> str:
    """Crude English singular, enough for EEG nouns (waves, discharges, frequencies)."""
    if len(word) <= 3 or word.endswith(("ss", "us", "is", "ics")):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


_SUFFIXES = ("ations", "ation", "ically", "ing", "ity", "ed", "al", "ic", "ly", "es", "e", "s", "y")


def stem(word: str) -> str:
    """A 4-letter stem, loose on purpose: it only decides whether a term is grounded."""
    word = singularize(word)
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:4]


# --------------------------------------------------------------------------- negation

#: Before the finding: "no PLEDs", "without evolution", "absence of spikes".
PRE_NEGATION = (
    "no", "not", "without", "absence of", "absent", "negative for", "free of", "lack of",
    "lacks", "lacking", "lacked", "never", "neither", "nor", "none of", "non", "denies",
    "denied", "no longer", "rule out", "resolution of", "disappearance of", "cessation of",
    "rather than", "instead of", "failed to", "fails to",
)  # fmt: skip
#: After the finding: "PLEDs were not seen", "spikes have resolved".
POST_NEGATION = (
    "absent", "not seen", "not present", "not observed", "not identified", "not noted",
    "not detected", "not recorded", "not captured", "not appreciated", "not evident",
    "not demonstrated", "not found", "not visualized", "not visualised", "resolved",
    "ruled out", "excluded", "disappeared", "no longer seen", "no longer present",
    "no longer evident", "no longer observed",
)  # fmt: skip
#: Look like negations but are not ("no change", "cannot be excluded" = possible).
PSEUDO_NEGATION = (
    "no change", "no significant change", "no interval change", "not only", "no increase",
    "no decrease", "not necessarily", "cannot be excluded", "cannot be ruled out",
    "can not be excluded", "can not be ruled out", "could not be excluded",
    "could not be ruled out", "not be excluded", "not be ruled out", "not excluded",
    "not ruled out", "without change", "no definite change",
)  # fmt: skip
#: End a negation scope outright.
TERMINATION = (
    "but", "however", "although", "though", "yet", "except", "apart from", "aside from",
    "whereas", "while", "which", "with the exception of", "nevertheless", "otherwise",
    "other than", "besides", "only", ";", ":",
)  # fmt: skip
#: Finite verbs: a comma or "and" before a clause with one of these starts a new clause.
FINITE_VERBS = frozenset((
    "is", "are", "was", "were", "has", "have", "had", "shows", "showed", "show", "demonstrates",
    "demonstrated", "reveals", "revealed", "appears", "appeared", "occurs", "occurred",
    "persists", "persisted", "contains", "contained", "remains", "remained", "consists",
    "consisted", "includes", "included"
))  # fmt: skip
_SOFT_BOUNDARIES = frozenset({",", "and"})


@dataclass(frozen=True)
class _Trigger:
    start: int
    end: int
    kind: str  # pre, post, pseudo, term


def _phrase_table() -> list[tuple[tuple[str, ...], str]]:
    table = [(tuple(p.split()), "pseudo") for p in PSEUDO_NEGATION]
    table += [(tuple(p.split()), "post") for p in POST_NEGATION]
    table += [(tuple(p.split()), "pre") for p in PRE_NEGATION if p not in POST_NEGATION]
    table += [(tuple(p.split()), "term") for p in TERMINATION]
    # Longest first: "not seen" (post) wins over "not" (pre), "no change" over "no".
    return sorted(table, key=lambda item: -len(item[0]))


_PHRASES = _phrase_table()
# "absent" is both: "absent PDR" and "spikes were absent".
_BOTH = frozenset(tuple(p.split()) for p in PRE_NEGATION if p in POST_NEGATION)


def find_triggers(tokens: list[str]) -> list[_Trigger]:
    """Negation, pseudo-negation and termination phrases, longest match first."""
    triggers, i = [], 0
    while i < len(tokens):
        for phrase, kind in _PHRASES:
            if tuple(tokens[i : i + len(phrase)]) == phrase:
                kinds = ("pre", "post") if phrase in _BOTH else (kind,)
                triggers.extend(_Trigger(i, i + len(phrase), k) for k in kinds)
                i += len(phrase)
                break
        else:
            i += 1
    return triggers


def _segment_has_finite_verb(tokens: list[str], start: int, step: int, stop: int) -> bool:
    """Whether the segment from ``start`` (walking by ``step``) up to a boundary has a verb."""
    i = start
    while i != stop and tokens[i] not in _SOFT_BOUNDARIES:
        if tokens[i] in FINITE_VERBS:
            return True
        i += step
    return False


def _forward_scope(tokens, trigger, hard, clause_start) -> range:
    verb_seen = any(t in FINITE_VERBS for t in tokens[clause_start : trigger.start])
    i = trigger.end
    while i < len(tokens) and i not in hard:
        if tokens[i] in _SOFT_BOUNDARIES:
            if verb_seen and _segment_has_finite_verb(tokens, i + 1, 1, len(tokens)):
                break
        elif tokens[i] in FINITE_VERBS:
            verb_seen = True
        i += 1
    return range(trigger.end, i)


def _backward_scope(tokens, trigger, hard) -> range:
    i = trigger.start - 1
    while i >= 0 and i not in hard:
        if tokens[i] in _SOFT_BOUNDARIES and _segment_has_finite_verb(tokens, i - 1, -1, -1):
            break
        i -= 1
    return range(i + 1, trigger.start)


def negated_tokens(tokens: list[str]) -> list[bool]:
    """For each token, whether it lies in the scope of a negation.

    Parameters
    ----------
    tokens : list of str
        Output of :func:`tokenize` for one sentence.

    Returns
    -------
    list of bool
        Same length as ``tokens``; trigger tokens themselves are False.

    Examples
    --------
    >>> toks = tokenize("No spikes, sharp waves or PLEDs were seen, but slowing was present.")
    >>> [t for t, n in zip(toks, negated_tokens(toks)) if n]
    ['spikes', ',', 'sharp', 'waves', 'or', 'pleds', 'were', 'seen']
    """
    triggers = find_triggers(tokens)
    hard = {i for t in triggers if t.kind == "term" for i in range(t.start, t.end)}
    mask = [False] * len(tokens)
    for trigger in triggers:
        if trigger.kind == "pre":
            clause_start = max([i + 1 for i in hard if i < trigger.start], default=0)
            scope = _forward_scope(tokens, trigger, hard, clause_start)
        elif trigger.kind == "post":
            scope = _backward_scope(tokens, trigger, hard)
        else:
            continue
        for i in scope:
            mask[i] = True
    return mask


# --------------------------------------------------------------------------- LLM output

_BULLET = re.compile(r"^\s*(?:[-*•·+>]+|\(?\d{1,3}[.):]|\(?[a-z][.)]|#+)\s*", re.IGNORECASE)
_LABEL = re.compile(r"^\s*(?:findings?|answer|output|terms?|features?)\s*:\s*", re.IGNORECASE)
_EMPTY_ANSWERS = frozenset(
    {"none", "n/a", "na", "nothing", "no findings", "no eeg findings", "normal", "unknown", ""}
)


def parse_list_output(text: str) -> list[str]:
    """Items of a list written by a small LLM, whatever its formatting.

    Handles ``-``/``*``/``•`` bullets, numbered items (``1.`` ... ``12)``), a
    leading ``Findings:`` label, several items on one line separated by ``;``
    or ``,``, quotes, trailing full stops and "none" answers.

    Examples
    --------
    >>> parse_list_output("1. spikes (T3)\\n2) sharp waves; slowing\\n10. PLEDs.\\n- none")
    ['spikes', 'sharp waves', 'slowing', 'PLEDs']
    """
    items: list[str] = []
    for line in text.splitlines():
        line = _LABEL.sub("", _BULLET.sub("", line))
        line = re.sub(r"\([^()]*\)", " ", line)  # "(T3 maximum)" qualifies, it is no item
        for part in re.split(r"[;,]", line):
            # An unbalanced parenthesis means the list was cut mid-aside: keep the head.
            part = part.split("(")[0] if "(" in part else part.split(")")[-1]
            part = part.strip().strip("\"'`*").rstrip(".").strip()
            part = _BULLET.sub("", part).strip()
            if part.lower() not in _EMPTY_ANSWERS and part not in items:
                items.append(part)
    return items


#: Words that qualify where/how often, not what: dropped from LLM terms so that
#: "frequent left temporal sharp waves" compares as "sharp wave".
#: Not dropped on purpose: "multiple" ("multiple spikes" is a polyspike) and
#: "record" ("interictal record" says when, it is not interictal activity).
_MODIFIERS = frozenset((
    "a", "an", "the", "some", "any", "frequent", "frequently", "occasional", "occasionally",
    "rare", "rarely", "isolated", "sporadic", "few", "several", "many", "brief", "mild",
    "moderate", "marked", "prominent", "possible", "probable", "definite", "left", "right",
    "bilateral", "bilaterally", "bifrontal", "bitemporal", "frontal", "temporal", "central",
    "parietal", "occipital", "frontotemporal", "centrotemporal", "frontocentral",
    "centroparietal", "parasagittal", "hemispheric", "hemisphere", "midline", "vertex",
    "region", "regions", "area", "areas", "over", "in", "on", "at", "with", "during",
    "throughout", "seen", "noted", "present", "observed", "maximal", "maximum", "eeg"
))  # fmt: skip
_UNITS = re.compile(
    r"\b\d+(?:\.\d+)?(?:\s*(?:to|-)\s*\d+(?:\.\d+)?)?\s*"
    r"(?:hz|hertz|per second|c/s|cps|uv|µv|microvolts?|seconds?|secs?|ms|s)?\b",
    re.IGNORECASE,
)
MAX_TERM_WORDS = 6


def clean_term(term: str) -> str | None:
    """Normalise one extracted term for embedding.

    Expands abbreviations, lower-cases, drops numbers with units, location and
    frequency qualifiers, and singularises. Returns ``None`` for terms that are
    empty afterwards or too long to be a finding (a copied sentence).

    Examples
    --------
    >>> clean_term("Frequent left temporal PLEDs at 1 Hz")
    'periodic lateralized epileptiform discharge'
    """
    text = _UNITS.sub(" ", expand_abbreviations(term))
    words = [w for w in tokenize(text) if w not in _PUNCT_TOKENS and w not in _MODIFIERS]
    words = [singularize(w) for w in words if not w.replace(".", "").isdigit()]
    if not words or len(words) > MAX_TERM_WORDS:
        return None
    return " ".join(words)


def canonical(phrase: str) -> str:
    """The form in which bank names and aliases are embedded: tokens, singular."""
    return " ".join(singularize(w) for w in tokenize(phrase) if w not in _PUNCT_TOKENS)


def starts_negated(term: str) -> bool:
    """True when a term carries its own negation ("no burst suppression")."""
    tokens = tokenize(expand_abbreviations(term))
    return any(negated_tokens(tokens)) or bool(tokens and tokens[0] in {"no", "not", "without"})


STOPWORDS = frozenset((
    "a", "an", "the", "of", "and", "or", "in", "on", "at", "with", "to", "for", "by", "from",
    "is", "are", "was", "were", "be", "been", "this", "that", "there", "these", "those", "it",
    "its", "as"
))  # fmt: skip


def content_stems(text: str) -> list[str]:
    """Stems of the content words of a phrase (stop words and numbers removed)."""
    return [
        stem(w)
        for w in tokenize(expand_abbreviations(text))
        if w not in STOPWORDS and w not in _PUNCT_TOKENS and not w[0].isdigit()
    ]
