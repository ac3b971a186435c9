"""Benchmark: label extraction on real-format reports, per LLM mode.

Scores the ``labels`` extractor on folders of hand-labelled reports
(:mod:`pipeline.text.report_set`; by default every set under
``tests/data/eeg_reports``: ``dev``, read while writing the dictionary, and the
held-out ``holdout``, scored once for reporting) against the acceptance thresholds fixed before
the sets were scored: macro recall >= 0.90 and macro specificity >= 0.95 with
the default settings. For each ``labels.use_llm`` mode it prints

* macro recall and specificity per set, with a 95 % bootstrap interval over
  reports (1000 draws);
* per concept: true count, recall and specificity, and what the LLM adds over
  the dictionary (true and false positives only the LLM found);
* throughput: notes/s with a cold LLM cache (a fresh folder) and a warm rerun.

Usage: ``python benchmarks/labels.py [--reports DIR ...] [--modes off unmatched paper]
[--json OUT]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from pipeline.config import Params, load_params
from pipeline.io.atomic import write_json
from pipeline.metrics import ConceptCounts
from pipeline.text.concept_bank import load_seed_bank, read_bank
from pipeline.text.embed import make_embedder
from pipeline.text.labels import label_matrix, run_labels
from pipeline.text.llm import LLM
from pipeline.text.quality import load_truth
from pipeline.text.report_set import read_report_folder

DEFAULT_SETS = tuple(sorted(p.parent for p in Path("tests/data/eeg_reports").glob("*/labels.csv")))
MIN_RECALL, MIN_SPECIFICITY = 0.90, 0.95


def macro(pred: np.ndarray, true: np.ndarray) -> tuple[float, float]:
    """Macro recall and specificity over the concepts that have positives / negatives."""
    ratios = ConceptCounts.from_predictions(true, pred).ratios()
    return float(np.nanmean(ratios["recall"])), float(np.nanmean(ratios["specificity"]))


def bootstrap(pred: np.ndarray, true: np.ndarray, draws: int = 1000, seed: int = 0) -> dict:
    """Macro recall / specificity with percentile 95 % intervals over resampled reports."""
    rng = np.random.default_rng(seed)
    samples = np.array([macro(pred[i], true[i]) for i in
                        (rng.integers(0, len(true), len(true)) for _ in range(draws))])  # fmt: skip
    recall, specificity = macro(pred, true)
    low, high = np.nanpercentile(samples, [2.5, 97.5], axis=0)
    return {"macro_recall": round(recall, 4),
            "recall_ci": [round(float(low[0]), 4), round(float(high[0]), 4)],
            "macro_specificity": round(specificity, 4),
            "specificity_ci": [round(float(low[1]), 4), round(float(high[1]), 4)]}  # fmt: skip


def per_concept(pred: np.ndarray, dictionary: np.ndarray, true: np.ndarray, names) -> list:
    """Each concept's counts and ratios, and the true / false positives only the LLM gave."""
    ratios = ConceptCounts.from_predictions(true, pred).ratios()
    llm_only = (pred == 1) & (dictionary == 0)
    return [{"concept": n, "n_true": int(true[:, j].sum()),
             "recall": None if np.isnan(ratios["recall"][j]) else round(ratios["recall"][j], 3),
             "specificity": round(ratios["specificity"][j], 3),
             "llm_tp": int((llm_only[:, j] & (true[:, j] == 1)).sum()),
             "llm_fp": int((llm_only[:, j] & (true[:, j] == 0)).sum())}
            for j, n in enumerate(names)]  # fmt: skip


def score_mode(params: Params, mode: str, sets, bank, embedder, cache_dir: Path) -> dict:
    """Run one ``use_llm`` mode cold, then warm, on every set; score it."""
    lp = params.labels.model_copy(update={"use_llm": mode})
    names = [c.name for c in bank]
    llm_params = params.llm.model_copy(update={"cache_dir": cache_dir / mode})
    out: dict = {"mode": mode, "sets": {}}
    for folder, reports in sets.items():
        timings = []
        for _ in ("cold", "warm"):
            llm = LLM(llm_params) if mode != "off" else None
            started = time.perf_counter()
            run = run_labels(reports.notes, bank, llm, embedder, lp, progress=False)
            timings.append(time.perf_counter() - started)
        subjects = run.labels["subject"].to_list()
        truth = load_truth(reports.labels_path, names)
        true = np.stack([truth[s] for s in subjects])
        pred = label_matrix(run.evidence, subjects, len(names))
        dictionary = label_matrix(run.evidence, subjects, len(names), ("dictionary",))
        n = reports.notes.height
        out["sets"][folder] = bootstrap(pred, true) | {
            "n_reports": n,
            "notes_per_s_cold": round(n / timings[0], 2),
            "notes_per_s_warm": round(n / timings[1], 2),
            "concepts": per_concept(pred, dictionary, true, names),
            "issues": run.issues.group_by("problem").len().sort("problem").rows(),
        }
    return out


def print_mode(result: dict) -> None:
    print(f"\nlabels.use_llm = {result['mode']}")
    for folder, r in result["sets"].items():
        ok = r["macro_recall"] >= MIN_RECALL and r["macro_specificity"] >= MIN_SPECIFICITY
        print(f"  {folder}: {r['n_reports']} reports  macro recall {r['macro_recall']:.3f} "
              f"{r['recall_ci']}  specificity {r['macro_specificity']:.3f} {r['specificity_ci']}"
              f"  [{'PASS' if ok else 'FAIL'} >= {MIN_RECALL} / {MIN_SPECIFICITY}]  "
              f"{r['notes_per_s_cold']} notes/s cold, {r['notes_per_s_warm']} warm  "
              f"issues {r['issues']}")  # fmt: skip
    print(f"  {'concept':<28}" + "".join(f"{Path(f).name:>26}" for f in result["sets"]))
    rows = zip(*(r["concepts"] for r in result["sets"].values()), strict=True)
    for cells in rows:
        text = "".join(
            f"{c['n_true']:>4} {c['recall'] if c['recall'] is not None else '-':>5} "
            f"{c['specificity']:>5} +{c['llm_tp']}/-{c['llm_fp']:<5}"
            for c in cells
        )
        print(f"  {cells[0]['concept']:<28}{text}")
    print("  (per set: n true, recall, specificity, +LLM-only true/-false positives)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", nargs="+", type=Path, default=list(DEFAULT_SETS))
    parser.add_argument(
        "--modes", nargs="+", default=["off"], choices=["off", "unmatched", "paper"]
    )
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    params = load_params()
    bank_path = params.concepts.bank_path
    bank = (
        read_bank(bank_path) if bank_path.is_file() else load_seed_bank(params.concepts.seed_bank)
    )
    embedder = make_embedder(params.embeddings)
    sets = {str(f): read_report_folder(f) for f in args.reports}
    results = []
    with tempfile.TemporaryDirectory() as cache:
        for mode in args.modes:
            results.append(score_mode(params, mode, sets, bank, embedder, Path(cache)))
            print_mode(results[-1])
    if args.json:
        write_json(args.json, {"bank": str(bank_path), "embeddings": embedder.name,
                               "results": results})  # fmt: skip


if __name__ == "__main__":
    main()
