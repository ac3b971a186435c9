"""Label extraction: dictionary + negation, LLM term checks, the 0.8 rule, evidence, quality."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from pipeline.config import LabelParams, LLMParams
from pipeline.registry import REFERENCE_CONCEPTS
from pipeline.text.concept_bank import Concept
from pipeline.text.embed import GensimEmbedder
from pipeline.text.labels import (
    TERM_SCHEMA,
    assign_concepts,
    dictionary_terms,
    extract_terms,
    judge_llm_term,
    run_labels,
)
from pipeline.text.lexicon import find_mentions
from pipeline.text.llm import LLM
from pipeline.text.quality import load_truth, plot_quality, quality_report
from tests.helpers.text import reference_bank, write_vectors

PLED = REFERENCE_CONCEPTS.index("PLED")
SPIKE = REFERENCE_CONCEPTS.index("spike")


def _notes(*rows) -> pl.DataFrame:
    return pl.DataFrame(
        [{"subject": s, "session": "s001", "path": "", "text": t} for s, t in rows],
        schema={"subject": pl.String, "session": pl.String, "path": pl.String, "text": pl.String},
    )


def _present(run, subject) -> set[str]:
    row = run.labels.filter(pl.col("subject") == subject)["labels"].to_list()[0]
    return {REFERENCE_CONCEPTS[i] for i, bit in enumerate(row) if bit}


def test_negated_pled_stays_off_and_affirmed_pled_switches_on(ref_embedder):
    notes = _notes(
        ("p1", "DESCRIPTION OF THE RECORD: No PLEDs. Frequent spikes were recorded."),
        ("p2", "IMPRESSION: PLEDs were seen over the left hemisphere."),
        ("p3", "CLINICAL HISTORY: prior EEG with PLEDs.\nIMPRESSION: Normal EEG."),
    )
    params = LabelParams(use_llm=False)
    run = run_labels(notes, reference_bank(), None, ref_embedder, params, progress=False)
    assert _present(run, "p1") == {"spike"}
    assert _present(run, "p2") == {"PLED"}
    assert _present(run, "p3") == set()  # history is not this recording
    terms = run.terms.filter(pl.col("subject") == "p1")
    assert terms.filter(pl.col("lexicon_concept") == "PLED")["fate"].to_list() == ["negated"]


def test_labels_and_evidence_tables(ref_embedder):
    notes = _notes(
        ("p1", "Spikes and LPDs. "),
        ("p1", "Burst suppression."),
        ("p2", "Normal record."),
    )
    run = run_labels(notes, reference_bank(), None, ref_embedder, LabelParams(use_llm=False), False)
    assert run.labels.schema == {"subject": pl.String, "labels": pl.Array(pl.Int8, 20),
                                 "n_notes": pl.Int64}  # fmt: skip
    assert run.labels["subject"].to_list() == ["p1", "p2"]
    assert run.labels["n_notes"].to_list() == [2, 1]
    assert _present(run, "p1") == {"spike", "PLED", "burst suppression"}
    assert run.labels["labels"].to_list()[1] == [0] * 20
    ev = run.evidence
    assert set(ev.columns) >= {"subject", "concept_index", "concept", "term", "similarity",
                               "source", "sentence"}  # fmt: skip
    pled = ev.filter(pl.col("concept_index") == PLED).row(0, named=True)
    assert pled["concept"] == "PLED" and pled["source"] == "dictionary"
    assert pled["sentence"] == "Spikes and LPDs." and pled["similarity"] > 0.99


def test_threshold_is_strictly_above_point_eight(tmp_path):
    angle = {"above": 0.801, "below": 0.799}
    words = {"alpha": [1.0, 0.0], "gamma": [0.0, 1.0]}
    words |= {k: [c, float(np.sqrt(1 - c * c))] for k, c in angle.items()}
    path = tmp_path / "v.txt"
    write_vectors(path, {k: np.asarray(v) for k, v in words.items()})
    embedder = GensimEmbedder(path, binary=False)
    bank = [Concept("alpha", "seizure", "spiking"), Concept("gamma", "non-seizure", "background")]
    terms = pl.DataFrame(
        [{"subject": "p", "session": "s", "sentence_id": 0, "sentence": "x", "source": "llm",
          "variation": 0, "raw": t, "term": t, "lexicon_concept": None, "fate": "kept"}
         for t in ("above", "below")],
        schema=TERM_SCHEMA,
    )  # fmt: skip
    result = assign_concepts(terms, bank, embedder, threshold=0.8)
    assert result.terms["fate"].to_list() == ["present", "below threshold"]
    assert result.evidence["term"].to_list() == ["above"]
    assert result.evidence["concept"].to_list() == ["alpha"]
    assert result.evidence["similarity"][0] == pytest.approx(0.801, abs=1e-5)
    strict = assign_concepts(terms, bank, embedder, threshold=0.9)
    assert strict.evidence.height == 0


def test_llm_term_assignment_all_or_best(tmp_path):
    words = {"alpha": [1.0, 0.0], "gamma": [0.6, 0.8], "both": [0.95, 0.3122]}
    path = tmp_path / "v.txt"
    write_vectors(path, {k: np.asarray(v) for k, v in words.items()})
    embedder = GensimEmbedder(path, binary=False)
    bank = [Concept("alpha", "seizure", "spiking"), Concept("gamma", "non-seizure", "background")]
    terms = pl.DataFrame(
        [{"subject": "p", "session": "s", "sentence_id": 0, "sentence": "x", "source": "llm",
          "variation": 0, "raw": "both", "term": "both", "lexicon_concept": None,
          "fate": "kept"}], schema=TERM_SCHEMA,
    )  # fmt: skip
    assert assign_concepts(terms, bank, embedder, 0.8, assignment="all").evidence.height == 2
    best = assign_concepts(terms, bank, embedder, 0.8, assignment="best").evidence
    assert best["concept"].to_list() == ["alpha"]


@pytest.mark.parametrize(
    ("raw", "sentence", "rewrite", "fate"),
    [
        ("PLEDs", "PLEDs were seen on the left.", "", "kept"),
        ("PLEDs", "No PLEDs were seen.", "", "negated"),
        ("no burst suppression", "Burst suppression was absent.", "", "negated"),
        ("mu rhythm", "Spikes were frequent.", "", "ungrounded"),  # a few-shot echo
        ("sharp waves", "Spikes were frequent.", "Sharp waves were frequent.", "kept"),
        ("sharp waves", "No spikes.", "Sharp waves were seen.", "negated"),
        ("spikes", "Spikes were seen; no spikes in sleep.", "", "kept"),
        ("1.", "Spikes.", "", "malformed"),
    ],
)
def test_judge_llm_term(raw, sentence, rewrite, fate):
    assert judge_llm_term(raw, sentence, rewrite)[1] == fate


def test_dictionary_longest_match_and_abbreviations():
    concepts = [m.concept for m in find_mentions(
        "Interictal epileptiform discharges, poly-spike and wave complexes, 3 Hz SW and LPDs."
    )]  # fmt: skip
    assert concepts == ["interictal", "epileptiform", "polyspike", "spike and wave", "PLED"]
    rows = dictionary_terms("Postictal slowing without phase reversal.")
    assert [(r["lexicon_concept"], r["fate"]) for r in rows] == [
        ("postictal", "kept"), ("phase reversal", "negated"),
    ]  # fmt: skip


def test_llm_passes_with_the_real_model_and_a_warm_rerun(tmp_path, ref_embedder):
    notes = _notes(("p1", "IMPRESSION: Frequent spikes over the left temporal region. "
                          "There is no burst suppression."))  # fmt: skip
    llm = LLM(LLMParams(cache_dir=tmp_path / "cache"))
    params = LabelParams(use_llm="paper", n_variations=2)
    terms = extract_terms(notes, llm, params, progress=False).terms
    assert llm.model_calls == 2 * (1 + params.n_variations)  # rewrite + 2 variations, 2 sentences
    llm_rows = terms.filter(pl.col("source") == "llm")
    assert set(llm_rows["fate"]) <= {"kept", "negated", "ungrounded", "malformed"}
    warm = LLM(llm.params)
    assert extract_terms(notes, warm, params, progress=False).terms.equals(terms)
    assert warm.model_calls == 0 and warm.cache_hits == llm.model_calls
    run = run_labels(notes, reference_bank(), warm, ref_embedder, params, progress=False)
    assert "burst suppression" not in _present(run, "p1")
    assert "spike" in _present(run, "p1")


def test_quality_report_against_truth(tmp_path):
    evidence = pl.DataFrame(
        {"subject": ["a", "b", "b"], "concept_index": [0, 0, 1],
         "source": ["dictionary", "llm", "dictionary"]},
    )  # fmt: skip
    truth_file = tmp_path / "truth.json"
    truth_file.write_text(json.dumps({"concepts": ["x", "y"], "patients": [
        {"subject": "a", "planted_bits": [1, 0]}, {"subject": "b", "planted": ["y"]},
        {"subject": "c", "planted_bits": [1, 1]}]}))  # fmt: skip
    truth = load_truth(truth_file, ["x", "y"])
    report = quality_report(evidence, ["a", "b"], truth, ["x", "y"])
    both = report["configurations"]["dictionary+llm"]["concepts"]
    assert (both[0]["recall"], both[0]["specificity"]) == (1.0, 0.0)
    assert (both[1]["recall"], both[1]["specificity"]) == (1.0, 1.0)
    dictionary = report["configurations"]["dictionary"]
    assert dictionary["macro_specificity"] == 1.0 and report["n_patients"] == 2
    assert report["macro_recall"] == 1.0
    csv = tmp_path / "hand.csv"
    csv.write_text("subject,x,y\na,1,0\n")
    assert load_truth(csv, ["x", "y"])["a"].tolist() == [1, 0]
    plot_quality(report, tmp_path / "q.png")
    plot_quality({"skipped": "no truth"}, tmp_path / "s.png")
    without_llm = quality_report(evidence, ["a", "b"], truth, ["x", "y"], llm_used=False)
    assert set(without_llm["configurations"]) == {"dictionary+llm", "dictionary"}
    plot_quality(without_llm, tmp_path / "d.png")
    assert (tmp_path / "q.png").stat().st_size > 0 and (tmp_path / "s.png").stat().st_size > 0


def test_stage_skips_quality_without_truth(tmp_path):
    from pipeline.config import Params
    from pipeline.stages import labels as stage

    params = Params.model_validate(
        {
            "data": {"source": "tusz", "root": str(tmp_path)},
            "labels": {
                "quality_path": str(tmp_path / "q.json"),
                "figure_path": str(tmp_path / "q.png"),
            },
        }
    )
    assert stage.truth_path(params) is None
    report = stage.write_quality(params, None, list(REFERENCE_CONCEPTS), "backend")
    assert "tusz" in report["skipped"]
    assert json.loads((tmp_path / "q.json").read_text()) == report
    assert (tmp_path / "q.png").exists()


def test_quality_truth_is_what_the_note_reports(tmp_path):
    # Corpus v2: a concept planted in the EEG but not reported is not expected from the text.
    truth_file = tmp_path / "truth.json"
    truth_file.write_text(json.dumps({"concepts": ["x", "y"], "patients": [
        {"subject": "a", "planted_bits": [1, 1], "reported_bits": [1, 0]}]}))  # fmt: skip
    assert load_truth(truth_file, ["x", "y"])["a"].tolist() == [1, 0]


def test_issue_rows_for_unread_notes(ref_embedder):
    notes = _notes(
        ("p1", "CLINICAL HISTORY: Seizures.\nMEDICATIONS: Keppra."),
        ("p2", "IMPRESSION: Normal EEG."),
        ("p3", "IMPRESSION: Spikes over the left temporal region."),
    )
    run = run_labels(notes, reference_bank(), None, ref_embedder, LabelParams(), progress=False)
    assert run.issues.select("subject", "problem").rows() == [
        ("p1", "no finding"), ("p1", "nothing examined"), ("p2", "no finding"),
    ]  # fmt: skip


class _EchoLLM:
    """Stands in for the model: answers every prompt with nothing, counts the calls."""

    def __init__(self):
        self.params = LLMParams()
        self.prompts = []

    def complete_many(self, requests, context=""):
        self.prompts.extend(r.prompt for r in requests)
        return [""] * len(requests)


@pytest.mark.parametrize(("mode", "asked"), [("off", 0), ("unmatched", 1), ("paper", 2)])
def test_llm_modes_choose_the_sentences(mode, asked):
    notes = _notes(("p1", "IMPRESSION: Frequent spikes over the left. The patient was drowsy."))
    llm = _EchoLLM()
    params = LabelParams(use_llm=mode, rewrite=False, n_variations=1)
    extract_terms(notes, llm if mode != "off" else None, params, progress=False)
    assert len(llm.prompts) == asked
    if mode == "unmatched":
        # Only the sentence without a dictionary hit is sent.
        assert "The patient was drowsy." in llm.prompts[0]
        assert "Frequent spikes over the left." not in llm.prompts[0]


def test_llm_budget_truncates_with_a_warning():
    sentences = " ".join(f"Sentence number {i} describes the patient." for i in range(10))
    notes = _notes(("p1", sentences))
    llm = _EchoLLM()
    params = LabelParams(use_llm="paper", rewrite=False, n_variations=1, llm_max_chars=100)
    extraction = extract_terms(notes, llm, params, progress=False)
    assert len(llm.prompts) == 2  # two 37-character sentences fit in 100
    (issue,) = extraction.issues.rows(named=True)
    assert issue["problem"] == "llm budget" and issue["detail"].startswith("8 sentence(s)")


def test_boolean_use_llm_reads_as_a_mode():
    assert LabelParams(use_llm=True).use_llm == "paper"
    assert LabelParams(use_llm=False).use_llm == "off"
