"""Report sections: inline, own-line and unknown headers, left-out sections, sentences."""

from __future__ import annotations

import pytest

from pipeline.config import LabelParams
from pipeline.text.sections import (
    header_sentence,
    is_skipped,
    note_sentences,
    split_sections,
    split_sentences,
)

SKIP = LabelParams().skip_sections
MULTI_LINE = (
    "CLINICAL HISTORY: 30 year old with spells. Prior EEG showed PLEDs.\n"
    "MEDICATIONS: Keppra.\n"
    "DESCRIPTION OF THE RECORD: The background is 9.5 Hz. Dr. Smith read it.\n\n"
    "IMPRESSION: Abnormal EEG due to left temporal sharp waves."
)


def _examined(text: str) -> list[str]:
    return [s for _, s in note_sentences(text, SKIP)]


def test_sections_and_sentences():
    sections = split_sections(MULTI_LINE, SKIP)
    assert [(s.name, s.skipped) for s in sections] == [
        ("CLINICAL HISTORY", True), ("MEDICATIONS", True),
        ("DESCRIPTION OF THE RECORD", False), ("IMPRESSION", False),
    ]  # fmt: skip
    assert split_sentences(sections[2].body) == ["The background is 9.5 Hz.", "Dr. Smith read it."]
    assert _examined(MULTI_LINE) == [
        "The background is 9.5 Hz.", "Dr. Smith read it.",
        "Abnormal EEG due to left temporal sharp waves.",
    ]  # fmt: skip


def test_inline_headers_end_the_history():
    # One line, as exported from a CSV field: the history must not swallow the rest.
    one_line = " ".join(MULTI_LINE.split())
    assert _examined(one_line) == _examined(MULTI_LINE)


@pytest.mark.parametrize(
    "history",
    [
        "CLINICAL  HISTORY: Prior EEG showed PLEDs.",
        "Clinical history: Prior EEG showed PLEDs.",
        "clinical history: Prior EEG showed PLEDs.",
        "PAST MEDICAL HISTORY: Prior EEG showed PLEDs.",
        "Reason for EEG: PLEDs on a prior EEG.",
        "CLINICAL HISTORY\nPrior EEG showed PLEDs.",
    ],
)
def test_history_in_any_case_and_spacing_is_left_out(history):
    text = f"{history}\nDESCRIPTION OF THE RECORD: Slowing over the left temporal region."
    assert _examined(text) == ["Slowing over the left temporal region."]


def test_unknown_headers_are_kept_and_a_blank_line_ends_the_history():
    text = "HISTORY: Prior PLEDs.\n\nThe record shows sharp waves.\nEKG LEAD: regular."
    assert _examined(text) == ["The record shows sharp waves.", "regular."]


def test_prose_with_a_colon_is_no_header():
    # "seizures:" in lower case inside the history must not end it.
    text = "CLINICAL HISTORY: Two kinds of seizures: staring, GTCs. Prior PLEDs.\nIMPRESSION: Ok."
    assert _examined(text) == ["Ok."]


def test_report_without_headers_is_examined_whole():
    assert note_sentences("EEG\nSpikes were seen. No slowing.", SKIP) == [
        ("", "EEG Spikes were seen."), ("", "No slowing."),
    ]  # fmt: skip


def test_monitoring_days_and_events_are_sections():
    text = (
        "REASON FOR EEG: Spells. DAY 1: Frequent sharp waves. DAY 2: Rhythmic delta. "
        "EVENTS: None. SEIZURES: None."
    )
    names = [s.name for s in split_sections(text, SKIP)]
    assert names == ["REASON FOR EEG", "DAY 1", "DAY 2", "EVENTS", "SEIZURES"]


@pytest.mark.parametrize(
    ("section_text", "sentence"),
    [
        ("ARTIFACTS: muscle and eye movement.", "ARTIFACTS."),
        ("EPILEPTIFORM DISCHARGES: None.", "No EPILEPTIFORM DISCHARGES."),
        ("IMPRESSION: Normal.", None),
        ("HR: 72 bpm.", None),
    ],
)
def test_header_naming_a_finding_becomes_a_sentence(section_text, sentence):
    (section,) = split_sections(section_text, SKIP)
    assert header_sentence(section) == sentence


def test_skip_phrases_match_whole_words():
    assert is_skipped("FAMILY HISTORY", SKIP)
    assert is_skipped("REASON FOR REFERRAL", SKIP)
    assert not is_skipped("DESCRIPTION OF THE RECORD", SKIP)
    assert not is_skipped("MEDSCAPE", ("MEDS",))


def test_numbered_items_on_their_own_lines_are_sentences():
    assert split_sentences("Abnormal EEG due to:\n1. Focal slowing\n2. Sharp waves") == [
        "Abnormal EEG due to:", "1. Focal slowing", "2. Sharp waves",
    ]  # fmt: skip


def test_colonless_capital_headers_inline():
    text = "CLINICAL HISTORY 57 year old, PLEDs in 2014. MEDICATIONS Keppra. FINDINGS Slowing."
    assert _examined(text) == ["Slowing."]
    # An all-capitals report: "HISTORY OF" followed by capitals is prose, not a header.
    assert _examined("IMPRESSION: SLOWING. HISTORY OF STROKE.") == [
        "SLOWING.",
        "HISTORY OF STROKE.",
    ]


def test_dated_days_and_capitalised_headers_end_the_history_inline():
    # A monitoring report flattened to one line: the day and "Background:" end the reason.
    text = "REASON FOR STUDY: Localization. DAY 1 (06/03) Background: Slowing in RH1."
    assert _examined(text) == ["BACKGROUND.", "Slowing in RH1."]
    assert _examined("REASON FOR STUDY: Spells.\nDAY 2 (06/04)\nSpikes at T3.") == ["Spikes at T3."]
