"""Stage ``labels``: per-patient concept labels, their evidence and quality (spec section 7)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipeline.config import Params
from pipeline.io.atomic import atomic_path
from pipeline.text.concept_bank import read_bank
from pipeline.text.embed import make_embedder
from pipeline.text.labels import LabelRun, run_labels
from pipeline.text.llm import LLM, record_run
from pipeline.text.quality import load_truth, plot_quality, quality_report


@dataclass(frozen=True)
class LabelsStage:
    """What the stage made, for its summary line."""

    run: LabelRun
    n_notes: int
    quality: dict
    seconds: float
    llm_stats: dict
    cold: dict


def truth_path(params: Params) -> Path | None:
    """Where the ground truth is, or None when there is none to compare with."""
    if params.labels.truth_path is not None:
        return params.labels.truth_path
    if params.data.source == "synthetic" and params.synth.truth_path.is_file():
        return params.synth.truth_path
    return None


#: The cohorts whose labels are used: cv trains and scores the heads, test is scored once.
LABELLED_COHORTS = ("cv", "test")


def labelled_notes(params: Params) -> pl.DataFrame:
    """The notes of the cv and test cohorts' patients.

    The pretrain cohort's labels are never used (it trains the detectors, which
    see no concepts): its notes would cost LLM time for nothing.
    """
    manifest = pl.read_parquet(params.ingest.manifest_path, columns=["subject", "cohort"])
    labelled = manifest.filter(pl.col("cohort").is_in(LABELLED_COHORTS))["subject"].unique()
    notes = pl.read_parquet(params.ingest.notes_path)
    return notes.filter(pl.col("subject").is_in(labelled.to_list()))


def write_quality(params: Params, run: LabelRun, names: list[str], embedder_name: str) -> dict:
    """Quality JSON and figure (a 'skipped' note when no truth exists)."""
    lp = params.labels
    path = truth_path(params)
    if path is None:
        report = {
            "skipped": f"no ground truth: data.source is {params.data.source} and "
            "labels.truth_path is not set (give a CSV of hand labels to measure quality)"
        }
    else:
        truth = load_truth(path, names)
        report = quality_report(run.evidence, run.labels["subject"].to_list(), truth, names,
                                llm_used=lp.use_llm != "off")  # fmt: skip
        report |= {"truth": str(path), "threshold": lp.threshold, "similarity": lp.similarity,
                   "embeddings": embedder_name, "use_llm": lp.use_llm,
                   "use_dictionary": lp.use_dictionary}  # fmt: skip
    with atomic_path(lp.quality_path) as tmp:
        tmp.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    with atomic_path(lp.figure_path) as tmp:
        plot_quality(report, tmp, f" ({embedder_name}, threshold {lp.threshold})")
    return report


def run(params: Params) -> LabelsStage:
    """Write ``labels.out_dir`` (labels, evidence, terms), the issues CSV, the quality JSON
    and figure."""
    started = time.perf_counter()
    lp = params.labels
    notes = labelled_notes(params)
    bank = read_bank(params.concepts.bank_path)
    llm = LLM(params.llm) if lp.use_llm != "off" else None
    embedder = make_embedder(params.embeddings)
    labels = run_labels(notes, bank, llm, embedder, lp)
    with atomic_path(lp.out_dir) as tmp:
        tmp.mkdir(parents=True)
        for name in ("labels", "evidence", "terms"):
            getattr(labels, name).write_parquet(tmp / lp.table_path(name).name)
    with atomic_path(lp.issues_path) as tmp:
        labels.issues.write_csv(tmp)
    quality = write_quality(params, labels, [c.name for c in bank], embedder.name)
    seconds = time.perf_counter() - started
    stats = llm.stats() if llm else {"model_calls": 0, "cache_hits": 0, "model_seconds": 0.0}
    cold = record_run(params.llm.cache_dir, "labels", seconds, stats | {"notes": notes.height})
    return LabelsStage(labels, notes.height, quality, seconds, stats, cold)
