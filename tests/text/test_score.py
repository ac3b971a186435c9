"""HED-SCORE synonyms: read from the schema hedtools ships, mapped to the 20 concepts."""

from __future__ import annotations

from pipeline.registry import REFERENCE_CONCEPTS
from pipeline.text.lexicon import find_mentions
from pipeline.text.score import SCORE_CONCEPTS, abbreviations, score_vocabulary, synonyms
from pipeline.text.terms import expand_abbreviations


def test_every_mapped_tag_is_in_the_schema_and_names_reference_concepts():
    vocabulary = score_vocabulary()
    assert {t.tag for t in vocabulary.terms} == set(SCORE_CONCEPTS)
    assert all(set(t.concepts) <= set(REFERENCE_CONCEPTS) for t in vocabulary.terms)
    # Wording and abbreviations come from the schema's descriptions, not from us.
    assert "blunted sharp wave" in {t.phrase for t in vocabulary.terms}
    assert vocabulary.abbreviations["FIRDA"] == "frontal intermittent rhythmic delta activity"


def test_description_parsing():
    assert synonyms("Bursts. Synonyms: rhythmic spikes, grand mal discharge.") == [
        "rhythmic spikes", "grand mal discharge",
    ]  # fmt: skip
    assert abbreviations("BIPDs. Bilateral Independent refers to ...") == ["BIPD"]
    assert abbreviations("High Frequency Oscillation (HFO). Oscillations ...") == ["HFO"]


def test_score_abbreviations_expand_in_capitals_only():
    assert expand_abbreviations("BETS in drowsiness") == "small sharp spikes in drowsiness"
    assert expand_abbreviations("no bets") == "no bets"


def test_score_wordings_give_every_concept_they_name():
    assert [m.concept for m in find_mentions("Left TIRDA.")] == ["rhythmic", "slowing"]
    assert [m.concept for m in find_mentions("Polysharp waves on the right.")] == ["sharp wave"]
    # The longest match keeps both concepts of a compound SCORE wording.
    assert {m.concept for m in find_mentions("background burst suppression")} == {
        "burst suppression", "background",
    }  # fmt: skip
    assert all(m.negated for m in find_mentions("No LPDs or BIPDs."))
