"""Corpus audit: nuisance AUROCs with their permutation null, per-type detector scores."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import roc_auc_score

from pipeline.config import SynthParams
from pipeline.evaluate.audit import (
    NUISANCES,
    PLAIN_BACKGROUND,
    control_null_band,
    lookalike_scores,
    nuisance_aurocs,
    nuisance_summary,
    population_aurocs,
    population_nuisances,
    population_summary,
    render_audit,
    sensitivity_by_type,
    window_types,
)


def test_a_leaking_nuisance_stands_out_of_its_null():
    rng = np.random.default_rng(0)
    n = 120
    labels = (rng.random((n, 2)) < 0.3).astype(int)
    values = rng.normal(size=(n, len(NUISANCES)))
    values[:, 0] += 2.0 * labels[:, 0]  # nuisance 0 gives concept 0 away
    auroc, null95 = nuisance_aurocs(values, labels, seed=1)
    assert auroc[0, 0] == np.float64(roc_auc_score(labels[:, 0], values[:, 0]))
    assert auroc[0, 0] > 0.85 and auroc[0, 0] > null95[0, 0]
    assert 0.55 < null95[1, 1] < 0.75  # ~0.5 + 1.65 sd of the null for ~36 positives
    summary = nuisance_summary(["a", "b"], auroc, null95)
    assert summary["n_pairs"] == 2 * len(NUISANCES) and summary["n_above_null95"] >= 1


def test_population_intervals_find_a_small_leak_and_clear_the_rest():
    rng = np.random.default_rng(0)
    n = 3000
    labels = (rng.random((n, 2)) < 0.3).astype(int)
    values = rng.normal(size=(n, len(NUISANCES)))
    values[:, 1] += 0.3 * labels[:, 1]  # a leak far too small to see in a cohort of 90
    auroc, low, high = population_aurocs(values, labels, seed=1, n_draws=100)
    assert auroc[1, 1] == pytest.approx(roc_auc_score(labels[:, 1], values[:, 1]))
    assert 0.55 < low[1, 1] < auroc[1, 1] < high[1, 1] < 0.64
    # No association: every other pair's interval holds 0.5, about +-0.025 wide.
    others = np.ones_like(auroc, bool)
    others[1, 1] = False
    assert ((low[others] < 0.5) & (high[others] > 0.5)).mean() >= 0.8
    assert np.all(high[others] - low[others] < 0.06)
    summary = population_summary(["a", "b"], auroc, low, high, n)
    assert summary["worst"]["concept"] == "b" and summary["worst"]["nuisance"] == NUISANCES[1]
    assert summary["n_interval_excludes_0.5"] >= 1 and summary["n_outside_0.4_0.6"] == 0
    report = {"nuisance": nuisance_summary(["a", "b"], auroc, high), "population": summary,
              "detectors": {}, "clip_std": 2.0, "clipped": []}  # fmt: skip
    text = render_audit(report)
    assert "## Nuisance AUROC in the generator's population" in text
    assert f"| b | {auroc[1, 0]:.3f}" in text and f"{auroc[1, 1]:.3f} \u2020" in text


def test_the_generator_gives_no_concept_away_through_a_nuisance():
    # Spec 11: recording duration, seizure count, sampling rate, montage and ictal rms
    # must not give a concept away. In a cohort of 90 chance alone reaches 0.7; in
    # 1500 patients of the same generator a real shortcut of 0.6 would stand out.
    values, labels = population_nuisances(SynthParams(), seed=11, n=1500)
    assert values.shape == (1500, len(NUISANCES)) and labels.shape[0] == 1500
    auroc, _, _ = population_aurocs(values, labels, seed=0, n_draws=2)
    assert np.nanmax(np.abs(auroc - 0.5)) < 0.08
    assert 0.15 < labels.mean() < 0.6  # the draw plants concepts at all


def test_windows_get_the_type_of_the_seizure_they_fall_in(tmp_path):
    truth = {"recordings": [{"recording_id": "r1", "seizures": [[10.0, 20.0], [40.0, 45.0]],
                             "seizure_types": ["absence", "tonic"]}]}  # fmt: skip
    start = np.arange(60, dtype=float)
    label = (((start >= 10) & (start < 20)) | ((start >= 40) & (start < 45))).astype(np.int8)
    p_sz = np.where(label == 1, 0.9, 0.1).astype(np.float32)
    p_sz[40:45] = 0.2  # the tonic seizure is missed
    table = pa.table({"recording_id": ["r1"] * 60, "start_s": start, "label": label,
                      "is_pad": np.zeros(60, bool), "p_sz": p_sz})  # fmt: skip
    path = tmp_path / "latents.parquet"
    pq.write_table(table, path)
    windows = window_types(path, truth)
    assert windows.filter(pl.col("type") == "absence").height == 10
    assert windows.filter(pl.col("type") == "tonic").height == 5
    scores = {r["type"]: r for r in sensitivity_by_type(windows)}
    assert scores["absence"]["sensitivity"] == 1.0 and scores["absence"]["auroc"] == 1.0
    assert scores["tonic"]["sensitivity"] == 0.0 and scores["tonic"]["auroc"] == 1.0
    report = {"nuisance": nuisance_summary(["a"], np.full((1, 5), 0.5), np.full((1, 5), 0.6)),
              "detectors": {"d": list(scores.values())}, "clip_std": 2.0,
              "clipped": [{"type": "absence", "clipped_fraction": 0.1}]}  # fmt: skip
    text = render_audit(report)
    assert "| d | tonic | 5 | 0.00 | 1.000 |" in text and "| absence | 0.100 |" in text


def test_lookalikes_count_the_detectors_false_alarms_on_each(tmp_path):
    confusers = [
        {"kind": "hyperventilation", "start": 30.0, "stop": 40.0},
        {"kind": "sleep", "start": 50.0, "stop": 55.0},
    ]
    truth = {"recordings": [{"recording_id": "r1", "seizures": [[10.0, 20.0]],
                             "seizure_types": ["absence"], "confusers": confusers}]}  # fmt: skip
    start = np.arange(60, dtype=float)
    label = ((start >= 10) & (start < 20)).astype(np.int8)
    p_sz = np.full(60, 0.1, np.float32)
    p_sz[10:20] = 0.9
    p_sz[30:35], p_sz[35:40] = 0.95, 0.3  # half of the look-alike scores above the seizures
    table = pa.table({"recording_id": ["r1"] * 60, "start_s": start, "label": label,
                      "is_pad": np.zeros(60, bool), "p_sz": p_sz})  # fmt: skip
    path = tmp_path / "latents.parquet"
    pq.write_table(table, path)
    rows = {r["kind"]: r for r in lookalike_scores(path, truth)}
    assert set(rows) == {"hyperventilation", "sleep", PLAIN_BACKGROUND}
    hv, sleep, plain = rows["hyperventilation"], rows["sleep"], rows[PLAIN_BACKGROUND]
    assert (hv["windows"], sleep["windows"], plain["windows"]) == (10, 5, 35)
    assert hv["false_alarm_share"] == 0.5 and hv["median_p_sz"] == pytest.approx(0.625)
    assert hv["auroc"] == pytest.approx(0.5) and sleep["auroc"] == 1.0
    assert sleep["false_alarm_share"] == 0.0
    text = render_audit({"nuisance": nuisance_summary(["a"], np.full((1, 5), 0.5),
                                                      np.full((1, 5), 0.6)),
                         "detectors": {}, "lookalikes": {"d": list(rows.values())},
                         "clip_std": 2.0, "clipped": []})  # fmt: skip
    assert "| d | hyperventilation | 10 | 0.500 | 0.625 | 0.500 |" in text


def test_control_band_matches_the_mann_whitney_null():
    rng = np.random.default_rng(0)
    labels = np.zeros(90, int)
    labels[rng.choice(90, 22, replace=False)] = 1
    fold = np.repeat(np.arange(10), 9)
    band = control_null_band(labels, fold, list(range(10)), draws=2000, seed=1)
    # Pooled: the AUROC of a random score has sd sqrt((n1 + n0 + 1) / (12 n1 n0)).
    sd = np.sqrt(91 / (12 * 22 * 68))
    assert band["pooled_low"] == pytest.approx(0.5 - 1.96 * sd, abs=0.02)
    assert band["pooled_high"] == pytest.approx(0.5 + 1.96 * sd, abs=0.02)
    # The mean of ten small folds is wider than the pooled AUROC, and centred on 0.5.
    assert band["fold_mean_high"] - band["fold_mean_low"] > band["pooled_high"] - band["pooled_low"]
    assert band["fold_mean_low"] < 0.5 < band["fold_mean_high"]
    assert band["positives"] == 22


def test_control_band_without_positives_is_not_available():
    band = control_null_band(np.zeros(20, int), np.repeat(np.arange(4), 5), list(range(4)), 50)
    assert band["fold_mean_low"] is None and band["pooled_high"] is None
    report = {"nuisance": nuisance_summary(["a"], np.full((1, len(NUISANCES)), 0.5),
                                           np.full((1, len(NUISANCES)), 0.6)),
              "detectors": {}, "clip_std": 2.0, "clipped": [],
              "control_bands": {"high frequency oscillation": band}}  # fmt: skip
    assert "| high frequency oscillation | 0 | n/a | n/a |" in render_audit(report)
