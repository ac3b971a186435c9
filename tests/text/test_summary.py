"""The Fig 4 summary sentence: answer checks, seed retries, template fallback, real model."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from pipeline.config import LLMParams
from pipeline.text.summary import (
    check_sentence,
    summarise_etiologies,
    summary_prompt,
    template_sentence,
)

BANK = ["spike and wave", "spike", "sharp wave", "rhythmic", "postictal", "slowing", "PLED"]


class ScriptedLLM:
    """Stands in for :class:`pipeline.text.llm.LLM`: answers from a list, logs calls."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.params = SimpleNamespace(seed=100)
        self.calls = []

    def complete(self, prompt, *, stop=(), max_tokens=None, seed=None):
        self.calls.append({"prompt": prompt, "stop": stop, "seed": seed})
        return self.answers[len(self.calls) - 1]


def test_prompt_ends_where_the_answer_starts():
    prompt = summary_prompt(["spike and wave", "postictal"])
    assert prompt.endswith("Findings: spike and wave; postictal\nSummary:")
    assert prompt.count("Summary:") == 4  # three worked examples + the question


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("The recording shows spike and wave and postictal slowing.", "not predicted (slowing)"),
        ("The recording shows spike and wave with spikes.", "not predicted (spike)"),
        ("The recording shows spike and wave. It is abnormal.", "more than one sentence"),
        ("The recording shows spike and wave and", "no final full stop"),
        ("The recording shows sleep spindles.", "names no predicted concept"),
        ("The recording shows spike and wave and sleep spindles.", "repeats a prompt example"),
        ("Findings: spike and wave.", "colon"),
    ],
)
def test_bad_answers_are_rejected(text, problem):
    found, _ = check_sentence(text, ["spike and wave", "postictal"], BANK)
    assert found is not None and problem in found


def test_a_good_answer_passes_and_counts_the_named_findings():
    # "spike" inside the predicted "spike and wave" is not a hallucinated concept;
    # plurals count as the concept.
    text = "The recording shows spike and waves with postictal changes."
    assert check_sentence(text, ["spike and wave", "postictal"], BANK) == (None, 2)
    assert check_sentence("Mostly rhythmic activity.", ["rhythmic", "PLED"], BANK) == (None, 1)


def test_first_complete_answer_wins_with_increasing_seeds():
    llm = ScriptedLLM(
        [
            "The recording shows slowing.",  # hallucinated concept: rejected
            "The recording shows rhythmic activity.",  # valid, names one of two
            "The recording shows rhythmic activity and PLEDs.",  # valid, names both
            "never asked",
        ]
    )
    summary = summarise_etiologies(["rhythmic", "PLED"], llm, BANK, n_tries=4)
    assert summary.source == "llm"
    assert summary.sentence == "The recording shows rhythmic activity and PLEDs."
    assert [c["seed"] for c in llm.calls] == [100, 101, 102]
    assert llm.calls[0]["stop"] == ("\n",)


def test_an_answer_leaving_out_a_finding_is_not_used():
    llm = ScriptedLLM(["  The recording shows\n rhythmic activity. ", "Rhythmic: yes."])
    summary = summarise_etiologies(["rhythmic", "PLED"], llm, BANK, n_tries=2)
    assert summary.source == "template"
    assert summary.sentence == template_sentence(["rhythmic", "PLED"])
    assert "leaves out PLED" in summary.reason
    assert len(summary.attempts) == 2


def test_template_when_every_answer_fails_and_without_predictions():
    llm = ScriptedLLM(["Findings: spike", "", "The recording shows spike and slowing."])
    summary = summarise_etiologies(["spike and wave", "rhythmic", "PLED"], llm, BANK, n_tries=3)
    assert summary.source == "template"
    assert summary.sentence == template_sentence(["spike and wave", "rhythmic", "PLED"])
    assert summary.sentence.startswith("The model predicts spike and wave, rhythmic and PLED ")
    assert summary.reason.count("seed") == 3
    nothing = summarise_etiologies([], ScriptedLLM([]), BANK)
    assert nothing.source == "template" and nothing.findings == ()


def test_only_the_most_probable_findings_are_summarised():
    llm = ScriptedLLM(["The recording shows spike and wave, rhythmic activity and PLEDs."])
    summary = summarise_etiologies(
        ["spike and wave", "rhythmic", "PLED", "postictal"], llm, BANK, max_findings=3
    )
    assert summary.findings == ("spike and wave", "rhythmic", "PLED")
    assert "postictal" not in llm.calls[0]["prompt"].rsplit("Findings:", 1)[1]


def test_real_model_gives_a_checked_sentence_and_caches_it(tmp_path):
    from pipeline.text.llm import LLM

    llm = LLM(LLMParams(cache_dir=tmp_path / "llm_cache"))
    predicted = ["spike and wave", "rhythmic", "postictal"]
    summary = summarise_etiologies(predicted, llm, BANK)
    if summary.source == "llm":
        assert check_sentence(summary.sentence, summary.findings, BANK)[0] is None
    else:
        assert summary.reason and summary.sentence == template_sentence(predicted)
    calls = llm.model_calls
    assert 1 <= calls <= 3
    again = summarise_etiologies(predicted, LLM(llm.params), BANK)
    assert again == summary  # a rerun is served from the on-disk cache, identically
