"""DVC stage ``labels``: per-patient concept labels, evidence and their quality (spec 7)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import polars as pl

from pipeline.config import Params, load_params
from pipeline.io.atomic import atomic_path
from pipeline.text.concept_bank import read_bank
from pipeline.text.embed import make_embedder
from pipeline.text.labels import run_labels
from pipeline.text.llm import LLM, record_run
from pipeline.text.quality import load_truth, plot_quality, quality_report


def truth_path(params: Params) -> Path | None:
    """Where the ground truth is, or None when there is none to compare with."""
    if params.labels.truth_path is not None:
        return params.labels.truth_path
    if params.data.source == "synthetic" and params.synth.truth_path.is_file():
        return params.synth.truth_path
    return None


def write_quality(params: Params, run, names: list[str], embedder_name: str) -> dict:
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
        report = quality_report(run.evidence, run.labels["subject"].to_list(), truth, names)
        report |= {"truth": str(path), "threshold": lp.threshold, "similarity": lp.similarity,
                   "embeddings": embedder_name, "use_llm": lp.use_llm,
                   "use_dictionary": lp.use_dictionary}  # fmt: skip
    with atomic_path(lp.quality_path) as tmp:
        tmp.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    with atomic_path(lp.figure_path) as tmp:
        plot_quality(report, tmp, f" ({embedder_name}, threshold {lp.threshold})")
    return report


def main() -> None:
    started = time.perf_counter()
    params = load_params()
    lp = params.labels
    # Only the cv cohort's labels are ever used (etiology training); the pretrain
    # cohort's notes would cost LLM time for nothing.
    manifest = pl.read_parquet(params.ingest.manifest_path, columns=["subject", "cohort"])
    cv = manifest.filter(pl.col("cohort") == "cv")["subject"].unique()
    notes = pl.read_parquet(params.ingest.notes_path).filter(pl.col("subject").is_in(cv.to_list()))
    bank = read_bank(params.concepts.bank_path)
    llm = LLM(params.llm) if lp.use_llm else None
    embedder = make_embedder(params.embeddings)
    run = run_labels(notes, bank, llm, embedder, lp)
    lp.out_dir.mkdir(parents=True, exist_ok=True)
    for name, table in (("labels", run.labels), ("evidence", run.evidence), ("terms", run.terms)):
        with atomic_path(lp.out_dir / f"{name}.parquet") as tmp:
            table.write_parquet(tmp)
    report = write_quality(params, run, [c.name for c in bank], embedder.name)
    seconds = time.perf_counter() - started
    stats = llm.stats() if llm else {"model_calls": 0, "cache_hits": 0, "model_seconds": 0.0}
    cold = record_run(params.llm.cache_dir, "labels", seconds, stats | {"notes": notes.height})
    n_present = int(run.labels["labels"].arr.sum().sum()) if run.labels.height else 0
    print(
        f"labels: {run.labels.height} patients from {notes.height} notes, {n_present} present "
        f"concepts, {run.evidence.height} evidence rows -> {lp.out_dir}"
    )
    if "skipped" in report:
        print(f"labels: quality skipped: {report['skipped']}")
    else:
        for config, q in report["configurations"].items():
            print(f"labels: quality {config:15s} macro recall {q['macro_recall']:.3f} "
                  f"specificity {q['macro_specificity']:.3f}")  # fmt: skip
    rate = (
        f", LLM {notes.height / stats['model_seconds']:.2f} notes/s"
        if stats["model_calls"] and stats["model_seconds"] else ""
    )  # fmt: skip
    print(
        f"labels: {seconds:.1f} s this run (extraction {run.seconds_extract:.1f} s, "
        f"{stats['model_calls']} model calls, {stats['cache_hits']} cache hits{rate}); "
        f"last cold run {cold['seconds']:.1f} s "
        f"(this run = {100 * seconds / max(cold['seconds'], 1e-9):.0f}% of cold)"
    )


if __name__ == "__main__":
    main()
