"""Event-level scoring of a seizure detector in SzCORE terms.

The window-level metrics of the rest of :mod:`pipeline.evaluate` say how well
each window is classified; clinicians and the seizure-detection benchmarks
(SzCORE: Dan et al., Epilepsia 2024) judge a detector by its *events*: how many
seizures it finds (sensitivity), how many of its alarms are seizures
(precision) and how many false alarms it raises per day. This module turns a
window-wise seizure probability into events (:func:`detect_events`), scores
them against the reference seizures with the reference implementation of
SzCORE, the ``timescoring`` package (:func:`score_events`,
:func:`pooled_scores`), and writes them in the BIDS/SzCORE events format
(:func:`write_events_tsv`).

All times are in seconds from the start of the recording.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from timescoring import scoring
from timescoring.annotations import Annotation

from pipeline.config import EventParams
from pipeline.io.atomic import atomic_path

#: Time resolution (Hz) of the annotations handed to timescoring: the one its
#: event scoring works at internally, so event times are not rounded to the
#: second before the tolerances are applied.
EVENT_FS = 10
#: Seconds in the 24 h of the false-alarm rate.
DAY_S = 24 * 3600.0

#: Columns of a BIDS/SzCORE ``*_events.tsv`` file, in order.
EVENTS_TSV_COLUMNS = (
    "onset",
    "duration",
    "eventType",
    "confidence",
    "channels",
    "dateTime",
    "recordingDuration",
)
#: Decimals written for times (ms resolution) and for a confidence.
TIME_DECIMALS = 3
CONFIDENCE_DECIMALS = 4
#: BIDS's marker of a value that does not apply.
NA = "n/a"


def events_dir(reports_dir: str | Path) -> Path:
    """``<reports_dir>/events``: ``<detector>.json`` and ``<detector>/*_events.tsv``."""
    return Path(reports_dir) / "events"


def scoring_parameters(params: EventParams) -> scoring.EventScoring.Parameters:
    """``params`` as timescoring's ``EventScoring.Parameters``."""
    return scoring.EventScoring.Parameters(
        toleranceStart=params.tolerance_start_s,
        toleranceEnd=params.tolerance_end_s,
        minOverlap=params.min_overlap,
        maxEventDuration=params.max_event_s,
        minDurationBetweenEvents=params.merge_gap_s,
    )


@dataclass(frozen=True)
class Event:
    """A detected seizure.

    Attributes
    ----------
    onset_s, duration_s : float
        Start and length of the event, seconds.
    confidence : float
        Mean p_sz over the windows the event spans.
    """

    onset_s: float
    duration_s: float
    confidence: float

    @property
    def end_s(self) -> float:
        """End of the event, seconds."""
        return self.onset_s + self.duration_s


#: A hypothesis event: an :class:`Event` or an ``(onset_s, end_s)`` pair.
EventLike = Event | Sequence[float]


def true_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and (exclusive) end indices of the runs of True in ``mask``, shape (n_runs,) each."""
    # Padding with False on both sides makes every run have a rising and a falling edge.
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _merge_runs(
    starts: np.ndarray, ends: np.ndarray, max_gap_windows: float
) -> list[tuple[int, int]]:
    """Join consecutive runs whose gap (in windows) is below ``max_gap_windows``."""
    merged: list[tuple[int, int]] = []
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        if merged and start - merged[-1][1] < max_gap_windows:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def detect_events(
    p_sz: np.ndarray,
    window_s: float,
    params: EventParams | None = None,
    start_s: float = 0.0,
) -> list[Event]:
    """Seizure events of a recording from its window-wise seizure probability.

    Runs of windows with ``p_sz >= params.threshold`` are events; runs less
    than ``params.merge_gap_s`` apart are merged into one, the post-processing
    SzCORE applies (and the scorer would apply anyway, so merging here makes
    the written events the scored ones). Events are not split at
    ``max_event_s``: that split is the scorer's, not the detector's.

    Parameters
    ----------
    p_sz : numpy.ndarray
        Shape (n_windows,), float in [0, 1]: seizure probability of each
        window. A NaN window (e.g. unscorable signal) is never a seizure window.
    window_s : float
        Length of a window, seconds; the windows are contiguous.
    params : EventParams, optional
        Threshold and merge gap; SzCORE's defaults when omitted.
    start_s : float
        Time of the first window's start, seconds.

    Returns
    -------
    list of Event
        In time order. ``confidence`` is the mean p_sz over all windows of the
        merged event, the sub-threshold windows of a merged gap included.
    """
    params = params or EventParams()
    p_sz = np.asarray(p_sz, dtype=float)
    if p_sz.ndim != 1:
        raise ValueError(f"p_sz must have shape (n_windows,), got {p_sz.shape}")
    if window_s <= 0:
        raise ValueError(f"window_s must be > 0, got {window_s}")
    with np.errstate(invalid="ignore"):  # NaN >= t is False, which is what we want
        above = p_sz >= params.threshold
    starts, ends = true_runs(above)
    events = []
    for start, end in _merge_runs(starts, ends, params.merge_gap_s / window_s):
        events.append(
            Event(
                onset_s=start_s + start * window_s,
                duration_s=(end - start) * window_s,
                confidence=float(np.nanmean(p_sz[start:end])),
            )
        )
    return events


def _intervals(events: Iterable[EventLike]) -> list[tuple[float, float]]:
    """``(onset_s, end_s)`` pairs in time order (timescoring merges neighbours in list order)."""
    pairs = []
    for event in events:
        onset, end = (event.onset_s, event.end_s) if isinstance(event, Event) else event
        if end < onset:
            raise ValueError(f"event ends before it starts: ({onset}, {end})")
        pairs.append((float(onset), float(end)))
    return sorted(pairs)


def _annotation(events: Iterable[EventLike], duration_s: float) -> Annotation:
    """A timescoring annotation of ``events`` over a recording of ``duration_s`` seconds."""
    return Annotation(_intervals(events), EVENT_FS, round(duration_s * EVENT_FS))


def _defined(value: float) -> float | None:
    """``value`` as a float, or None where timescoring says undefined (NaN)."""
    value = float(value)
    return None if math.isnan(value) else value


def _scorings(
    reference: Iterable[EventLike],
    hypothesis: Iterable[EventLike],
    duration_s: float,
    params: EventParams,
    fs: float,
) -> tuple[scoring.EventScoring, scoring.SampleScoring]:
    """timescoring's event and sample scorings of one recording."""
    if duration_s <= 0:
        raise ValueError(f"duration_s must be > 0, got {duration_s}")
    ref = _annotation(reference, duration_s)
    hyp = _annotation(hypothesis, duration_s)
    return scoring.EventScoring(ref, hyp, scoring_parameters(params)), scoring.SampleScoring(
        ref, hyp, fs
    )


def score_events(
    reference: Iterable[EventLike],
    hypothesis: Iterable[EventLike],
    duration_s: float,
    params: EventParams | None = None,
    fs: float = 1.0,
) -> dict[str, int | float | None]:
    """SzCORE event and sample scores of one recording.

    Parameters
    ----------
    reference : iterable of (float, float)
        Reference seizures as ``(onset_s, end_s)``.
    hypothesis : iterable of Event or (float, float)
        Detected seizures.
    duration_s : float
        Length of the recording, seconds (> 0): the false-alarm rate's denominator.
    params : EventParams, optional
        Tolerances, merge gap, split length; SzCORE's defaults when omitted.
    fs : float
        Rate (Hz) of the sample-by-sample scoring.

    Returns
    -------
    dict
        ``n_reference``, ``n_detected`` (events as scored: after the scorer's
        merge of events < ``merge_gap_s`` apart and its split at
        ``max_event_s``), ``tp``, ``fp``, ``sensitivity``, ``precision``,
        ``f1``, ``fp_per_24h`` (false alarms per 24 h), then
        ``sample_sensitivity``, ``sample_precision``, ``sample_f1`` and
        ``sample_fp_per_24h`` (false-positive samples at ``fs`` per 24 h, i.e.
        seconds per day at 1 Hz). An undefined value (sensitivity without a
        reference seizure, precision without a detection) is None, not NaN,
        so the dict is valid JSON.
    """
    events, samples = _scorings(reference, hypothesis, duration_s, params or EventParams(), fs)
    return {
        "n_reference": int(events.refTrue),
        "n_detected": len(events.hyp.events),
        "tp": int(events.tp),
        "fp": int(events.fp),
        "sensitivity": _defined(events.sensitivity),
        "precision": _defined(events.precision),
        "f1": _defined(events.f1),
        "fp_per_24h": _defined(events.fpRate),
        "sample_sensitivity": _defined(samples.sensitivity),
        "sample_precision": _defined(samples.precision),
        "sample_f1": _defined(samples.f1),
        "sample_fp_per_24h": _defined(samples.fpRate),
    }


def _rates(tp: int, fp: int, n_reference: int, days: float) -> tuple[float | None, ...]:
    """Sensitivity, precision, F1 and false positives per day from summed counts.

    The formulas are timescoring's, so pooling one recording gives that
    recording's scores; in particular F1 is ``2 tp / (2 tp + fp + fn)``, which
    is 0 (not undefined) for a detector that finds nothing of a seizure.
    """
    sensitivity = tp / n_reference if n_reference else None
    precision = tp / (tp + fp) if tp + fp else None
    f1 = 2 * tp / (tp + fp + n_reference) if n_reference + fp else None
    return sensitivity, precision, f1, (fp / days if days else None)


def pooled_scores(
    recordings: Iterable[tuple[Iterable[EventLike], Iterable[EventLike], float]],
    params: EventParams | None = None,
    fs: float = 1.0,
) -> dict[str, int | float | None]:
    """SzCORE scores over many recordings: counts summed, then rates.

    SzCORE pools rather than averaging per-recording scores, because most
    recordings hold no seizure and their sensitivity is undefined.

    Parameters
    ----------
    recordings : iterable of (reference, hypothesis, duration_s)
        Each as the arguments of :func:`score_events`.
    params, fs
        As for :func:`score_events`.

    Returns
    -------
    dict
        The keys of :func:`score_events` (counts are sums), plus
        ``n_recordings`` and ``hours`` (total duration). ``fp_per_24h`` is the
        summed false alarms over the total duration, per 24 h.
    """
    params = params or EventParams()
    n = n_ref = n_det = tp = fp = 0
    s_ref = s_tp = s_fp = 0
    duration_s = s_days = 0.0
    for reference, hypothesis, recording_s in recordings:
        events, samples = _scorings(reference, hypothesis, recording_s, params, fs)
        n += 1
        n_ref, n_det = n_ref + int(events.refTrue), n_det + len(events.hyp.events)
        tp, fp = tp + int(events.tp), fp + int(events.fp)
        s_ref, s_tp, s_fp = (
            s_ref + int(samples.refTrue),
            s_tp + int(samples.tp),
            s_fp + int(samples.fp),
        )
        duration_s += recording_s
        # The sample rate's denominator is its own sample count, as in timescoring.
        s_days += samples.numSamples / samples.fs / DAY_S
    sensitivity, precision, f1, fp_rate = _rates(tp, fp, n_ref, duration_s / DAY_S)
    s_sensitivity, s_precision, s_f1, s_fp_rate = _rates(s_tp, s_fp, s_ref, s_days)
    return {
        "n_recordings": n,
        "hours": duration_s / 3600.0,
        "n_reference": n_ref,
        "n_detected": n_det,
        "tp": tp,
        "fp": fp,
        "sensitivity": sensitivity,
        "precision": precision,
        "f1": f1,
        "fp_per_24h": fp_rate,
        "sample_sensitivity": s_sensitivity,
        "sample_precision": s_precision,
        "sample_f1": s_f1,
        "sample_fp_per_24h": s_fp_rate,
    }


def _seconds(value: float) -> str:
    return f"{value:.{TIME_DECIMALS}f}"


def events_table(
    events: Iterable[Event], recording_duration_s: float, date_time: str = NA
) -> list[dict[str, str]]:
    """Rows of a BIDS/SzCORE events file, as the strings written.

    Parameters
    ----------
    events : iterable of Event
        Detected seizures (``eventType`` "sz").
    recording_duration_s : float
        Length of the recording, seconds (the ``recordingDuration`` column).
    date_time : str
        Recording start, ``YYYY-MM-DD HH:MM:SS``, or "n/a".

    Returns
    -------
    list of dict
        One row per event in time order, keyed by :data:`EVENTS_TSV_COLUMNS`.
        A recording without events gets one "bckg" row spanning it, as SzCORE
        writes, so every recording has a file with at least one row.
    """
    common = {
        "channels": NA,
        "dateTime": date_time,
        "recordingDuration": _seconds(recording_duration_s),
    }
    rows = [
        {
            "onset": _seconds(event.onset_s),
            "duration": _seconds(event.duration_s),
            "eventType": "sz",
            "confidence": f"{event.confidence:.{CONFIDENCE_DECIMALS}f}",
            **common,
        }
        for event in sorted(events, key=lambda e: e.onset_s)
    ]
    if not rows:
        rows = [
            {
                "onset": _seconds(0.0),
                "duration": _seconds(recording_duration_s),
                "eventType": "bckg",
                "confidence": NA,
                **common,
            }
        ]
    return [{column: row[column] for column in EVENTS_TSV_COLUMNS} for row in rows]


def write_events_tsv(
    path: str | Path,
    events: Iterable[Event],
    recording_duration_s: float,
    date_time: str = NA,
) -> None:
    """Write :func:`events_table` as a tab-separated file with a header, atomically."""
    rows = events_table(events, recording_duration_s, date_time)
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=EVENTS_TSV_COLUMNS, delimiter="\t", lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(rows)
