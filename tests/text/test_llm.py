"""The LLM wrapper with the real default model (Gemma 3 270M): cache, seeds, prompts."""

from __future__ import annotations

import json

import pytest

from pipeline.config import LLMParams
from pipeline.text.llm import LLM, Request, cache_key, file_sha256, record_run
from pipeline.text.prompts import (
    FINDINGS_INSTRUCTIONS,
    FINDINGS_STOP,
    PROPOSAL_DOMAINS,
    findings_prompt,
    proposal_prompt,
    rewrite_prompt,
)


@pytest.fixture(scope="module")
def llm(tmp_path_factory):
    return LLM(LLMParams(cache_dir=tmp_path_factory.mktemp("llm_cache"), max_tokens=24))


def test_findings_prompt_is_few_shot_and_ends_at_the_answer():
    prompt = findings_prompt("PLEDs were seen over the left hemisphere.", 1)
    assert prompt.startswith(FINDINGS_INSTRUCTIONS[1])
    assert prompt.endswith("Sentence: PLEDs were seen over the left hemisphere.\nFindings:")
    assert prompt.count("Sentence:") == 5  # four worked examples + the question
    assert "Findings: none" in prompt  # one negative example, not half of them
    assert findings_prompt("x", 0) != findings_prompt("x", 1)


def test_rewrite_and_proposal_prompts():
    assert rewrite_prompt("No spikes.").endswith("Original: No spikes.\nRewrite:")
    prompt = proposal_prompt(PROPOSAL_DOMAINS[0], 2)
    assert prompt.endswith("\n-") and PROPOSAL_DOMAINS[0].topic in prompt


def test_completion_is_cached_and_the_cache_hit_does_not_call_the_model(llm, monkeypatch):
    prompt = findings_prompt("Frequent spikes were recorded over the right temporal lobe.", 0)
    first = llm.complete(prompt, stop=FINDINGS_STOP, seed=7)
    calls = llm.model_calls
    assert calls >= 1

    def _refuse(*args, **kwargs):
        raise AssertionError("the model must not be called on a cache hit")

    monkeypatch.setattr(llm.backend, "generate", _refuse)
    again = llm.complete(prompt, stop=FINDINGS_STOP, seed=7)
    assert again == first
    assert llm.model_calls == calls and llm.cache_hits >= 1

    # A new process (new wrapper) on the same cache directory gets the same text.
    fresh = LLM(llm.params)
    monkeypatch.setattr(fresh.backend, "generate", _refuse)
    assert fresh.complete(prompt, stop=FINDINGS_STOP, seed=7) == first
    files = list(llm.params.cache_dir.rglob("*.json"))
    record = json.loads(next(f for f in files if f.parent != llm.params.cache_dir).read_text())
    assert {"prompt", "sampling", "seed", "text", "model_id"} <= set(record)


def test_same_seed_same_text_other_seed_other_key(llm):
    prompt = rewrite_prompt("Rhythmic theta activity evolved in frequency.")
    a = llm.complete(prompt, stop=("\n",), seed=11)
    b = LLM(llm.params.model_copy(update={"cache_dir": llm.params.cache_dir / "other"}))
    assert b.complete(prompt, stop=("\n",), seed=11) == a
    sampling = llm.sampling(("\n",))
    assert cache_key("m", prompt, sampling, 11) != cache_key("m", prompt, sampling, 12)
    assert cache_key("m", prompt, sampling, 11) != cache_key("m", prompt + " ", sampling, 11)
    other = dict(sampling, temperature=0.1)
    assert cache_key("m", prompt, sampling, 11) != cache_key("m", prompt, other, 11)


def test_seed_zero_is_refused(llm):
    with pytest.raises(ValueError, match="random"):
        llm.complete("EEG", seed=0)
    with pytest.raises(ValueError):
        LLMParams(seed=0)


def test_missing_model_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="GGUF"):
        LLM(LLMParams(model_path=tmp_path / "none.gguf", cache_dir=tmp_path))


def test_file_hash_is_remembered(tmp_path):
    blob = tmp_path / "model.gguf"
    blob.write_bytes(b"abc")
    digest = file_sha256(blob, tmp_path)
    assert digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert digest in (tmp_path / "model_hashes.json").read_text()


def test_record_run_returns_the_last_cold_run(tmp_path):
    record_run(tmp_path, "labels", 100.0, {"model_calls": 5})
    cold = record_run(tmp_path, "labels", 3.0, {"model_calls": 0})
    assert cold["seconds"] == 100.0


def test_every_completion_starts_from_a_fresh_context(llm, monkeypatch, tmp_path):
    """The model's KV cache is cleared before each prompt, so order cannot matter."""
    fresh = LLM(llm.params.model_copy(update={"cache_dir": tmp_path}))
    model = llm.backend._model()
    calls = []
    monkeypatch.setattr(model, "reset", lambda: calls.append("reset"))
    monkeypatch.setattr(
        model, "create_completion",
        lambda **kwargs: calls.append("complete") or {"choices": [{"text": "x"}]},
    )  # fmt: skip
    fresh.backend._llama = model
    fresh.complete("first prompt", seed=5)
    fresh.complete("second prompt", seed=5)
    assert calls == ["reset", "complete", "reset", "complete"]


def test_completions_do_not_depend_on_the_order_of_prompts(llm, tmp_path):
    prompts = [findings_prompt(s, 0) for s in (
        "Rhythmic 3 Hz spike and wave discharges over both hemispheres.",
        "Left temporal sharp waves and intermittent slowing.",
        "Periodic lateralized epileptiform discharges over the right hemisphere.",
    )]  # fmt: skip
    texts = {}
    for name, order in (("forward", prompts), ("reverse", prompts[::-1])):
        run = LLM(llm.params.model_copy(update={"cache_dir": tmp_path / name}))
        run.backend._llama = llm.backend._model()  # one loaded model, as in a stage
        texts[name] = {p: run.complete(p, stop=FINDINGS_STOP, seed=7) for p in order}
    assert texts["forward"] == texts["reverse"]


def test_complete_many_answers_in_order_and_asks_a_repeated_prompt_once(llm, tmp_path):
    run = LLM(llm.params.model_copy(update={"cache_dir": tmp_path}))
    run.backend._llama = llm.backend._model()
    requests = [Request(f"{word} wave discharges are", ("\n",), 8, 3)
                for word in ("Spike", "Sharp", "Spike")]  # fmt: skip
    texts = run.complete_many(requests)
    assert run.model_calls == 2 and run.cache_hits == 1 and texts[0] == texts[2]
    assert texts == [run.complete(r.prompt, stop=r.stop, max_tokens=8, seed=3) for r in requests]
    assert run.model_calls == 2
