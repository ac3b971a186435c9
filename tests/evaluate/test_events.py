"""Event detection, SzCORE scoring (real timescoring) and the events TSV."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from pipeline.config import EventParams
from pipeline.evaluate.events import (
    EVENTS_TSV_COLUMNS,
    Event,
    detect_events,
    events_table,
    pooled_scores,
    score_events,
    write_events_tsv,
)

HOUR_S = 3600.0

# The hand-counted recording: 1 h, two reference seizures, three detections.
REFERENCE = [(100.0, 160.0), (2000.0, 2100.0)]
HYPOTHESIS = [
    Event(110.0, 40.0, 0.9),  # inside seizure 1                       -> TP
    Event(1000.0, 20.0, 0.7),  # 840 s from anything                    -> FP
    Event(2150.0, 20.0, 0.6),  # 50 s after seizure 2 ends, within 60 s  -> counts for it, not FP
]


def test_detect_events_runs_merge_and_confidence():
    # 10 s windows. Runs: windows 2-3, 5 (gap of 1 window = 10 s < 90 s: merged with 2-3),
    # then 16-17 (gap of 10 windows = 100 s >= 90 s: a separate event).
    p_sz = np.zeros(20)
    p_sz[[2, 3]] = [0.8, 0.6]
    p_sz[4] = 0.2
    p_sz[5] = 0.5  # exactly at the threshold counts
    p_sz[[16, 17]] = [0.9, 0.7]
    events = detect_events(p_sz, window_s=10.0, params=EventParams(), start_s=1000.0)
    assert [(e.onset_s, e.duration_s) for e in events] == [(1020.0, 40.0), (1160.0, 20.0)]
    # The merged event's confidence averages all its windows, the gap window included.
    assert events[0].confidence == pytest.approx((0.8 + 0.6 + 0.2 + 0.5) / 4)
    assert events[1].confidence == pytest.approx(0.8)


def test_detect_events_merge_gap_and_edges():
    p_sz = np.array([0.9, 0.0, 0.0, 0.9, np.nan, 0.9])
    # Gap of 2 windows = 20 s: not below a 20 s merge gap, below a 21 s one. The NaN
    # window is a 10 s gap, merged either way.
    strict = detect_events(p_sz, 10.0, EventParams(merge_gap_s=20.0))
    assert [(e.onset_s, e.end_s) for e in strict] == [(0.0, 10.0), (30.0, 60.0)]
    assert strict[1].confidence == pytest.approx(0.9)
    loose = detect_events(p_sz, 10.0, EventParams(merge_gap_s=21.0))
    assert [(e.onset_s, e.end_s) for e in loose] == [(0.0, 60.0)]
    assert loose[0].confidence == pytest.approx(2.7 / 5)  # the NaN window is left out
    assert detect_events(np.full(4, 0.49), 10.0) == []
    with pytest.raises(ValueError):
        detect_events(np.zeros((2, 2)), 10.0)


def test_score_events_hand_counted():
    # Hand count with SzCORE's defaults (timescoring 0.0.7):
    # - No merging: reference gap 1840 s, detection gaps 850 s and 1130 s, all >= 90 s.
    # - Reference seizures extended by 30 s before and 60 s after: [70, 220] and [1970, 2160].
    #   [110, 150] overlaps the first; [2150, 2170] overlaps the second by 10 s (> 0).
    #   So tp = 2 of n_reference = 2.
    # - A detection is a false alarm when it touches no extended true-positive seizure:
    #   only [1000, 1020]. fp = 1, n_detected = 3.
    # sensitivity = 2/2 = 1; precision = 2/(2+1) = 2/3; f1 = 2*1*(2/3)/(1+2/3) = 0.8;
    # fp_per_24h = 1 false alarm / 1 h * 24 = 24.
    # Sample scoring at 1 Hz: 160 reference seconds, 80 detected seconds, 40 of them inside
    # a seizure: sensitivity 40/160 = 0.25, precision 40/80 = 0.5,
    # f1 = 2*40/(2*40 + 40 + 120) = 1/3, 40 false-positive seconds per hour = 960 per day.
    scores = score_events(REFERENCE, HYPOTHESIS, HOUR_S)
    assert scores["n_reference"] == 2
    assert scores["n_detected"] == 3
    assert (scores["tp"], scores["fp"]) == (2, 1)
    assert scores["sensitivity"] == pytest.approx(1.0)
    assert scores["precision"] == pytest.approx(2 / 3)
    assert scores["f1"] == pytest.approx(0.8)
    assert scores["fp_per_24h"] == pytest.approx(24.0)
    assert scores["sample_sensitivity"] == pytest.approx(0.25)
    assert scores["sample_precision"] == pytest.approx(0.5)
    assert scores["sample_f1"] == pytest.approx(1 / 3)
    assert scores["sample_fp_per_24h"] == pytest.approx(960.0)
    # Order does not matter (timescoring itself merges neighbours in list order).
    assert score_events(REFERENCE[::-1], HYPOTHESIS[::-1], HOUR_S) == scores


def test_score_events_end_tolerance_is_a_limit():
    # Starting 65 s after seizure 2 ends, past the 60 s end tolerance: a false alarm,
    # and seizure 2 is missed. Pairs are accepted as well as Events.
    hypothesis = [(110.0, 150.0), (1000.0, 1020.0), (2165.0, 2185.0)]
    scores = score_events(REFERENCE, hypothesis, HOUR_S)
    assert (scores["tp"], scores["fp"]) == (1, 2)
    assert scores["sensitivity"] == pytest.approx(0.5)
    assert scores["precision"] == pytest.approx(1 / 3)
    assert scores["fp_per_24h"] == pytest.approx(48.0)
    # With a longer end tolerance the same detection finds seizure 2.
    wide = score_events(REFERENCE, hypothesis, HOUR_S, EventParams(tolerance_end_s=70.0))
    assert (wide["tp"], wide["fp"]) == (2, 1)


def test_score_events_undefined_is_none():
    # No seizure and no detection: sensitivity, precision and f1 undefined, no false alarm.
    scores = score_events([], [], HOUR_S)
    assert scores["sensitivity"] is None
    assert scores["precision"] is None
    assert scores["f1"] is None
    assert scores["fp_per_24h"] == 0.0
    assert scores["sample_sensitivity"] is None
    json.dumps(scores, allow_nan=False)  # valid JSON: no NaN anywhere
    # A false alarm in a seizure-free recording: sensitivity still undefined, f1 = 0.
    alarm = score_events([], [(10.0, 20.0)], HOUR_S)
    assert alarm["sensitivity"] is None
    assert alarm["precision"] == 0.0
    assert alarm["f1"] == 0.0


def test_pooled_scores_sums_counts():
    # Recording 1: the hand-counted hour (tp 2, fp 1, 2 seizures).
    # Recording 2: 2 h, one seizure missed, one false alarm (tp 0, fp 1, 1 seizure).
    # Pooled: tp 2, fp 2, 3 seizures over 3 h -> sensitivity 2/3, precision 1/2,
    # f1 = 2*2/(2*2 + 2 + 1) = 4/7, fp_per_24h = 2 / 3 h * 24 = 16.
    # (The mean of the per-recording sensitivities would be (1 + 0)/2 = 0.5.)
    second = ([(500.0, 560.0)], [(4000.0, 4030.0)], 2 * HOUR_S)
    pooled = pooled_scores([(REFERENCE, HYPOTHESIS, HOUR_S), second])
    assert pooled["n_recordings"] == 2
    assert pooled["hours"] == pytest.approx(3.0)
    assert (pooled["n_reference"], pooled["n_detected"]) == (3, 4)
    assert (pooled["tp"], pooled["fp"]) == (2, 2)
    assert pooled["sensitivity"] == pytest.approx(2 / 3)
    assert pooled["precision"] == pytest.approx(0.5)
    assert pooled["f1"] == pytest.approx(4 / 7)
    assert pooled["fp_per_24h"] == pytest.approx(16.0)
    # Samples: 160 + 60 reference s, 40 true and 40 + 30 false-positive s over 3 h.
    assert pooled["sample_sensitivity"] == pytest.approx(40 / 220)
    assert pooled["sample_fp_per_24h"] == pytest.approx(70 / 3 * 24)


def test_pooled_scores_of_one_recording_match_score_events():
    single = score_events(REFERENCE, HYPOTHESIS, HOUR_S)
    pooled = pooled_scores([(REFERENCE, HYPOTHESIS, HOUR_S)])
    for key, value in single.items():
        assert pooled[key] == pytest.approx(value), key
    empty = pooled_scores([])
    assert (empty["n_recordings"], empty["sensitivity"], empty["fp_per_24h"]) == (0, None, None)


def _read_tsv(path):
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        return tuple(reader.fieldnames), list(reader)


def test_write_events_tsv_round_trip(tmp_path):
    path = tmp_path / "sub-01_ses-01_task-szMonitoring_run-00_events.tsv"
    events = [Event(2150.0, 20.0, 0.6), Event(110.0, 40.0, 0.912345)]
    write_events_tsv(path, events, HOUR_S, date_time="2020-01-01 10:00:00")
    header, rows = _read_tsv(path)
    assert header == EVENTS_TSV_COLUMNS
    assert rows == events_table(events, HOUR_S, "2020-01-01 10:00:00")
    assert [row["onset"] for row in rows] == ["110.000", "2150.000"]  # time order
    assert rows[0] == {
        "onset": "110.000",
        "duration": "40.000",
        "eventType": "sz",
        "confidence": "0.9123",
        "channels": "n/a",
        "dateTime": "2020-01-01 10:00:00",
        "recordingDuration": "3600.000",
    }
    assert list(tmp_path.iterdir()) == [path]  # no temporary left behind


def test_write_events_tsv_without_events_writes_bckg(tmp_path):
    path = tmp_path / "events.tsv"
    write_events_tsv(path, [], 1234.5)
    _, rows = _read_tsv(path)
    assert len(rows) == 1
    assert rows[0]["eventType"] == "bckg"
    assert (rows[0]["onset"], rows[0]["duration"]) == ("0.000", "1234.500")
    assert rows[0]["confidence"] == "n/a"
    assert rows[0]["dateTime"] == "n/a"
