"""Report sections and sentences: which text of a clinical EEG report is examined.

Real reports come in many layouts: one header per line (TUH), every section on
one line (a report exported from a CSV or database field), headers in lower or
mixed case, with doubled spaces or without a colon on their own line, multi-day
monitoring reports (DAY 1, EVENTS, SEIZURES...) and untitled reports. Only the
sections about the patient's past (history, medications, the reason for the
study) are left out; every other section, known or not, is examined, and a
report without any header is examined whole.

A header is recognised

- anywhere (inline too) when it is one of :data:`KNOWN_HEADERS` (or ``DAY n``) in
  any spacing, followed by a colon, and capitalised or at a sentence start
  ("IMPRESSION:", "(06/03) Background:", ". impression:"; not "two types of seizures:");
- at the start of a line when it is any upper-case phrase followed by a colon;
- alone on its line, without a colon, when it is a known header; and inline without
  a colon when it is a known header in capitals at a sentence start, followed by a
  word not in capitals ("... PLEDs. MEDICATIONS Keppra"), or a day of a monitoring
  report in capitals at a sentence start ("... zone. DAY 1 (06/03) Background: ...").

A left-out section ends at the next header or at its first blank line, so an
unrecognised header after the history cannot hide the findings below it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .lexicon import find_mentions

#: Report headers recognised inline, in any case (canonical upper-case spelling).
#: From TUH EEG reports, ACNS guideline 7 (writing the EEG report) and common
#: hospital templates.
KNOWN_HEADERS: tuple[str, ...] = (
    # the patient's past: left out by the default labels.skip_sections
    "CLINICAL HISTORY", "HISTORY", "HISTORY OF PRESENT ILLNESS", "PAST MEDICAL HISTORY",
    "MEDICAL HISTORY", "BRIEF HISTORY", "PATIENT HISTORY", "CLINICAL INFORMATION",
    "MEDICATIONS", "MEDICATION", "CURRENT MEDICATIONS", "MEDS", "ANTIEPILEPTIC MEDICATIONS",
    "REASON FOR EEG", "REASON FOR STUDY", "REASON FOR REFERRAL", "REASON FOR THE STUDY",
    "REASON FOR EXAMINATION", "REASON FOR REQUEST", "INDICATION", "INDICATIONS",
    "INDICATION FOR STUDY", "REFERRING DIAGNOSIS",
    # the recording
    "INTRODUCTION", "TECHNIQUE", "TECHNICAL DESCRIPTION", "TECHNICAL DIFFICULTIES",
    "TECHNICAL NOTES", "TECHNICAL COMMENTS", "RECORDING CONDITIONS", "STATE", "MONTAGES",
    "DESCRIPTION OF THE RECORD", "DESCRIPTION OF RECORD", "DESCRIPTION OF THE RECORDING",
    "DESCRIPTION", "EEG DESCRIPTION", "FINDINGS", "EEG FINDINGS", "RESULTS",
    "BACKGROUND", "BACKGROUND ACTIVITY", "AWAKE", "WAKEFULNESS", "DROWSINESS", "SLEEP",
    "ACTIVATION PROCEDURES", "ACTIVATION", "ACTIVATIONS", "HYPERVENTILATION",
    "PHOTIC STIMULATION", "INTERMITTENT PHOTIC STIMULATION",
    "ABNORMAL DISCHARGES", "EPILEPTIFORM DISCHARGES", "EPILEPTIFORM ACTIVITY",
    "INTERICTAL FINDINGS", "INTERICTAL ACTIVITY", "ICTAL FINDINGS", "SEIZURES", "EVENTS",
    "PUSH BUTTON EVENTS", "CLINICAL EVENTS", "EVENT", "EVENT TIME", "ARTIFACTS", "ARTEFACTS",
    "HR", "HEART RATE", "EKG", "ECG",
    # the reader's conclusion
    "IMPRESSION", "IMPRESSIONS", "INTERPRETATION", "CONCLUSION", "CONCLUSIONS", "SUMMARY",
    "SUMMARY OF FINDINGS", "CLINICAL CORRELATION", "CLINICAL INTERPRETATION", "COMMENT",
    "COMMENTS", "RECOMMENDATIONS", "RECOMMENDATION", "DIAGNOSIS",
)  # fmt: skip


def _words(header: str) -> str:
    """A header's regular expression: its words, any case, any spacing."""
    return r"\s+".join(re.escape(w) for w in header.split())


_KNOWN = "|".join(_words(h) for h in sorted(KNOWN_HEADERS, key=len, reverse=True))
_DAY = r"DAY\s+\d{1,3}"
#: A monitoring report's day header with an optional date in brackets: "DAY 2 (06/04)".
_DAY_DATED = r"DAY[ \t]+\d{1,3}(?:[ \t]*\([^()\n]{1,24}\))?"
#: A known header (or DAY n) after the text's start or a non-word character, then a colon.
_INLINE = re.compile(rf"(?<![\w/-])(?P<name>(?:{_KNOWN}|{_DAY}))\s*:", re.IGNORECASE)
#: A known header in capitals without a colon, at a sentence start, before a word that is
#: not in capitals: "... PLEDs. MEDICATIONS Keppra." (a one-line report of colon-less headers).
_BARE = re.compile(
    r"(?:^|(?<=[.!?:;]\s))[ \t]*(?P<name>(?:"
    + "|".join(
        r"[ \t]+".join(map(re.escape, h.split()))
        for h in sorted(KNOWN_HEADERS, key=len, reverse=True)
    )
    + r"))[ \t]+(?=\d|[A-Z]?[a-z])"
)
#: A monitoring report's day in capitals at a sentence start: "... zone. DAY 1 (06/03) ...".
_DAY_BARE = re.compile(rf"(?:^|(?<=[.!?:;]\s))[ \t]*(?P<name>{_DAY_DATED})(?=\s)", re.M)
#: Any upper-case phrase at the start of a line, then a colon (an unknown header).
_LINE_START = re.compile(r"^[ \t]*(?P<name>[A-Z][A-Z0-9 /&()'-]{0,60}[A-Z0-9)])[ \t]*:", re.M)
#: A known header alone on its line (colon optional).
_OWN_LINE = re.compile(
    rf"^[ \t]*(?P<name>(?:{_KNOWN}|{_DAY_DATED}))[ \t]*:?[ \t]*$", re.IGNORECASE | re.MULTILINE
)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class Section:
    """One section of a report: its canonical header (``""`` when untitled) and body."""

    name: str
    body: str
    skipped: bool = False


def canonical_header(name: str) -> str:
    """Upper case, single spaces: ``"Clinical  history"`` -> ``"CLINICAL HISTORY"``."""
    return " ".join(name.upper().split())


def _written_as_header(text: str, match: re.Match[str]) -> bool:
    """Capitals, a line start or a sentence start; not prose ("two types of seizures:")."""
    name = match.group("name")
    line = text[: match.start("name")].rstrip(" \t")
    if name[0].isupper() or not line or line.endswith("\n"):
        return True
    return line.rstrip()[-1] in ".!?:;"


def _headers(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, canonical name)`` of every header, in text order, overlaps removed."""
    found = [
        (m.start("name"), m.end(), canonical_header(m.group("name")))
        for pattern in (_OWN_LINE, _LINE_START, _INLINE, _BARE, _DAY_BARE)
        for m in pattern.finditer(text)
        if pattern is not _INLINE or _written_as_header(text, m)
    ]
    # Earliest first, the longest of those starting at the same place.
    found.sort(key=lambda h: (h[0], -h[1]))
    headers, end = [], -1
    for start, stop, name in found:
        if start >= end:
            headers.append((start, stop, name))
            end = stop
    return headers


def is_skipped(name: str, skip_sections: tuple[str, ...]) -> bool:
    """Whether a header names a left-out section: it contains a skip phrase as whole words.

    ``"PAST MEDICAL HISTORY"`` is skipped by ``"HISTORY"``, ``"REASON FOR EEG"``
    by ``"REASON FOR"``.
    """
    padded = f" {canonical_header(name)} "
    return any(f" {canonical_header(s)} " in padded for s in skip_sections)


def split_sections(text: str, skip_sections: tuple[str, ...] = ()) -> list[Section]:
    """Split a report into its sections, marking the left-out ones.

    Parameters
    ----------
    text : str
        The whole report.
    skip_sections : tuple of str
        Phrases naming left-out sections (see :func:`is_skipped`).

    Returns
    -------
    list of Section
        In text order; text before the first header (or a report without one)
        is the untitled section ``""``. A left-out section ends at its first
        blank line: what follows is an untitled, examined section.
    """
    sections: list[Section] = []

    def add(name: str, body: str) -> None:
        skipped = bool(name) and is_skipped(name, skip_sections)
        if skipped and (blank := _BLANK_LINE.search(body)):
            body, rest = body[: blank.start()], body[blank.end() :]
            if rest.strip():
                sections.append(Section(name, body.strip(), True))
                sections.append(Section("", rest.strip()))
                return
        if body.strip() or name:
            sections.append(Section(name, body.strip(), skipped))

    position, name = 0, ""
    for start, end, header in _headers(text):
        if start > position or name:
            add(name, text[position:start])
        name, position = header, end
    add(name, text[position:])
    return [s for s in sections if s.body or s.name]


#: Tokens after which a full stop does not end a sentence.
_NO_BREAK = ("dr", "e.g", "i.e", "approx", "vs", "etc", "mr", "mrs", "ms", "fig")
_ITEM_NUMBER = re.compile(r"(?:^|\s)(\d{1,2}[.)])$")
_SENTENCE_END = re.compile(
    r"(?<=[.!?])\s+(?=[A-Z0-9(\"'])|\n\s*\n|\n(?=\s*(?:[-*•]|\d{1,2}[.)]\s))"
)


def split_sentences(text: str) -> list[str]:
    """Sentences of a section body; abbreviations and decimals do not split.

    A single line break does not end a sentence (reports wrap their lines); a
    blank line or a bulleted or numbered item does.
    """
    pieces = _SENTENCE_END.split(text)
    sentences: list[str] = []
    for piece in pieces:
        piece = " ".join(piece.split())
        if sentences and (number := _ITEM_NUMBER.search(sentences[-1])):
            # "due to: 1. Focal slowing": the item number starts the next sentence.
            sentences[-1] = sentences[-1][: number.start()].rstrip()
            piece = f"{number.group(1)} {piece}"
            if not sentences[-1]:
                sentences.pop()
        if not piece:
            continue
        previous = sentences[-1].rsplit(" ", 1)[-1].lower().rstrip(".") if sentences else ""
        if sentences and previous in _NO_BREAK:
            sentences[-1] = f"{sentences[-1]} {piece}"
        else:
            sentences.append(piece)
    return sentences


#: A section body that only says the header's finding is absent ("SPIKES: none").
_ABSENT_BODY = re.compile(
    r"^\s*(?:none|nil|no|not (?:present|seen|observed)|absent|negative)\b", re.IGNORECASE
)


def header_sentence(section: Section) -> str | None:
    """The finding a header names, as a sentence ("ARTIFACTS: ..." -> "ARTIFACTS.").

    A header such as ``ARTIFACTS``, ``BACKGROUND`` or ``EPILEPTIFORM DISCHARGES``
    names a finding that its body may not repeat; ``"EPILEPTIFORM DISCHARGES:
    none"`` becomes ``"No EPILEPTIFORM DISCHARGES."``, so that the negation
    rules see it. Headers that name no concept of the dictionary
    (``IMPRESSION``, ``HR``) give no sentence.
    """
    if not section.name or section.skipped or not find_mentions(section.name):
        return None
    if _ABSENT_BODY.match(section.body):
        return f"No {section.name}."
    return f"{section.name}."


def note_sentences(text: str, skip_sections: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """``(section, sentence)`` pairs of a report's examined text, in order.

    Each examined section contributes its header as a sentence
    (:func:`header_sentence`), then the sentences of its body.
    """
    pairs: list[tuple[str, str]] = []
    for section in split_sections(text, skip_sections):
        if section.skipped:
            continue
        if (head := header_sentence(section)) is not None:
            pairs.append((section.name, head))
        pairs += [(section.name, s) for s in split_sentences(section.body)]
    return pairs
