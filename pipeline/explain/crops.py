"""Case pages of the held-out cv crops: each crop explained by the fold that held it out.

Nothing is recomputed from the EEG model: p_sz, S_nt and the concept
probabilities of a crop come from its fold's outputs (``latents_aligned.parquet``
and ``predictions.parquet`` of ``train@<detector>-<fold>``, method ``szxai``),
the note's concepts and evidence from the ``labels`` stage, and only the EEG
excerpts are read again from the recording (µV, the crop's 600 s).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from pipeline.config import Params, n_workers
from pipeline.evaluate.events import detect_events, true_runs
from pipeline.explain.case import Excerpts, case_figures, case_record, evidence_concepts
from pipeline.explain.page import write_case
from pipeline.explain.recording import ScoredRecording
from pipeline.io.edf import read_edf
from pipeline.szxai.data import PREDICTIONS_FILE, read_concepts
from pipeline.text.llm import LLM

#: The method whose crops are explained (the one with window similarities).
CASE_METHOD = "szxai"
#: A crop page shows a 10 s bipolar excerpt of its most confident event only, at a
#: lower resolution: an EEG trace compresses badly, and 171 pages of full excerpts
#: (two montages, 20 s, 150 dpi) would weigh ~400 MB.
CROP_EXCERPTS = Excerpts(count=1, seconds=10.0, referential=False, dpi=90)


@dataclass(frozen=True)
class CropCase:
    """One written case page."""

    crop_id: str
    subject: str
    fold: int
    html: Path
    n_events: int
    summary_source: str


def note_concepts(evidence: pl.DataFrame, subject: str, names: list[str]) -> dict | None:
    """A patient's note concepts with their evidence sentences (``labels`` evidence table)."""
    rows = evidence.filter(pl.col("subject") == subject)
    if rows.is_empty():
        return None
    return {"path": f"note of patient {subject}", "concepts": evidence_concepts(rows, names)}


def crop_recording(
    windows: pl.DataFrame, probs: np.ndarray, edf_path: str, start_s: float, params: Params
) -> ScoredRecording:
    """One held-out crop as a :class:`ScoredRecording` (its µV EEG read from the recording).

    Parameters
    ----------
    windows : DataFrame
        The crop's real windows in order: ``p_sz``, ``similarity`` (N floats).
    probs : ndarray, shape (N,)
        The fold's concept probabilities of the crop.
    edf_path : str
    start_s : float
        Crop start in the recording (s).
    params : Params
    """
    window_s = float(params.preprocess.window_s)
    pp = params.preprocess
    signals = read_edf(edf_path, pp.channels, dtype=np.float32, aliases=pp.channel_aliases)
    first = int(start_s * signals.sfreq)
    n_samples = int(len(windows) * window_s * signals.sfreq)
    return ScoredRecording(
        duration_s=len(windows) * window_s, window_s=window_s, p_sz=windows["p_sz"].to_numpy(),
        similarity=np.stack(windows["similarity"].to_list()), probs=probs,
        signals_uv=signals.data[:, first : first + n_samples], sfreq=signals.sfreq,
        channels=tuple(params.preprocess.channels), missing=tuple(signals.missing),
        origin="crop start",
    )  # fmt: skip


def crop_pages(
    params: Params, detector: str, out_dir: Path, llm, n_jobs: int = 1
) -> Iterator[CropCase]:
    """Write the case page of every held-out crop of ``detector``; yield them in fold order.

    Parameters
    ----------
    params : Params
    detector : str
    out_dir : Path
        Where the pages go.
    llm : LLM
        Writes the summaries of the pages drawn in this process (``n_jobs`` 1).
    n_jobs : int
        Worker processes (:func:`~pipeline.config.n_workers`: 0 = every core),
        one fold at a time each, every one with its own LLM (loaded on its first
        uncached call). Processes, not threads: matplotlib holds the GIL while it
        draws, and drawing is most of a page's time. The pages are the same
        whatever the number.
    """
    folds = list(params.folds.ids)
    workers = n_workers(n_jobs, len(folds))
    if workers == 1:
        for fold in folds:
            yield from fold_pages(params, detector, out_dir, llm, fold)
        return
    # Each worker's LLM gets its share of the cores: llama.cpp's threads spin while they
    # wait, so two models with every core each run far slower than with half each.
    if params.llm.n_threads == 0:
        share = max(1, (os.cpu_count() or 1) // workers)
        params = params.model_copy(
            update={"llm": params.llm.model_copy(update={"n_threads": share})}
        )
    # spawn: a forked child would inherit the parent's threads and any loaded model.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        jobs = [pool.submit(_fold_pages_in_worker, params, detector, out_dir, fold)
                for fold in folds]  # fmt: skip
        for job in jobs:
            yield from job.result()


def _fold_pages_in_worker(params: Params, detector: str, out_dir: Path, fold: int) -> list:
    return list(fold_pages(params, detector, out_dir, LLM(params.llm), fold))


def fold_pages(params: Params, detector: str, out_dir: Path, llm, fold: int) -> Iterator[CropCase]:
    """Write the case page of every crop that fold ``fold`` held out; yield each as it is done."""
    concepts = read_concepts(params.concepts.bank_path)
    crops = pl.read_parquet(params.preprocess.out_dir / "crops.parquet").join(
        pl.read_parquet(params.ingest.manifest_path, columns=["recording_id", "edf_path"]),
        on="recording_id", how="left",
    )  # fmt: skip
    evidence = pl.read_parquet(params.labels.table_path("evidence"))
    window_s = float(params.preprocess.window_s)
    fold_dir = params.train.fold_dir(detector, fold)
    aligned = pl.read_parquet(fold_dir / "latents_aligned.parquet").filter(~pl.col("is_pad"))
    predictions = pl.read_parquet(fold_dir / PREDICTIONS_FILE).filter(
        pl.col("method") == CASE_METHOD
    )
    by_crop = aligned.sort("crop_id", "window_index").group_by("crop_id", maintain_order=True)
    for (crop_id,), windows in by_crop:
        meta = crops.filter(pl.col("crop_id") == crop_id).row(0, named=True)
        probs = np.asarray(predictions.filter(pl.col("crop_id") == crop_id)["probs"][0])
        scored = crop_recording(windows, probs, meta["edf_path"], meta["start_s"], params)
        events = detect_events(scored.p_sz, window_s, params.events)
        starts, ends = true_runs(windows["label"].to_numpy() == 1)
        reference = [(a * window_s, b * window_s) for a, b in zip(starts, ends, strict=True)]
        provenance = {"fold": f"{fold} (held this patient out)", "method": CASE_METHOD,
                      "crop": f"{meta['start_s']} s into {meta['recording_id']}"}  # fmt: skip
        note = note_concepts(evidence, meta["subject"], concepts.names)
        case = case_record(
            crop_id, meta["edf_path"], detector, scored, concepts, events,
            params.evaluate.threshold, llm, note, provenance, reference,
        )  # fmt: skip
        figures = case_figures(scored, events, case, CROP_EXCERPTS)
        _, html = write_case(out_dir, case, figures, stem=crop_id)
        yield CropCase(crop_id, meta["subject"], fold, html, len(events), case["summary_source"])
