"""Text clean-up: abbreviations, negation scope, LLM output parsing."""

from __future__ import annotations

import pytest

from pipeline.text.terms import (
    clean_term,
    content_stems,
    expand_abbreviations,
    negated_tokens,
    parse_list_output,
    starts_negated,
    tokenize,
)


def _negated_words(sentence: str) -> set[str]:
    tokens = tokenize(expand_abbreviations(sentence))
    return {t for t, n in zip(tokens, negated_tokens(tokens), strict=True) if n}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PLEDs over the left", "periodic lateralized epileptiform discharges over the left"),
        ("LPDs and GPDs", "lateralized periodic discharges and generalized periodic discharges"),
        ("frequent HFOs", "frequent high frequency oscillations"),
        ("3 Hz SW complexes", "3 Hz spike and wave complexes"),
        ("IEDs", "interictal epileptiform discharges"),
        ("pleds", "periodic lateralized epileptiform discharges"),
    ],
)
def test_abbreviations_are_expanded(text, expected):
    assert expand_abbreviations(text) == expected


def test_ambiguous_short_abbreviations_need_capitals():
    # "sw" in lower case is not spike-and-wave; "SW" is.
    assert expand_abbreviations("the sw corner") == "the sw corner"
    assert "spike and wave" in expand_abbreviations("generalized SW")


def test_tokenize_splits_hyphens_and_keeps_clause_punctuation():
    assert tokenize("Spike-and-wave, 2.5 Hz; PDR/alpha") == [
        "spike", "and", "wave", ",", "2.5", "hz", ";", "pdr", "alpha",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("sentence", "negated", "affirmed"),
    [
        ("No PLEDs.", {"periodic", "discharges"}, set()),
        ("PLEDs were seen.", set(), {"periodic"}),
        ("There were no spikes, sharp waves or PLEDs.", {"spikes", "sharp", "periodic"}, set()),
        ("No spikes were seen, but slowing was present.", {"spikes"}, {"slowing"}),
        ("There were no spikes, and PLEDs were seen.", {"spikes"}, {"periodic"}),
        ("No spikes were seen and rhythmic delta was present.", {"spikes"}, {"rhythmic"}),
        ("Spikes were seen in the left temporal region, PLEDs were not seen.",
         {"periodic"}, {"spikes"}),
        ("The previously seen PLEDs have resolved.", {"periodic"}, set()),
        ("Rhythmic delta without evolution.", {"evolution"}, {"rhythmic"}),
        ("Negative for burst suppression.", {"burst", "suppression"}, set()),
        ("Absence of epileptiform discharges.", {"epileptiform"}, set()),
        ("Spikes and sharp waves were absent.", {"spikes", "sharp"}, set()),
        ("No change in the background, which shows slowing.", set(), {"background", "slowing"}),
        ("Spikes cannot be excluded.", set(), {"spikes"}),
        ("History of absence seizures with spikes.", set(), {"absence", "spikes"}),
    ],
)  # fmt: skip
def test_negation_scope(sentence, negated, affirmed):
    words = _negated_words(sentence)
    assert negated <= words
    assert not affirmed & words


def test_parse_messy_llm_lists():
    text = (
        "Findings: 1. spikes\n2) sharp waves; slowing\n- PLEDs.\n* 'burst suppression'\n"
        "• rhythmic theta (T3 maximum)\n9. fast activity\n10. noise\n11) artifacts, "
        "phase reversal\n12. spikes\n- none"
    )
    assert parse_list_output(text) == [
        "spikes", "sharp waves", "slowing", "PLEDs", "burst suppression", "rhythmic theta",
        "fast activity", "noise", "artifacts", "phase reversal",
    ]  # fmt: skip


@pytest.mark.parametrize("text", ["", "   \n", " none", "- None.\n", "N/A"])
def test_parse_empty_answers(text):
    assert parse_list_output(text) == []


def test_parse_cut_off_aside_keeps_the_head():
    assert parse_list_output("ictal activity (electrographic, acoustic)") == ["ictal activity"]
    assert parse_list_output("delta (wave 4") == ["delta"]


def test_clean_term_drops_qualifiers_and_singularises():
    assert clean_term("Frequent left temporal PLEDs at 1 Hz") == (
        "periodic lateralized epileptiform discharge"
    )
    assert clean_term("2-3 Hz rhythmic delta activity") == "rhythmic delta activity"
    assert clean_term("multiple spikes") == "multiple spike"
    assert clean_term("left") is None
    assert clean_term("a very long sentence that the model copied from the note text") is None


def test_starts_negated_and_stems():
    assert starts_negated("no burst suppression")
    assert starts_negated("without evolution")
    assert not starts_negated("burst suppression")
    assert content_stems("evolving rhythmic spikes") == content_stems(
        "evolution rhythmicity spiking"
    )


@pytest.mark.parametrize("module", ["pipeline.text.terms", "pipeline.text.lexicon"])
def test_docstring_examples(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
