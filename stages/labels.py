"""DVC stage ``labels``: per-patient concept labels, evidence and their quality (spec 7).

Usage: ``python stages/labels.py`` (reads params.yaml).
"""

from __future__ import annotations

import argparse

from pipeline.config import load_params
from pipeline.stages.labels import run


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    params = load_params()
    made = run(params)
    labels, stats = made.run.labels, made.llm_stats
    n_present = int(labels["labels"].arr.sum().sum()) if labels.height else 0
    print(
        f"labels: {labels.height} patients from {made.n_notes} notes, {n_present} present "
        f"concepts, {made.run.evidence.height} evidence rows -> {params.labels.out_dir}"
    )
    if "skipped" in made.quality:
        print(f"labels: quality skipped: {made.quality['skipped']}")
    else:
        for config, q in made.quality["configurations"].items():
            print(f"labels: quality {config:15s} macro recall {q['macro_recall']:.3f} "
                  f"specificity {q['macro_specificity']:.3f}")  # fmt: skip
    rate = (
        f", LLM {made.n_notes / stats['model_seconds']:.2f} notes/s"
        if stats["model_calls"] and stats["model_seconds"] else ""
    )  # fmt: skip
    print(
        f"labels: {made.seconds:.1f} s this run (extraction {made.run.seconds_extract:.1f} s, "
        f"{stats['model_calls']} model calls, {stats['cache_hits']} cache hits{rate}); "
        f"last cold run {made.cold['seconds']:.1f} s "
        f"(this run = {100 * made.seconds / max(made.cold['seconds'], 1e-9):.0f}% of cold)"
    )


if __name__ == "__main__":
    main()
