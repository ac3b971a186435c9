"""Benchmark: LLM label extraction in process vs through an OpenAI-compatible server.

The same notes (real-format reports, ``tests/data/eeg_reports/dev`` by default),
the paper's two LLM passes (``labels.use_llm: paper``), a cold completion cache
for every contender, in one run:

* ``in-process``: ``llm.backend: llama-cpp``, the default Gemma GGUF;
* ``server cN``: ``llm.backend: openai`` against llama-cpp-python's server
  (:mod:`pipeline.text.server`, the same GGUF, started once on 127.0.0.1) with
  ``llm.max_concurrency`` N.

Prints notes/s, completions/s, the ratio to in-process, and how many notes got
the same LLM terms as in-process (a server samples with the same seeds but
another code path; the completion cache, not the server, makes reruns
identical). On one CPU the server answers one request at a time, so
concurrency is expected to buy nothing here; it pays against a server with
parallel slots on a GPU (vLLM, llama.cpp's ``--parallel``).

Usage: ``python benchmarks/llm_server.py [--reports DIR] [--notes N] [--concurrency 1 2 4]``
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import polars as pl

from pipeline.config import load_params
from pipeline.text.labels import extract_terms
from pipeline.text.llm import LLM
from pipeline.text.report_set import read_report_folder
from pipeline.text.server import serve


def run(notes: pl.DataFrame, llm_params, label_params) -> dict:
    llm = LLM(llm_params)
    started = time.perf_counter()
    terms = extract_terms(notes, llm, label_params, progress=False).terms
    seconds = time.perf_counter() - started
    llm_terms = terms.filter(pl.col("source") == "llm")
    per_note = {
        key: sorted(group["raw"].to_list())
        for key, group in llm_terms.group_by("subject", "session", maintain_order=True)
    }
    return {"seconds": seconds, "calls": llm.model_calls, "terms": per_note}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=Path, default=Path("tests/data/eeg_reports/dev"))
    parser.add_argument("--notes", type=int, default=4)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    params = load_params()
    notes = read_report_folder(args.reports).notes.head(args.notes)
    label_params = params.labels.model_copy(update={"use_llm": "paper"})
    threads = params.llm.n_threads or os.cpu_count() or 1
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        local = params.llm.model_copy(update={"cache_dir": Path(tmp) / "local"})
        results["in-process"] = run(notes, local, label_params)
        model_path = LLM(local).backend.model_path
        with serve(model_path, Path(tmp) / "server.log", n_ctx=params.llm.n_ctx,
                   n_threads=threads) as server:  # fmt: skip
            for n in args.concurrency:
                remote = params.llm.model_copy(update={
                    "backend": "openai", "base_url": server.base_url, "model": server.model,
                    "max_concurrency": n, "cache_dir": Path(tmp) / f"server-c{n}"})  # fmt: skip
                results[f"server c{n}"] = run(notes, remote, label_params)
    reference = results["in-process"]
    print(f"{notes.height} notes, {reference['calls']} completions each, {threads} threads, "
          f"use_llm paper, cold cache per row")  # fmt: skip
    print(f"{'contender':<12}{'notes/s':>9}{'calls/s':>9}{'x in-process':>14}{'same terms':>12}")
    for name, r in results.items():
        same = sum(r["terms"].get(k) == v for k, v in reference["terms"].items())
        agreement = f"{same}/{len(reference['terms'])}"
        print(f"{name:<12}{notes.height / r['seconds']:>9.2f}{r['calls'] / r['seconds']:>9.2f}"
              f"{reference['seconds'] / r['seconds']:>14.2f}"
              f"{agreement:>12}")  # fmt: skip


if __name__ == "__main__":
    main()
