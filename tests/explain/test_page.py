"""Case page: montage, figures, HTML rendering and the written files."""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace

import numpy as np
import pytest

from pipeline.explain.figures import (
    plot_concept_probabilities,
    plot_eeg_excerpt,
    plot_seizure_probability,
)
from pipeline.explain.montage import DOUBLE_BANANA, REFERENTIAL, bipolar
from pipeline.explain.page import figure_data_uri, render_case_page, write_case
from pipeline.plotting import plt


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _case(note: bool = True, events: bool = True) -> dict:
    return {
        "recording": "aaaaaaac_s001_t000",
        "source": "edf/train/aaaaaaac_s001_t000.edf",
        "detector": "deepsoz",
        "duration_s": 1800.0,
        "window_s": 1.0,
        "threshold": 0.5,
        "generated": "2024-05-01T12:00:00+00:00",
        "provenance": {"code": "abc1234", "checkpoint": "sha256:ffee"},
        "events": [
            {"onset_s": 725.0, "duration_s": 48.0, "confidence": 0.91},
            {"onset_s": 1510.4, "duration_s": 20.0, "confidence": 0.66},
        ]
        if events
        else [],
        "concepts": [
            {"name": "rhythmic", "side": "seizure", "probability": 0.83, "predicted": True},
            {"name": "spike and wave", "side": "seizure", "probability": 0.21, "predicted": False},
            {"name": "slowing", "side": "non-seizure", "probability": 0.64, "predicted": True},
        ],
        "summary": "The EEG shows rhythmic activity with slowing.",
        "note": {
            "path": "notes/aaaaaaac_s001.txt",
            "concepts": [
                {"name": "rhythmic", "evidence": ["Rhythmic <b>theta</b> over the left temporal."]},
                {"name": "PLED", "evidence": ["Periodic discharges & sharp waves at T3."]},
            ],
        }
        if note
        else None,
    }


def test_bipolar_derives_first_minus_second_in_montage_order():
    rng = np.random.default_rng(0)
    channels = [c.lower() for c in reversed(REFERENTIAL)]  # any order, any case
    values = {name.upper(): 10.0 * k for k, name in enumerate(channels)}
    signals = np.array([[values[c.upper()], values[c.upper()] + 1.0] for c in channels])
    signals = signals + rng.normal(size=(1, 2))  # a common reference cancels out
    derived, labels = bipolar(signals, channels)
    assert derived.shape == (18, 2)
    assert labels[:4] == ["FP1-F7", "F7-T3", "T3-T5", "T5-O1"]
    assert labels[-2:] == ["FZ-CZ", "CZ-PZ"]
    expected = [values[a] - values[b] for a, b in DOUBLE_BANANA]
    np.testing.assert_allclose(derived[:, 0], expected)
    np.testing.assert_allclose(derived[:, 1], expected)


def test_bipolar_names_every_missing_channel():
    channels = [c for c in REFERENTIAL if c not in ("T3", "PZ")]
    with pytest.raises(ValueError, match="T3, PZ"):
        bipolar(np.zeros((len(channels), 5)), channels)


def test_seizure_probability_figure():
    p_sz = np.linspace(0, 1, 1800)
    events = [{"onset_s": 100.0, "duration_s": 30.0}, SimpleNamespace(onset_s=900, duration_s=60)]
    fig = plot_seizure_probability(p_sz, 1.0, events, 0.5, "p over time", reference=[(95, 140)])
    ax = fig.axes[0]
    assert ax.get_title() == "p over time"
    assert len(ax.lines) == 2  # curve and threshold
    assert "min" in ax.get_xlabel() and ax.get_ylabel() == "p(seizure)"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "detected event" in legend and "annotated seizure" in legend
    short = plot_seizure_probability(np.zeros(120), 1.0, [], 0.5, "short").axes[0]
    assert "(s)" in short.get_xlabel()


@pytest.mark.parametrize("n_traces, seconds", [(19, 10), (18, 60)])
def test_eeg_excerpt_draws_one_line_per_trace(n_traces, seconds):
    fs = 100.0
    signals = np.random.default_rng(1).normal(0, 20, size=(n_traces, int(seconds * fs)))
    labels = [f"ch{i}" for i in range(n_traces)]
    fig = plot_eeg_excerpt(signals, fs, labels, 600.0, "excerpt")
    ax = fig.axes[0]
    assert ax.get_title() == "excerpt"
    assert len(ax.lines) == n_traces
    assert [t.get_text() for t in ax.get_yticklabels()] == labels
    assert ax.get_xlim() == pytest.approx((600.0, 600.0 + seconds))
    assert any("µV" in t.get_text() for t in ax.texts)
    top = ax.lines[0].get_ydata()
    assert top.mean() > ax.lines[-1].get_ydata().mean()  # first label on top


def test_eeg_excerpt_uses_a_given_scale():
    fig = plot_eeg_excerpt(np.zeros((3, 50)), 10.0, ["a", "b", "c"], 0.0, "t", scale_uv=70)
    assert [t.get_text() for t in fig.axes[0].texts] == ["70 µV"]


def test_concept_probabilities_figure():
    names = ["a", "b", "c", "d"]
    fig = plot_concept_probabilities(names, [0.2, 0.9, 0.5, 0.1], 0.5, "concepts")
    ax = fig.axes[0]
    assert ax.get_title() == "concepts"
    assert len(ax.patches) == 4 and len(ax.lines) == 1
    assert [t.get_text() for t in ax.get_yticklabels()] == ["d", "a", "c", "b"]  # top = last
    red = [p for p in ax.patches if p.get_facecolor() == ax.patches[-1].get_facecolor()]
    assert len(red) == 2  # 0.9 and 0.5 reach the threshold
    assert {t.get_text() for t in ax.texts} == {"0.20", "0.90", "0.50", "0.10"}


def test_figure_data_uri_is_png_and_closes():
    fig = plot_concept_probabilities(["a"], [0.7], 0.5, "one")
    uri = figure_data_uri(fig, dpi=50)
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert not plt.fignum_exists(fig.number)


def test_render_case_page_content():
    figures = {"probability": "data:image/png;base64,AAAA", "event0_bipolar": "data:,x"}
    html = render_case_page(_case(), figures)
    assert "<title>aaaaaaac_s001_t000 — SzXAI case report</title>" in html
    assert "The EEG shows rhythmic activity with slowing." in html
    for name in ("rhythmic", "spike and wave", "slowing", "PLED"):
        assert name in html
    assert "Rhythmic &lt;b&gt;theta&lt;/b&gt; over the left temporal." in html
    assert "<b>theta" not in html
    assert "discharges &amp; sharp" in html
    assert "0:12:05" in html and "0:25:10" in html  # onsets as h:mm:ss
    assert "0.83" in html and "sha256:ffee" in html
    assert "No EEG excerpt is available" in html  # event 2 has no figure
    assert 'src="data:image/png;base64,AAAA"' in html
    for banned in ("http://", "https://", "<script"):
        assert banned not in html


def test_render_case_page_without_note_or_events():
    html = render_case_page(_case(note=False, events=False), {})
    assert "No seizure event was detected" in html
    assert "clinical note" not in html
    assert "rhythmic" in html and html.rstrip().endswith("</html>")
    minimal = render_case_page({"recording": "r"}, {})
    assert "r — SzXAI case report" in minimal


def test_only_pages_a_user_asked_for_say_when_they_were_made():
    asked = render_case_page(_case(), {})
    pipeline_page = render_case_page({**_case(), "generated": None}, {})
    assert "<th>Generated</th><td>2024-05-01T12:00:00+00:00</td>" in asked
    assert "<th>Generated</th>" not in pipeline_page


def test_write_case_round_trips(tmp_path):
    case = _case()
    json_path, html_path = write_case(tmp_path / "out" / "deep", case, {}, stem="rec")
    assert json_path.name == "rec.json" and html_path.name == "rec.html"
    assert json.loads(json_path.read_text(encoding="utf-8")) == case
    assert html_path.read_text(encoding="utf-8") == render_case_page(case, {})
    assert sorted(p.name for p in json_path.parent.iterdir()) == ["rec.html", "rec.json"]


def test_the_page_says_who_wrote_the_summary():
    by_llm = render_case_page({**_case(), "summary_source": "llm"}, {})
    template = render_case_page({**_case(), "summary_source": "template"}, {})
    assert "generated by a language model" in by_llm and "template" not in by_llm
    assert "template: no answer of the language model" in template
