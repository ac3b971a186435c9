"""One ``events@<detector>`` run: the frozen detector scored on whole cv recordings as SzCORE does.

Window AUROC on 600 s crops says how windows are ranked; a clinician asks how
many seizures the detector finds and how many false alarms it raises per day,
which only whole recordings tell (crops are cut around seizures). Every cv
recording of the manifest goes through the same preprocessing and the frozen
detector (:func:`pipeline.explain.recording.recording_p_sz`), p_sz becomes
events (:func:`pipeline.evaluate.events.detect_events`: threshold
``events.threshold``, events closer than 90 s merged) and the events are
scored against the annotations with SzCORE's scorer (``timescoring``: any
overlap, 30 s before / 60 s after tolerance, events split at 5 min; all of it
the ``events`` section of the params), pooled over recordings. The detectors
never trained on cv patients (they train on the pretrain cohort), so these are
held-out scores.

Outputs: ``<reports_dir>/events/<detector>/<recording>_events.tsv`` (BIDS/SzCORE
events of every cv recording) and ``<reports_dir>/events/<detector>.json``
(pooled event and sample scores at the threshold, and the event scores over a
threshold sweep).
"""

from __future__ import annotations

import json

import numpy as np
import polars as pl
from tqdm import tqdm

from pipeline.config import EventParams, Params
from pipeline.device import resolve_device
from pipeline.evaluate.events import (
    detect_events,
    events_dir,
    pooled_scores,
    write_events_tsv,
)
from pipeline.explain.recording import load_detector, recording_p_sz
from pipeline.io.atomic import atomic_path

#: p_sz thresholds of the operating curve.
SWEEP = tuple(round(t, 2) for t in np.arange(0.05, 1.0, 0.05))


def event_record(
    detector: str,
    rows: list[tuple[str, np.ndarray, float, list[tuple[float, float]]]],
    params: EventParams,
    window_s: float,
) -> dict:
    """Pooled SzCORE scores at ``params.threshold`` and over :data:`SWEEP` (the stage's JSON).

    Parameters
    ----------
    detector : str
    rows : list of (recording_id, p_sz, duration_s, reference)
        Per recording: p_sz of shape (n_windows,), its length (s) and the
        annotated seizures as ``(onset_s, end_s)``.
    params : EventParams
        Event detection and scoring at the operating p_sz threshold.
    window_s : float
        Window length of p_sz (s).
    """

    def scores_at(event_params: EventParams) -> dict:
        return pooled_scores(
            ((ref, detect_events(p, window_s, event_params), d) for _, p, d, ref in rows),
            event_params,
        )

    return {
        "detector": detector, "scope": "whole recordings of the cv cohort",
        "n_recordings": len(rows), "params": params.model_dump(),
        "scores": scores_at(params),
        "sweep": [{"threshold": t, **scores_at(params.model_copy(update={"threshold": t}))}
                  for t in SWEEP],
    }  # fmt: skip


def run(params: Params, detector: str) -> dict:
    """Score ``detector`` on every cv recording; write the events and the scores."""
    device = resolve_device(params.device)
    model = load_detector(params, detector, device)
    manifest = pl.read_parquet(params.ingest.manifest_path).filter(pl.col("cohort") == "cv")
    window_s = float(params.preprocess.window_s)
    rows = []
    for row in tqdm(manifest.sort("recording_id").iter_rows(named=True), total=manifest.height,
                    desc=f"events {detector}", unit="recording"):  # fmt: skip
        p_sz, duration_s = recording_p_sz(row["edf_path"], params, model, device)
        reference = list(zip(row["seizure_start_s"], row["seizure_stop_s"], strict=True))
        rows.append((row["recording_id"], p_sz, duration_s, reference))
    record = event_record(detector, rows, params.events, window_s)
    out = events_dir(params.evaluate.reports_dir)
    with atomic_path(out / detector) as tmp:
        tmp.mkdir(parents=True)
        for recording_id, p_sz, duration_s, _ in rows:
            events = detect_events(p_sz, window_s, params.events)
            write_events_tsv(tmp / f"{recording_id}_events.tsv", events, duration_s)
    with atomic_path(out / f"{detector}.json") as tmp:
        tmp.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return record
