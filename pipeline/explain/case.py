"""Explain one recording: detector, final head, events, note, summary -> case page.

:func:`explain` is what ``szxai explain`` runs (spec section 12). Its outputs in
``out_dir``: ``case.html`` (self-contained), ``case.json`` (the case dict of
:mod:`pipeline.explain.page`) and ``<recording>_events.tsv`` (BIDS/SzCORE events,
readable by the community's scorers). They are written only after every step
succeeded: a rejected EDF leaves nothing behind.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import polars as pl

from pipeline.config import Params
from pipeline.device import resolve_device
from pipeline.evaluate.events import Event, detect_events, write_events_tsv
from pipeline.evaluate.report import git_commit
from pipeline.explain.figures import (
    plot_concept_probabilities,
    plot_eeg_excerpt,
    plot_seizure_probability,
    plot_similarity_over_time,
)
from pipeline.explain.montage import bipolar
from pipeline.explain.page import figure_data_uri, write_case
from pipeline.explain.recording import (
    ScoredRecording,
    load_detector,
    score_recording,
)
from pipeline.hashing import sha256_file
from pipeline.plotting import DPI
from pipeline.szxai.data import ConceptSpace
from pipeline.szxai.final import HEAD_FILE, final_dir, load_head
from pipeline.text.concept_bank import read_bank
from pipeline.text.embed import make_embedder
from pipeline.text.labels import run_labels
from pipeline.text.llm import LLM
from pipeline.text.summary import summarise_etiologies

#: EEG excerpt of an event: from this long before its onset (s).
EXCERPT_BEFORE_S = 5.0


@dataclass(frozen=True)
class Excerpts:
    """Which EEG excerpts a case page shows, and how finely its figures are drawn.

    Attributes
    ----------
    count : int
        Excerpts of the most confident events only (a long page is not read).
    seconds : float
        Excerpt length: one page of a clinical EEG viewer is 10-20 s.
    referential : bool
        The referential montage beside the bipolar (double banana) one.
    dpi : int
        Resolution of every figure of the page.
    """

    count: int = 5
    seconds: float = 20.0
    referential: bool = True
    dpi: int = DPI


@dataclass(frozen=True)
class Explained:
    """Where the case went and how long it took (s)."""

    html: Path
    json: Path
    events_tsv: Path
    n_events: int
    predicted: list[str]
    seconds: float


def evidence_concepts(evidence: pl.DataFrame, names: list[str]) -> list[dict]:
    """Concepts of ``labels`` evidence rows with their evidence sentences, in bank order."""
    grouped = evidence.group_by("concept_index").agg(pl.col("sentence").unique(maintain_order=True))
    pairs = sorted(zip(grouped["concept_index"], grouped["sentence"], strict=True))
    return [{"name": names[i], "evidence": list(s)} for i, s in pairs]


def note_evidence(note_path: Path, params: Params, names: list[str]) -> dict:
    """The note's concepts with their evidence sentences (the ``labels`` stage's extraction)."""
    bank = read_bank(params.concepts.bank_path)
    if [c.name for c in bank] != names:
        raise ValueError(f"{params.concepts.bank_path}: concepts differ from the final head's")
    notes = pl.DataFrame({"subject": [note_path.stem], "session": ["s001"],
                          "path": [str(note_path)],
                          "text": [note_path.read_text(encoding="utf-8")]})  # fmt: skip
    llm = LLM(params.llm) if params.labels.use_llm != "off" else None
    run = run_labels(notes, bank, llm, make_embedder(params.embeddings), params.labels, False)
    return {"path": str(note_path), "concepts": evidence_concepts(run.evidence, names)}


def case_record(
    name: str,
    source: str,
    detector: str,
    scored: ScoredRecording,
    concepts: ConceptSpace,
    events: list[Event],
    threshold: float,
    llm,
    note: dict | None,
    provenance: dict[str, str],
    reference: list[tuple[float, float]] | None = None,
    generated: str | None = None,
) -> dict:
    """The case dict of :mod:`pipeline.explain.page` (the summary sentence is made here).

    ``reference``: annotated seizures ``(onset_s, end_s)``, when known (held-out crops).
    ``generated``: when the page was made (ISO 8601), for pages a user asks for;
    None for the pipeline's pages, which are DVC outputs and must have the same
    bytes on every run (their inputs are in ``provenance`` and dvc.lock).
    """
    order = np.argsort(-scored.probs, kind="stable")
    predicted = [concepts.names[i] for i in order if scored.probs[i] >= threshold]
    summary = summarise_etiologies(predicted, llm, concepts.names)
    rows = zip(concepts.names, concepts.seizure, scored.probs, strict=True)
    return {
        "recording": name, "source": source, "detector": detector,
        "duration_s": round(scored.duration_s, 3), "window_s": scored.window_s,
        "threshold": threshold,
        "generated": generated,
        "provenance": provenance,
        "events": [{"onset_s": e.onset_s, "duration_s": e.duration_s,
                    "confidence": round(e.confidence, 4)} for e in events],
        "reference": [[round(a, 3), round(b, 3)] for a, b in reference or ()],
        "concepts": [{"name": n, "side": "seizure" if s else "non-seizure",
                      "probability": round(float(p), 4), "predicted": bool(p >= threshold)}
                     for n, s, p in rows],
        "summary": summary.sentence, "summary_source": summary.source, "note": note,
    }  # fmt: skip


def excerpt(scored: ScoredRecording, event: Event, seconds: float) -> tuple[np.ndarray, float]:
    """The µV signals (19, n) around an event's onset, mean removed, and their start (s)."""
    start = max(0.0, min(event.onset_s - EXCERPT_BEFORE_S, scored.duration_s - seconds))
    first = int(start * scored.sfreq)
    piece = scored.signals_uv[:, first : first + int(seconds * scored.sfreq)]
    return piece - piece.mean(axis=1, keepdims=True), start


def case_figures(
    scored: ScoredRecording,
    events: list[Event],
    case: dict,
    style: Excerpts = Excerpts(),
) -> dict[str, str]:
    """Every figure of the case page, as data URIs (keys of :mod:`pipeline.explain.page`)."""
    name, names = case["recording"], [c["name"] for c in case["concepts"]]
    threshold = case["threshold"]
    figures = {
        "probability": plot_seizure_probability(
            scored.p_sz, scored.window_s, events, threshold,
            f"{name}: seizure probability ({case['detector']}), {len(events)} event(s)",
            reference=[tuple(r) for r in case.get("reference", ())] or None,
            origin=scored.origin,
        ),
        "concepts": plot_concept_probabilities(
            names, [c["probability"] for c in case["concepts"]], threshold,
            f"{name}: concept probabilities (SzXAI, N = {len(names)} concepts)",
        ),
        "heatmap": plot_similarity_over_time(
            scored.similarity, names, scored.window_s, events,
            f"{name}: similarity of each window to each concept",
        ),
    }  # fmt: skip
    by_confidence = sorted(range(len(events)), key=lambda i: -events[i].confidence)
    for i in sorted(by_confidence[: style.count]):
        signals, start = excerpt(scored, events[i], style.seconds)
        derivations, labels = bipolar(signals, scored.channels)
        title = f"event {i + 1} at {events[i].onset_s:.0f} s"
        figures[f"event{i}_bipolar"] = plot_eeg_excerpt(
            derivations, scored.sfreq, labels, start,
            f"{name}, {title}: bipolar (double banana)", origin=scored.origin,
        )  # fmt: skip
        if style.referential:
            figures[f"event{i}_referential"] = plot_eeg_excerpt(
                signals, scored.sfreq, list(scored.channels), start,
                f"{name}, {title}: referential", origin=scored.origin,
            )  # fmt: skip
    return {key: figure_data_uri(fig, style.dpi) for key, fig in figures.items()}


def explain(
    edf_path: str | Path,
    params: Params,
    detector: str,
    out_dir: str | Path,
    note_path: str | Path | None = None,
    progress: bool = True,
) -> Explained:
    """Explain one EDF recording; see the module docstring for the outputs.

    Parameters
    ----------
    edf_path : str or Path
        A TUH-format (or any EDF/EDF+) recording with the 19 channels of
        ``preprocess.channels``.
    params : Params
        The pipeline's parameters (the same preprocessing, detector and head).
    detector : str
        Whose frozen detector and final head are used.
    out_dir : str or Path
    note_path : str or Path, optional
        The clinician's note of the recording: its concepts and evidence are
        shown beside the prediction.
    progress : bool
        A progress bar over the recording's crops.
    """
    started = time.perf_counter()
    edf_path, out_dir = Path(edf_path), Path(out_dir)
    device = resolve_device(params.device)
    head_path = final_dir(params.train, detector) / HEAD_FILE
    if not head_path.is_file():
        raise FileNotFoundError(f"{head_path}: no final head; run `dvc repro` first")
    head = load_head(head_path, params.train, device)
    model = load_detector(params, detector, device)
    scored = score_recording(edf_path, params, model, head, device, progress)
    events = detect_events(scored.p_sz, scored.window_s, params.events)
    note = note_evidence(Path(note_path), params, head.concepts.names) if note_path else None
    provenance = {"code": git_commit(), "head": sha256_file(head_path)[:16],
                  "detector weights": sha256_file(params.detector.weights_path(detector))[:16],
                  "missing channels": ", ".join(scored.missing) or "none"}  # fmt: skip
    made = datetime.now(timezone.utc).isoformat(timespec="seconds")
    case = case_record(edf_path.stem, str(edf_path), detector, scored, head.concepts, events,
                       params.evaluate.threshold, LLM(params.llm), note, provenance,
                       generated=made)  # fmt: skip
    predicted = [c["name"] for c in sorted(case["concepts"], key=lambda c: -c["probability"])
                 if c["predicted"]]  # fmt: skip
    figures = case_figures(scored, events, case)
    events_tsv = out_dir / f"{edf_path.stem}_events.tsv"
    json_path, html_path = write_case(out_dir, case, figures)
    write_events_tsv(events_tsv, events, scored.duration_s)
    return Explained(html_path, json_path, events_tsv, len(events), predicted,
                     time.perf_counter() - started)  # fmt: skip
