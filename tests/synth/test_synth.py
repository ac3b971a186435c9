"""Synthetic corpus v2: layout, determinism, annotations, per-type morphology, notes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pyedflib
import pytest

from pipeline.config import STANDARD_CHANNELS, PreprocessParams, SynthParams
from pipeline.preprocessing.preprocess import condition_signal
from pipeline.registry import REFERENCE_CONCEPTS
from pipeline.synth import patterns
from pipeline.synth.corpus import cohort_layouts, generate_corpus, place_seizures, write_truth
from pipeline.synth.notes import ABSENT, PRESENT
from pipeline.synth.signals import Seizure, build_recording, draw_traits, seizure_activity
from pipeline.synth.types import (
    HFO_P,
    SEIZURE_TYPES,
    TYPES_BY_NAME,
    TypeDealer,
    TypePlan,
    concept_probability,
)

TINY = SynthParams(
    n_pretrain=2,
    n_cv=3,
    n_test=1,
    duration_s=(120.0, 200.0),
    seizure_duration_scale=0.2,
    seizures_per_recording=(0, 2),
)
CH = list(STANDARD_CHANNELS)


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
    bigger = generate_corpus(
        TINY.model_copy(update={"n_cv": 4, "n_test": 2}), tmp_path / "c", seed=7
    )
    first = {p["subject"]: p for p in truth["patients"]}
    for patient in bigger["patients"]:
        if patient["subject"] in first:
            assert patient == first[patient["subject"]]
    assert len(bigger["patients"]) == 8
    assert len(first.keys() & {p["subject"] for p in bigger["patients"]}) == 6


def test_layouts_drawn_without_signals_are_the_corpus_own(corpus):
    # The audit's population is the corpus' own generator: its first patients must be
    # exactly the cv cohort that was written, and drawing more must not change them.
    _, truth = corpus
    cv = [p for p in truth["patients"] if p["cohort"] == "cv"]
    recordings = {p["subject"]: [r for r in truth["recordings"] if r["subject"] == p["subject"]]
                  for p in cv}  # fmt: skip
    layouts = list(cohort_layouts(TINY, seed=7, cohort="cv", n=len(cv) + 2))
    assert len(layouts) == len(cv) + 2
    for patient, layout in zip(cv, layouts, strict=False):
        recs = recordings[patient["subject"]]
        assert layout.montage == patient["montage"] and layout.sfreq == patient["sfreq"]
        assert list(layout.plan.types) == patient["seizure_types"]
        assert layout.n_seizures == patient["n_seizures"]
        assert layout.plan.traits.ictal_ratio == patient["traits"]["ictal_ratio"]
        assert [r.duration_s for r in layout.recordings] == [r["duration_s"] for r in recs]
        assert [r.seizures for r in layout.recordings] == [r["seizures"] for r in recs]


def test_layout_and_cohorts(corpus):
    root, truth = corpus
    assert {p["cohort"] for p in truth["patients"]} == {"pretrain", "cv", "test"}
    split = {p["subject"]: p["split"] for p in truth["patients"]}
    assert sorted(split.values()).count("train") == 2 and len(split) == 6
    assert sorted(split.values()).count("eval") == 1  # TUSZ's held-out split
    for rec in truth["recordings"]:
        parts = rec["edf_path"].split("/")
        assert parts[0] == split[rec["subject"]] and parts[1] == rec["subject"]
        assert parts[3] in ("01_tcp_ar", "02_tcp_le")
        assert parts[4] == f"{rec['recording_id']}.edf"
        assert (root / rec["csv_bi_path"]).is_file()
    for patient in truth["patients"]:
        assert len(patient["subject"]) == 8 and patient["subject"].isalpha()
        assert (root / patient["note_path"]).is_file()
        if patient["cohort"] != "pretrain":  # every cv / test recording has a seizure crop
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


def test_dealer_balances_types():
    dealer = TypeDealer(seed=1, code=1)
    counts = dict.fromkeys(t.name for t in SEIZURE_TYPES)
    counts = {name: 0 for name in counts}
    for i in range(3 * len(SEIZURE_TYPES)):
        counts[dealer.primary(i).name] += 1
    assert set(counts.values()) == {3}


def test_hfo_control_is_dealt_independently_of_the_type():
    dealer = TypeDealer(seed=3, code=2)
    n = 2000
    hfo = np.array([dealer.hfo(i) for i in range(n)])
    kinds = np.array([dealer.primary(i).name for i in range(n)])
    assert abs(hfo.mean() - HFO_P) < 0.03
    for kind in TYPES_BY_NAME:  # 2000 / 7 patients per type: 3 standard errors ~ 0.08
        assert abs(hfo[kinds == kind].mean() - HFO_P) < 0.08
    assert [TypeDealer(seed=3, code=2).hfo(i) for i in range(50)] == hfo[:50].tolist()
    assert [TypeDealer(seed=4, code=2).hfo(i) for i in range(50)] != hfo[:50].tolist()


def test_bundle_strength_blends_type_and_mean():
    absence = TYPES_BY_NAME["absence"]
    assert concept_probability(absence, "paroxysmal", 1.0) == pytest.approx(0.7)
    mean = np.mean([t.optional.get("paroxysmal", 0.0) for t in SEIZURE_TYPES])
    assert concept_probability(absence, "paroxysmal", 0.0) == pytest.approx(mean)
    # Type-free concepts do not depend on the type at all.
    assert concept_probability(absence, "noise", 1.0) == concept_probability(
        TYPES_BY_NAME["tonic"], "noise", 1.0
    )


def test_place_seizures_respects_gaps():
    rng = np.random.default_rng(0)
    for _ in range(200):
        out = place_seizures(rng, 300.0, list(rng.uniform(20.0, 60.0, 3)))
        assert out and out[0][0] >= 30.0 and out[-1][1] <= 280.0
        for (_, stop), (start, _) in zip(out, out[1:], strict=False):
            assert start - stop >= 60.0 - 1e-3


def _seizure(kind: str, concepts: tuple[str, ...], seconds: float = 40.0, seed: int = 0):
    """One seizure of ``kind`` at 200 Hz, its traits, and the channel nearest the focus."""
    rng = np.random.default_rng(seed)
    focus = "T3" if kind == "focal temporal" else "C3"
    traits = draw_traits(rng, focus, (1.4, 1.4))
    x, _ = seizure_activity(
        rng, int(seconds * 200), 200.0, CH, TypePlan(kind, concepts), traits, 0.0
    )
    return x, traits, CH.index(focus)


def _peak_hz(x: np.ndarray, sfreq: float = 200.0, low: float = 1.6) -> float:
    freqs = np.fft.rfftfreq(x.size, 1 / sfreq)
    power = np.abs(np.fft.rfft(x)) ** 2
    power[freqs < low] = 0
    return float(freqs[np.argmax(power)])


def test_spike_and_wave_is_dominant_at_its_frequency():
    x, traits, focus = _seizure("absence", ("spike and wave",))
    peak = _peak_hz(x[focus, 400:])
    assert 2.5 <= traits.sw_freq <= 4.0
    assert 0.8 * traits.sw_freq <= peak <= 1.1 * traits.sw_freq  # slows by 15 % over the seizure
    # Generalized: every channel carries it, frontal maximum.
    rms = np.sqrt(np.mean(x**2, axis=1))
    assert rms.min() > 0.5 * rms.max() and rms[CH.index("FZ")] > rms[CH.index("PZ")]


def test_fast_activity_is_in_the_beta_band():
    x, traits, focus = _seizure("tonic", ("fast",))
    assert 15.0 <= _peak_hz(x[focus]) <= 29.5
    assert abs(_peak_hz(x[focus]) - traits.fast_hz) < 4.0


def test_focal_rhythm_evolves_slower_and_spreads():
    x, traits, focus = _seizure("focal temporal", ("rhythmic",), seconds=60.0)
    early, late = x[focus, 1000:3000], x[focus, -3000:-500]
    assert 4.0 <= _peak_hz(early) <= 10.0
    assert _peak_hz(late) < _peak_hz(early)
    far = CH.index("O2")
    onset = slice(0, int(traits.spread_delay_s * 200))
    assert np.abs(x[far, onset]).max() < 0.2 * np.abs(x[focus, onset]).max()
    assert np.abs(x[far, -2000:]).max() > 0.3 * np.abs(x[focus, -2000:]).max()


def test_polyspike_bursts_carry_12_to_20_hz():
    x, traits, focus = _seizure("tonic-clonic", ("polyspike",))
    freqs = np.fft.rfftfreq(x.shape[1], 1 / 200)
    power = np.abs(np.fft.rfft(x[focus])) ** 2
    share = power[(freqs >= 10) & (freqs <= 22)].sum() / power[freqs >= 1.6].sum()
    assert share > 0.3, share


def test_burst_suppression_flattens_between_bursts():
    rng = np.random.default_rng(3)
    traits = draw_traits(rng, "C3", (1.4, 1.4))
    plan = TypePlan("encephalopathic", ("burst suppression",))
    _, background_gain = seizure_activity(rng, 60 * 200, 200.0, CH, plan, traits, 0.0)
    assert background_gain.min() == pytest.approx(0.15) and background_gain.max() == 1.0


def test_pleds_repeat_at_the_patient_rate():
    rng = np.random.default_rng(5)
    rate = 1.25
    train = patterns.periodic_discharges(rng, 120 * 200, 200.0, rate)
    # Discharge onsets: where the (surface-negative) sharp component crosses -0.5.
    below = np.flatnonzero((train[1:] < -0.5) & (train[:-1] >= -0.5))
    periods = np.diff(below) / 200
    assert len(below) > 0.9 * 120 * rate
    assert abs(np.median(periods) - 1 / rate) < 0.03 and periods.std() < 0.1 / rate


def test_hfo_control_is_gone_after_preprocessing():
    traits = draw_traits(np.random.default_rng(1), "C3", (1.4, 1.4))
    plans = {"tonic": TypePlan("tonic", ("fast",))}
    seizure = [Seizure(60.0, 90.0, "tonic")]
    out = {}
    for hfo in (False, True):
        raw, _ = build_recording(
            np.random.default_rng(9), 150 * 250, 250.0, CH, seizure, plans, [], hfo, traits
        )
        out[hfo] = (raw, condition_signal(raw.astype(np.float32), 250.0, PreprocessParams()))
    raw_diff = np.abs(out[True][0] - out[False][0]).max()
    kept_diff = np.abs(out[True][1] - out[False][1]).max()
    assert raw_diff > 5.0  # µV: planted in the EDF
    assert kept_diff < 0.05  # z-scored units: nothing of it survives the 30 Hz low-pass


def test_confusers_are_outside_seizures_and_not_in_notes(corpus):
    root, truth = corpus
    # ("drowsy" and "movement" are in ordinary report wording: the state, eye movements.)
    words = ("hyperventilation", "spindle", "vertex", "sleep")
    events = [(r, e) for r in truth["recordings"] for e in r["confusers"]]
    assert events, "the tiny corpus has look-alikes"
    for rec, event in events:
        for start, stop in rec["seizures"]:
            assert event["stop"] <= start or event["start"] >= stop
    for patient in truth["patients"]:
        text = (root / patient["note_path"]).read_text(encoding="utf-8").lower()
        assert not any(w in text for w in words)


def test_notes_state_the_truths_type_and_focus(corpus):
    root, truth = corpus
    for patient in truth["patients"]:
        text = (root / patient["note_path"]).read_text(encoding="utf-8")
        if patient["n_seizures"] and patient["seizure_types"][0].startswith("focal"):
            assert patient["region"] in text
        if "spike and wave" in patient["reported"]:
            assert f"{round(patient['traits']['sw_freq'], 1):g}" in text


def test_report_rate_drops_findings_but_not_the_eeg(tmp_path):
    full = generate_corpus(TINY, tmp_path / "a", seed=7)
    some = generate_corpus(TINY.model_copy(update={"report_rate": 0.4}), tmp_path / "b", seed=7)
    for a, b in zip(full["patients"], some["patients"], strict=True):
        assert a["planted"] == b["planted"] == a["reported"]
        assert set(b["reported"]) <= set(b["planted"])
    assert sum(len(p["reported"]) for p in some["patients"]) < sum(
        len(p["planted"]) for p in some["patients"]
    )
    edf = full["recordings"][0]["edf_path"]
    assert (tmp_path / "a" / edf).read_bytes() == (tmp_path / "b" / edf).read_bytes()
