"""``reports/index.md``: the page a researcher opens first, and its sections."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from pipeline.config import Params
from pipeline.io.atomic import atomic_path
from pipeline.szxai.methods import METHOD_SPECS
from pipeline.szxai.references import REFERENCE_DESCRIPTIONS
from pipeline.text.summary import Summary


def render_index(
    table_markdown: str,
    figures: Sequence[tuple[Path, str]],
    provenance: Mapping[str, str],
    index_path: Path,
    *,
    threshold: float = 0.5,
    n_concepts: int = 20,
    control_concepts: Sequence[str] = (),
    bootstrap_draws: int | None = None,
    after_table: Sequence[tuple[str, str]] = (),
    after_figures: Sequence[tuple[str, str]] = (),
) -> str:
    """The Markdown of the reports index.

    Parameters
    ----------
    table_markdown : str
        Table 1 as Markdown.
    figures : sequence of (path, caption)
        Each figure with a one-line caption; paths are linked relative to the index.
    provenance : mapping of str -> str
        What the results came from (data source, params, commit ...), one line each.
    index_path : Path
        Where the index will live (for relative links).
    threshold : float
        Probability at or above which a concept counts as predicted.
    n_concepts : int
        Concepts in the bank (the macro average runs over those that are not controls).
    control_concepts : sequence of str
        Negative-control concepts in the bank (left out of the macro average,
        reported in their own column).
    bootstrap_draws : int, optional
        Draws of the patient bootstrap behind the pooled AUROC's interval
        (None: the table has no interval column).
    after_table, after_figures : sequence of (title, markdown)
        Further sections (methods; summary sentences, notes ...).
    """
    n_macro = n_concepts - len(control_concepts)
    controls = ", ".join(f"`{c}`" for c in control_concepts)
    macro_over = (
        f"the {n_macro} concepts other than the negative control ({controls})"
        if control_concepts
        else f"the {n_concepts} concepts"
    )
    lines = [
        "# SzXAI results",
        "",
        "Concept (etiology) prediction per crop on held-out folds: recall, precision and "
        f"specificity at threshold {threshold}, and the macro area under the ROC curve of "
        f"the probabilities (AUROC, free of the threshold, 0.5 = chance), averaged over "
        f"{macro_over}; a concept where a ratio is undefined (no predicted positive, for "
        "precision) is left out of that average. `chance`: random predictions at the "
        "training-fold prevalence (mean over folds).",
        "",
    ]
    if bootstrap_draws is not None:
        lines += [
            "Each metric cell: the value over all held-out crops pooled across the folds (each "
            "cv crop once) and its 95 % percentile-bootstrap interval over patients: "
            f"{bootstrap_draws} seeded draws, each resampling the patients with replacement (a "
            "patient's crops stay together), 2.5th and 97.5th percentiles. The draws are the "
            "same for every row, so rows compare on the same resamples (see the paired "
            "comparisons below). `AUROC, folds`: the paper's view, the macro AUROC of each "
            "fold, mean ± std over the folds.",
            "",
        ]
    else:
        lines += ["Every cell: mean ± std over the patient-grouped folds.", ""]
    if control_concepts:
        lines += [
            f"HFO AUROC (control): the AUROC of {controls}, mean over folds. High frequency "
            "oscillations (80-500 Hz) cannot survive the 30 Hz low-pass at 200 Hz, so no "
            "row can see them in the EEG: a value clearly above 0.5 means the row predicts "
            "the label from something else (co-occurring concepts, patient identity).",
            "",
        ]
    lines += ["## Table 1", "", table_markdown.rstrip(), ""]
    lines += _sections(after_table)
    lines += ["## Figures", ""]
    for path, caption in figures:
        link = os.path.relpath(path, index_path.parent)
        lines += [f"### {caption}", "", f"![{caption}]({link})", ""]
    lines += _sections(after_figures)
    lines += ["## Provenance", ""]
    lines += [f"- **{key}**: {value}" for key, value in provenance.items()]
    return "\n".join(lines) + "\n"


def _sections(sections: Sequence[tuple[str, str]]) -> list[str]:
    lines = []
    for title, body in sections:
        lines += [f"## {title}", "", body.rstrip(), ""]
    return lines


def write_text(path: Path, text: str) -> None:
    """Write a text output atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


UPSTREAM_CAPTIONS = {
    "concepts": "Fig 2a: self-similarity of the concept bank embeddings (concepts stage)",
    "labels": "Fig 2b: label class distribution and extraction quality (labels stage)",
}


def upstream_figures(params: Params) -> list[tuple[Path, str]]:
    """Figures of earlier stages that the index also links, when they exist."""
    paths = {"concepts": params.concepts.figure_path, "labels": params.labels.figure_path}
    return [(p, UPSTREAM_CAPTIONS[k]) for k, p in paths.items() if Path(p).is_file()]


def git_commit(cwd: Path | None = None) -> str:
    """Short commit of the code, marked when tracked files differ from it."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=cwd,
                              capture_output=True, text=True, timeout=30)  # fmt: skip
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=cwd, capture_output=True, text=True, timeout=30)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return "unknown (git not available)"
    commit = head.stdout.strip() if head.returncode == 0 else ""
    if not commit:
        return "unknown (not a git checkout)"
    return f"{commit} (with uncommitted changes)" if dirty.stdout.strip() else commit


def provenance(params: Params, methods: Sequence[str], figure_fold: int | None) -> dict:
    """What the results came from, one line each."""
    if params.evaluate.figure_fold is not None:
        fold_note = "set by evaluate.figure_fold"
    elif figure_fold is not None:
        fold_note = "SzXAI's best fold on deepsoz (mean of precision and specificity)"
    else:
        fold_note = "none: SzXAI was not trained"
    return {
        "data": f"{params.data.source} corpus at `{params.data.root}`",
        "hyper-parameters": f"lambda1={params.lambda1}, lambda2={params.lambda2}, "
        f"lr={params.lr}, epochs={params.epochs} (patience {params.patience}), "
        f"seed={params.seed}",
        "folds": f"{params.folds.n_folds} patient-grouped folds; figures from fold "
        f"{figure_fold} ({fold_note})",
        "methods": ", ".join(methods),
        "threshold": f"concept predicted when p >= {params.evaluate.threshold}",
        "commit": git_commit(),
        "tables": "`table1.md`, `table1.csv`, `metrics.json` (`dvc metrics show`), "
        "`concept_auroc.csv`; plot data in `plots/` (`dvc plots show`)",
    }


def _description(method: str) -> str | None:
    if method in METHOD_SPECS:
        return METHOD_SPECS[method].description
    return REFERENCE_DESCRIPTIONS.get(method)


def methods_section(methods: Sequence[str]) -> str:
    """One line per method and reference row, from the training code's own descriptions."""
    lines = [f"- `{m}`: {d}" if (d := _description(m)) else f"- `{m}`" for m in methods]
    lines.append("- `chance`: random predictions at each concept's training-fold prevalence")
    return "\n".join(lines)


def references_section(methods: Sequence[str], c: float) -> str:
    """What the reference rows of Table 1 are for (spec section 11)."""
    present = [m for m in methods if m in REFERENCE_DESCRIPTIONS]
    names = ", ".join(f"`{m}`" for m in present)
    return (
        f"The rows marked (reference) ({names}) are not methods: they show what the data "
        "allows, on exactly the methods' folds, crops and labels. Each pools per-window "
        "vectors per crop with the trained detector's p_sz (seizure concepts) or 1 - p_sz "
        "(non-seizure concepts), padding excluded, and fits one class-balanced logistic "
        f"regression per concept (standardised inputs, L2, fixed C = {c}, `train.reference_c`) "
        "on the fold's training crops only. `features` = what plain EEG features give; "
        "`probe` = what the frozen latents the methods read carry linearly (a head far "
        "below it has a training problem, not a data problem); `probe-random` = the same "
        "on a randomly initialised detector of the same architecture (architecture and "
        "input statistics, no training); `probe-pre` = the layer feeding the detector's "
        "BiLSTM. Trained latents that carry no more than `probe-random` mean the method's "
        "premise (the detector's latents hold the etiology) fails on this data."
    )


def concept_auroc_section(csv_path: Path, index_path: Path) -> str:
    """The link to the per-concept AUROC table, with what its columns mean."""
    link = os.path.relpath(csv_path, index_path.parent)
    return (
        f"[`{link}`]({link}): the AUROC of every concept for every row of Table 1 except "
        "chance (detector, method, concept, side, control): `auroc_mean` over the folds "
        "where the concept has both classes (`auroc_folds` of them), and `auroc_pooled` "
        "over all held-out crops pooled across the folds."
    )


def summaries_section(summaries: dict[str, Summary]) -> str:
    """The Fig 4 sentences, each with its source (LLM or template) and why."""
    lines = []
    for crop_id, s in summaries.items():
        why = f" ({s.reason})" if s.reason else ""
        lines.append(f"- `{crop_id}` [{s.source}{why}]: {s.sentence}")
    return "\n".join(lines)
