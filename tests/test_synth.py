"""Synthetic corpus: layout, determinism, annotations, visible seizures, notes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pyedflib
import pytest

from pipeline.concepts import REFERENCE_CONCEPTS
from pipeline.config import STANDARD_CHANNELS, SynthParams
from pipeline.synth.corpus import ConceptDealer, generate_corpus, place_seizures, write_truth
from pipeline.synth.notes import ABSENT, PRESENT
from pipeline.synth.signatures import SIGNATURES

TINY = SynthParams(
    n_pretrain=2,
    n_cv=3,
    duration_s=(120.0, 200.0),
    seizure_duration_s=(10.0, 20.0),
    seizures_per_recording=(0, 2),
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("a") / "corpus"
    truth = generate_corpus(TINY, root, seed=7)
    return root, truth


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_same_seed_is_byte_identical(corpus, tmp_path):
    root, truth = corpus
    again = generate_corpus(TINY, tmp_path / "corpus", seed=7)
    assert _files(root) == _files(tmp_path / "corpus")
    assert json.dumps(truth, sort_keys=True) == json.dumps(again, sort_keys=True)


def test_other_seed_differs(corpus, tmp_path):
    root, truth = corpus
    other = generate_corpus(TINY, tmp_path / "corpus", seed=8)
    assert {p["subject"] for p in other["patients"]} != {p["subject"] for p in truth["patients"]}
    assert set(_files(root).values()).isdisjoint(_files(tmp_path / "corpus").values())


def test_patient_does_not_depend_on_cohort_size(corpus, tmp_path):
    _, truth = corpus
    bigger = generate_corpus(TINY.model_copy(update={"n_cv": 4}), tmp_path / "c", seed=7)
    first = {p["subject"]: p for p in truth["patients"]}
    for patient in bigger["patients"]:
        if patient["subject"] in first:
            assert patient == first[patient["subject"]]
    assert len(bigger["patients"]) == 6


def test_layout_and_cohorts(corpus):
    root, truth = corpus
    assert {p["cohort"] for p in truth["patients"]} == {"pretrain", "cv"}
    split = {p["subject"]: p["split"] for p in truth["patients"]}
    assert sorted(split.values()).count("train") == 2 and len(split) == 5
    for rec in truth["recordings"]:
        parts = rec["edf_path"].split("/")
        assert parts[0] == split[rec["subject"]] and parts[1] == rec["subject"]
        assert parts[3] in ("01_tcp_ar", "02_tcp_le")
        assert parts[4] == f"{rec['recording_id']}.edf"
        assert (root / rec["csv_bi_path"]).is_file()
    for patient in truth["patients"]:
        assert len(patient["subject"]) == 8 and patient["subject"].isalpha()
        assert (root / patient["note_path"]).is_file()
        if patient["cohort"] == "cv":  # every cv recording has a seizure crop
            recs = [r for r in truth["recordings"] if r["subject"] == patient["subject"]]
            assert all(r["seizures"] for r in recs)


def test_edf_labels_sfreq_and_duration(corpus):
    root, truth = corpus
    for rec in truth["recordings"]:
        with pyedflib.EdfReader(str(root / rec["edf_path"])) as f:
            labels = f.getSignalLabels()
            suffix = "-REF" if "_tcp_ar" in rec["edf_path"] else "-LE"
            for ch in STANDARD_CHANNELS:
                assert f"EEG {ch}{suffix}" in labels
            assert f"EEG A1{suffix}" in labels and "PHOTIC PH" in labels
            # TUH order, not the standard order
            assert labels.index(f"EEG F3{suffix}") < labels.index(f"EEG F7{suffix}")
            assert f.getSampleFrequency(0) == rec["sfreq"]
            assert f.getFileDuration() == rec["duration_s"]
            assert f.getStartdatetime().year >= 2002


def _rows(path: Path) -> tuple[list[str], list[dict]]:
    lines = path.read_text(encoding="ascii").splitlines()
    header = [line for line in lines if line.startswith("#")]
    body = [line for line in lines if not line.startswith("#")]
    return header, list(csv.DictReader(body))


def test_csv_bi_matches_truth(corpus):
    root, truth = corpus
    for rec in truth["recordings"]:
        header, rows = _rows(root / rec["csv_bi_path"])
        assert header[0] == "# version = csv_v1.0.0"
        assert header[1] == f"# bname = {rec['recording_id']}"
        assert header[2] == f"# duration = {rec['duration_s']:.2f} secs"
        seiz = [
            [float(r["start_time"]), float(r["stop_time"])] for r in rows if r["label"] == "seiz"
        ]
        assert seiz == rec["seizures"]
        # bckg and seiz rows tile the recording without gaps
        assert float(rows[0]["start_time"]) == 0.0
        assert float(rows[-1]["stop_time"]) == rec["duration_s"]
        for a, b in zip(rows, rows[1:], strict=False):
            assert a["stop_time"] == b["start_time"]
        assert {r["channel"] for r in rows} == {"TERM"}
        for start, stop in rec["seizures"]:
            assert start >= 30.0 and stop <= rec["duration_s"]
        for (_, stop), (start, _) in zip(rec["seizures"], rec["seizures"][1:], strict=False):
            assert start - stop >= 60.0


def test_seizures_have_clearly_more_power(corpus):
    root, truth = corpus
    ratios = []
    for rec in truth["recordings"]:
        if not rec["seizures"]:
            continue
        with pyedflib.EdfReader(str(root / rec["edf_path"])) as f:
            labels = f.getSignalLabels()
            x = np.stack([f.readSignal(labels.index(lab)) for lab in labels if "CZ" in lab])[0]
        sf = rec["sfreq"]
        inside = np.zeros(x.size, dtype=bool)
        for start, stop in rec["seizures"]:
            inside[int(start * sf) + int(3 * sf) : int(stop * sf) - int(2 * sf)] = True
        ratios.append(np.mean(x[inside] ** 2) / np.mean(x[~inside] ** 2))
    # ictal rms is 3-5x background (9-25x power); anything under 4x would be a bug
    assert ratios and min(ratios) > 4.0


def test_notes_mention_planted_and_negate_distractors(corpus):
    root, truth = corpus
    for patient in truth["patients"]:
        text = (root / patient["note_path"]).read_text(encoding="utf-8")
        for section in ("CLINICAL HISTORY:", "MEDICATIONS:", "IMPRESSION:", "HR:"):
            assert section in text
        assert patient["negated"], "every note carries negated distractors"
        assert not set(patient["negated"]) & set(patient["planted"])
        for name in patient["negated"]:
            assert any(sentence in text for sentence in ABSENT[name])
        for name in patient["planted"]:
            stems = [p.split("{")[0].strip() or p.split("}")[-1].strip() for p in PRESENT[name]]
            assert any(stem in text for stem in stems), (name, text)
        bits = patient["planted_bits"]
        assert [REFERENCE_CONCEPTS[i] for i, b in enumerate(bits) if b] == patient["planted"]


def test_truth_file_roundtrip(corpus, tmp_path):
    _, truth = corpus
    path = tmp_path / "truth.json"
    write_truth(truth, path)
    assert json.loads(path.read_text()) == json.loads(json.dumps(truth))


def test_dealer_balances_concepts():
    dealer = ConceptDealer(seed=1, code=1)
    counts = dict.fromkeys(REFERENCE_CONCEPTS, 0)
    for _ in range(30):
        chosen = dealer.deal(3)
        assert len(set(chosen)) == 3
        assert any(REFERENCE_CONCEPTS.index(c) < 10 for c in chosen)
        assert any(REFERENCE_CONCEPTS.index(c) >= 10 for c in chosen)
        for c in chosen:
            counts[c] += 1
    assert min(counts.values()) >= 3 and max(counts.values()) <= 6


def test_place_seizures_respects_gaps():
    rng = np.random.default_rng(0)
    for _ in range(200):
        out = place_seizures(rng, 300.0, 3, (20.0, 60.0))
        assert out and out[0][0] >= 30.0 and out[-1][1] <= 280.0
        for (_, stop), (start, _) in zip(out, out[1:], strict=False):
            assert start - stop >= 60.0 - 1e-3


@pytest.mark.parametrize("name", REFERENCE_CONCEPTS)
def test_signatures_shape_and_band(name):
    rng = np.random.default_rng(0)
    sf, n = 250.0, 75_000  # 300 s: sparse events (one per 5-40 s) do occur
    out = SIGNATURES[name](rng, n, sf, STANDARD_CHANNELS)
    assert out.shape == (19, n) and np.isfinite(out).all() and np.abs(out).max() > 1.0
    with_base = SIGNATURES[name](rng, n, sf, STANDARD_CHANNELS, base=np.ones((19, n)))
    assert with_base.shape == (19, n)
