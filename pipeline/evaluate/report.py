"""``reports/index.md``: the page a researcher opens first."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from pipeline.io.atomic import atomic_path


def render_index(
    table_markdown: str,
    figures: Sequence[tuple[Path, str]],
    provenance: Mapping[str, str],
    index_path: Path,
    *,
    threshold: float = 0.5,
    n_concepts: int = 20,
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
        Concepts in the bank (the macro average runs over them).
    after_table, after_figures : sequence of (title, markdown)
        Further sections (methods; summary sentences, notes ...).
    """
    lines = [
        "# SzXAI results",
        "",
        "Concept (etiology) prediction per crop on held-out folds: recall, precision and "
        f"specificity at threshold {threshold}, averaged over the {n_concepts} concepts, "
        "mean ± std over the patient-grouped folds. A metric undefined in a fold (no "
        "concept predicted, for precision) is left out of that mean, and the cell says over "
        "how many folds; `n/a`: undefined in every fold. `chance`: random predictions at the "
        "training-fold prevalence.",
        "",
        "## Table 1",
        "",
        table_markdown.rstrip(),
        "",
    ]
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
