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
    """
    lines = [
        "# SzXAI results",
        "",
        "Concept (etiology) prediction per crop on held-out folds: recall, precision and "
        "specificity at threshold 0.5, averaged over the 20 concepts, mean ± std over the "
        "patient-grouped folds. `chance`: random predictions at the training-fold prevalence.",
        "",
        "## Table 1",
        "",
        table_markdown.rstrip(),
        "",
        "## Figures",
        "",
    ]
    for path, caption in figures:
        link = os.path.relpath(path, index_path.parent)
        lines += [f"### {caption}", "", f"![{caption}]({link})", ""]
    lines += ["## Provenance", ""]
    lines += [f"- **{key}**: {value}" for key, value in provenance.items()]
    return "\n".join(lines) + "\n"


def write_text(path: Path, text: str) -> None:
    """Write a text output atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
