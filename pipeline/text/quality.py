"""Quality of the extracted labels against a ground truth (paper Fig 2b).

Per concept: prevalence of the generated and the true labels, recall and
specificity; macro averages over concepts (a concept without true positives has
no recall and is left out of the recall average, likewise for specificity). The
same numbers are computed for the dictionary-only and LLM-only labels, which
measures what each path contributes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl

from pipeline.metrics import ConceptCounts

from .labels import label_matrix

CONFIGURATIONS = {"dictionary+llm": ("dictionary", "llm"), "dictionary": ("dictionary",),
                  "llm": ("llm",)}  # fmt: skip


def load_truth(path: str | Path, concept_names: list[str]) -> dict[str, np.ndarray]:
    """Subject -> true 0/1 vector in bank order.

    Reads the synthetic truth JSON or a CSV of hand labels (``subject`` plus one
    0/1 column per concept name). From the JSON it takes what each note
    *reports* (``reported_bits`` in the order of its ``concepts`` list; corpus
    v1 files have only ``planted_bits`` / ``planted``): label extraction is
    judged on what the text says, not on what the EEG shows.
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        table = pl.read_csv(path)
        missing = [n for n in concept_names if n not in table.columns]
        if missing:
            raise ValueError(f"{path}: no column for concept(s) {missing}")
        return {
            str(r["subject"]): np.array([int(r[n]) for n in concept_names], dtype=np.int8)
            for r in table.iter_rows(named=True)
        }
    truth = json.loads(path.read_text(encoding="utf-8"))
    order = truth.get("concepts") or concept_names
    out = {}
    for patient in truth["patients"]:
        present = set(patient.get("reported", patient.get("planted")) or [])
        bits = patient.get("reported_bits", patient.get("planted_bits"))
        if bits is not None:
            present = {name for name, bit in zip(order, bits, strict=True) if bit}
        out[patient["subject"]] = np.array([int(n in present) for n in concept_names], np.int8)
    return out


def _rounded(value: float) -> float | None:
    """A ratio for the JSON report: 4 decimals, None where undefined (NaN)."""
    return None if np.isnan(value) else round(float(value), 4)


def per_concept(pred: np.ndarray, true: np.ndarray, names: list[str]) -> list[dict]:
    """Counts, prevalences, recall, specificity and precision of each concept."""
    counts = ConceptCounts.from_predictions(true, pred)
    ratios = counts.ratios()
    n = len(true)
    rows = []
    for j, name in enumerate(names):
        tp, fp, fn, tn = (int(c[j]) for c in (counts.tp, counts.fp, counts.fn, counts.tn))
        n_true, n_pred = tp + fn, tp + fp
        rows.append({
            "index": j, "concept": name, "n_true": n_true, "n_pred": n_pred,
            "prevalence_true": _rounded(n_true / n if n else np.nan),
            "prevalence_pred": _rounded(n_pred / n if n else np.nan),
            "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "recall": _rounded(ratios["recall"][j]),
            "specificity": _rounded(ratios["specificity"][j]),
            "precision": _rounded(ratios["precision"][j]),
        })  # fmt: skip
    return rows


def _macro(rows: list[dict], key: str) -> float | None:
    values = [r[key] for r in rows if r[key] is not None]
    return round(float(np.mean(values)), 4) if values else None


def quality_report(
    evidence: pl.DataFrame,
    subjects: list[str],
    truth: dict[str, np.ndarray],
    names: list[str],
    llm_used: bool = True,
) -> dict:
    """Macro and per-concept quality of each source configuration.

    Parameters
    ----------
    evidence : DataFrame
        The stage's evidence rows (``subject``, ``concept_index``, ``source``).
    subjects : list of str
        Labelled patients (those with a note).
    truth : dict
        Subject -> true vector, from :func:`load_truth`.
    names : list of str
        Concept names in index order.
    llm_used : bool
        Whether an LLM pass ran; without one the LLM-only configuration is left
        out (it would read as an LLM with recall 0).
    """
    scored = [s for s in subjects if s in truth]
    true = np.stack([truth[s] for s in scored]) if scored else np.zeros((0, len(names)))
    report: dict = {
        "n_patients": len(scored),
        "patients_without_truth": sorted(set(subjects) - set(truth)),
        "configurations": {},
    }
    for config, sources in CONFIGURATIONS.items():
        if sources == ("llm",) and not llm_used:
            continue
        pred = label_matrix(evidence, scored, len(names), sources)
        rows = per_concept(pred, true, names)
        report["configurations"][config] = {
            "macro_recall": _macro(rows, "recall"),
            "macro_specificity": _macro(rows, "specificity"),
            "macro_precision": _macro(rows, "precision"),
            "exact_match": _rounded(
                (pred == true).all(axis=1).sum() / len(scored) if len(scored) else np.nan
            ),
            "concepts": rows,
        }
    main = report["configurations"]["dictionary+llm"]
    report["macro_recall"] = main["macro_recall"]
    report["macro_specificity"] = main["macro_specificity"]
    return report


def plot_quality(report: dict, path: str | Path, title_note: str = "") -> None:
    """Paper Fig 2b: class distribution, recall and specificity per concept."""
    import matplotlib.pyplot as plt

    from pipeline.plotting import save_figure

    if "configurations" not in report:
        fig, ax = plt.subplots(figsize=(8, 2.5))
        ax.axis("off")
        ax.text(0.5, 0.5, report.get("skipped", "no ground truth"), ha="center", va="center",
                wrap=True)  # fmt: skip
        ax.set_title("Label quality: not computed")
        save_figure(fig, path, dpi=120, tight=False)
        return
    configs = report["configurations"]
    main = configs["dictionary+llm"]["concepts"]
    names = [r["concept"] for r in main]
    x = np.arange(len(names))
    n = report["n_patients"]
    fig, axes = plt.subplots(3, 1, figsize=(12, 9.5), sharex=True)
    present = np.array([r["n_pred"] for r in main])
    axes[0].bar(x, present, color="tab:red", label="present")
    axes[0].bar(x, n - present, bottom=present, color="lightgrey", label="absent")
    axes[0].plot(x, [r["n_true"] for r in main], "k_", ms=14, mew=2, label="true present")
    axes[0].set_ylabel("patients")
    axes[0].set_title("Class distribution of the generated labels")
    axes[0].legend(fontsize=8, ncol=3, loc="upper right")
    width = 0.27
    colours = {"dictionary+llm": "tab:blue", "dictionary": "tab:green", "llm": "tab:orange"}
    for k, (config, colour) in enumerate(colours.items()):
        if config not in configs:
            continue
        rows = configs[config]["concepts"]
        for ax, key in ((axes[1], "recall"), (axes[2], "specificity")):
            values = [np.nan if r[key] is None else r[key] for r in rows]
            macro = configs[config][f"macro_{key}"]
            ax.bar(
                x + (k - 1) * width,
                values,
                width,
                color=colour,
                label=f"{config} (macro {macro if macro is not None else float('nan'):.2f})",
            )
    for ax, key in ((axes[1], "Recall"), (axes[2], "Specificity")):
        ax.set_ylim(0, 1.3)  # head room: the legend sits above the bars, never on them
        ax.set_yticks(np.linspace(0, 1, 6))
        ax.set_ylabel(key.lower())
        ax.set_title(f"{key} of the labels vs ground truth")
        ax.legend(fontsize=8, ncol=3, loc="upper center")
        ax.grid(axis="y", alpha=0.3)
    axes[2].set_xticks(x, [f"{i} {name}" for i, name in enumerate(names)], rotation=60,
                       ha="right", fontsize=8)  # fmt: skip
    axes[2].set_xlabel("concept")
    fig.suptitle(f"Label quality on {n} patients{title_note}")
    fig.tight_layout()
    save_figure(fig, path, dpi=120, tight=False)
