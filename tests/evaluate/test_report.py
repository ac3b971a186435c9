"""The reports index links every figure relative to itself and lists provenance."""

from pathlib import Path

from pipeline.evaluate.report import render_index, write_text


def test_index_links_figures_relative_and_lists_provenance(tmp_path):
    index = tmp_path / "reports" / "index.md"
    figure = tmp_path / "reports" / "figures" / "roc.png"
    text = render_index(
        "| a | b |\n| --- | --- |\n", [(figure, "ROC of the detectors")], {"seed": "1"}, index
    )
    assert "![ROC of the detectors](figures/roc.png)" in text
    assert "- **seed**: 1" in text
    assert text.index("## Table 1") < text.index("## Figures") < text.index("## Provenance")
    write_text(index, text)
    assert Path(index).read_text(encoding="utf-8") == text
