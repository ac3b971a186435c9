"""The case page: one recording explained to a clinician, as self-contained HTML and JSON.

The HTML embeds every figure as a base64 PNG ``data:`` URI and carries its CSS
inline; it loads nothing, runs no script and renders offline (and prints). The
JSON is the case dict below, as given.

Case schema
-----------
``case`` (also the JSON written by :func:`write_case`)::

    {
     "recording": str,            # recording id, e.g. "aaaaaaac_s001_t000"
     "source": str,               # path of the EDF file
     "detector": str,             # seizure detector name, e.g. "deepsoz"
     "duration_s": float,         # recording length (s)
     "window_s": float,           # window length of p_sz (s)
     "threshold": float,          # decision threshold on p_sz and on concept probabilities
     "generated": str | None,     # ISO 8601 time the page was made (None: a pipeline page)
     "provenance": {str: str},    # e.g. code version, checkpoint hash, params hash
     "events": [{"onset_s": float, "duration_s": float, "confidence": float}],
     "concepts": [{"name": str, "side": "seizure" | "non-seizure",
                   "probability": float, "predicted": bool}],
     "summary": str,              # one sentence naming the predicted concepts
     "summary_source": str,       # "llm" or "template" (the LLM's answers failed the check)
     "note": None | {"path": str,  # the clinician's note, if any
                     "concepts": [{"name": str, "evidence": [str, ...]}]},
    }

Times are seconds from recording start (from the crop start on a crop's page:
``time_origin``). ``events``, ``concepts``, ``provenance``,
``summary`` and ``note`` may be absent (rendered as empty); only ``recording`` is
required.

Figure keys
-----------
``figures`` maps a key to a data URI (:func:`figure_data_uri`):

- ``"probability"``: p_sz over the recording
  (:func:`~pipeline.explain.figures.plot_seizure_probability`),
- ``"concepts"``: concept bars (:func:`~pipeline.explain.figures.plot_concept_probabilities`),
- ``"heatmap"``: concept similarity over time,
- ``"event{i}_bipolar"``, ``"event{i}_referential"``: EEG excerpts of ``case["events"][i]``
  (``i`` counts from 0; the page numbers events from 1).

Any key may be missing; the page shows what exists and says when an event has no excerpt.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from html import escape
from pathlib import Path

from matplotlib.figure import Figure

from pipeline.io.atomic import atomic_path
from pipeline.plotting import DPI, plt, png_data_uri

_CSS = """
:root { color-scheme: light; }
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 15px; line-height: 1.45; color: #1a1a1a; background: #fff;
  max-width: 1120px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 1.6em; margin: 0 0 0.3em; }
h2 { font-size: 1.25em; margin: 1.8em 0 0.5em; padding-bottom: 0.2em;
  border-bottom: 1px solid #ccc; }
h3 { font-size: 1.05em; margin: 1.2em 0 0.4em; }
table { border-collapse: collapse; margin: 0.4em 0 1em; font-size: 0.92em; }
th, td { border: 1px solid #d0d0d0; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.meta th { width: 9em; }
table.meta td, table.provenance td { font-family: ui-monospace, Menlo, Consolas, monospace;
  font-size: 0.95em; }
table.provenance { font-size: 0.82em; }
.summary { font-size: 1.2em; border-left: 5px solid #b22222; background: #fbf3f3;
  padding: 12px 18px; margin: 1.2em 0; }
.summary .label { display: block; font-size: 0.7em; color: #666; text-transform: uppercase;
  letter-spacing: 0.05em; margin-bottom: 4px; }
figure { margin: 0.6em 0 1.2em; }
figure img { max-width: 100%; height: auto; display: block; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #555; margin-top: 4px; }
.yes { color: #b22222; font-weight: 600; }
.no { color: #555; }
tr.disagree td { background: #fff6e0; }
ul.evidence { margin: 0.2em 0 0; padding-left: 1.2em; }
.missing { color: #777; font-style: italic; }
footer { margin-top: 3em; font-size: 0.8em; color: #666; border-top: 1px solid #ddd;
  padding-top: 0.6em; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  h2 { break-after: avoid; }
  figure, table, .event { break-inside: avoid; }
  figure img { border: none; }
}
"""


def figure_data_uri(fig: Figure, dpi: int = DPI) -> str:
    """PNG of ``fig`` as a base64 ``data:image/png`` URI; closes the figure.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    dpi : int
        Resolution in dots per inch.
    """
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    finally:
        plt.close(fig)
    return png_data_uri(buffer.getvalue())


def _hms(seconds: float) -> str:
    """``h:mm:ss`` of a time in seconds (rounded to the second)."""
    total = round(float(seconds))
    sign, total = ("-", -total) if total < 0 else ("", total)
    return f"{sign}{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"


def _number(value, digits: int = 2) -> str:
    """``value`` with ``digits`` decimals, or an em dash when absent or not a number."""
    try:
        return f"{float(value):.{digits}f}"
    except (TypeError, ValueError):
        return "—"


def _text(value) -> str:
    """HTML-escaped ``str(value)``; an em dash for ``None``."""
    return "—" if value is None else escape(str(value))


def _yes_no(flag: bool) -> str:
    return '<span class="yes">yes</span>' if flag else '<span class="no">no</span>'


def _figure(figures: Mapping[str, str], key: str, alt: str, caption: str = "") -> str:
    """An ``<figure>`` of ``figures[key]``, or an empty string when the key is missing."""
    uri = figures.get(key)
    if not uri:
        return ""
    cap = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return f'<figure><img src="{escape(uri)}" alt="{escape(alt)}">{cap}</figure>'


def _header(case: Mapping) -> str:
    duration = case.get("duration_s")
    duration_text = "—" if duration is None else f"{_hms(duration)} ({float(duration):.0f} s)"
    rows = [
        ("Recording", _text(case.get("recording"))),
        ("Source", _text(case.get("source"))),
        ("Detector", _text(case.get("detector"))),
        ("Duration", escape(duration_text)),
        ("Window", "—" if case.get("window_s") is None else f"{_number(case['window_s'], 1)} s"),
        ("Threshold", _number(case.get("threshold"))),
    ]
    if case.get("generated"):  # pipeline pages carry none: they are byte-reproducible outputs
        rows.append(("Generated", _text(case["generated"])))
    meta = "".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in rows)
    html = f'<table class="meta">{meta}</table>'
    provenance = case.get("provenance") or {}
    if provenance:
        body = "".join(
            f"<tr><td>{_text(key)}</td><td>{_text(value)}</td></tr>"
            for key, value in provenance.items()
        )
        html += (
            f'<table class="provenance"><tr><th>Provenance</th><th>Value</th></tr>{body}</table>'
        )
    return html


def _events(case: Mapping, figures: Mapping[str, str]) -> str:
    events = case.get("events") or []
    parts = ["<h2>Detected seizure events</h2>"]
    if not events:
        parts.append('<p class="missing">No seizure event was detected in this recording.</p>')
        return "".join(parts)
    rows = "".join(
        f'<tr><td class="num">{i + 1}</td><td class="num">{_hms(e["onset_s"])}</td>'
        f'<td class="num">{_number(e.get("duration_s"), 1)}</td>'
        f'<td class="num">{_number(e.get("confidence"))}</td></tr>'
        for i, e in enumerate(events)
    )
    parts.append("<table><tr><th>#</th><th>Onset (h:mm:ss)</th><th>Duration (s)</th>"
                 f"<th>Confidence</th></tr>{rows}</table>")  # fmt: skip
    for i, event in enumerate(events):
        heading = (f"Event {i + 1}: onset {_hms(event['onset_s'])}, "
                   f"{_number(event.get('duration_s'), 1)} s")  # fmt: skip
        excerpts = _figure(figures, f"event{i}_bipolar", f"{heading}, bipolar montage",
                           "Longitudinal bipolar montage (double banana).")  # fmt: skip
        excerpts += _figure(figures, f"event{i}_referential", f"{heading}, referential montage",
                            "Referential montage (19 channels of the 10-20 system).")  # fmt: skip
        if not excerpts:
            excerpts = '<p class="missing">No EEG excerpt is available for this event.</p>'
        parts.append(f'<section class="event"><h3>{escape(heading)}</h3>{excerpts}</section>')
    return "".join(parts)


def _concepts(case: Mapping, figures: Mapping[str, str]) -> str:
    concepts = case.get("concepts") or []
    parts = ["<h2>EEG concepts</h2>"]
    caption = "Probability of each concept in this recording; red bars are predicted."
    parts.append(_figure(figures, "concepts", "Concept probabilities", caption))
    if concepts:
        rows = "".join(
            f"<tr><td>{_text(c.get('name'))}</td><td>{_text(c.get('side'))}</td>"
            f'<td class="num">{_number(c.get("probability"))}</td>'
            f"<td>{_yes_no(bool(c.get('predicted')))}</td></tr>"
            for c in concepts
        )
        parts.append("<table><tr><th>Concept</th><th>Side</th><th>Probability</th>"
                     f"<th>Predicted</th></tr>{rows}</table>")  # fmt: skip
    else:
        parts.append('<p class="missing">No concept probabilities for this recording.</p>')
    parts.append(_figure(figures, "heatmap", "Concept heatmap",
                         "Similarity of each window to each concept over time."))  # fmt: skip
    return "".join(parts)


def _note(case: Mapping) -> str:
    note = case.get("note")
    if not note:
        return ""
    in_note = {str(c.get("name", "")).strip().lower(): c for c in note.get("concepts") or []}
    eeg = {str(c.get("name", "")).strip().lower(): c for c in case.get("concepts") or []}
    names = list(eeg) + [name for name in in_note if name not in eeg]
    rows = []
    for key in names:
        predicted = eeg.get(key)
        noted = in_note.get(key)
        name = (predicted or noted).get("name")
        if predicted is None:
            left = "—"
        else:
            flag = _yes_no(bool(predicted.get("predicted")))
            left = f"p = {_number(predicted.get('probability'))}, {flag}"
        if noted is None:
            right = _yes_no(False)
        else:
            evidence = "".join(f"<li>{_text(s)}</li>" for s in noted.get("evidence") or [])
            right = _yes_no(True) + (f'<ul class="evidence">{evidence}</ul>' if evidence else "")
        agree = predicted is not None and bool(predicted.get("predicted")) == (noted is not None)
        css = "" if agree or predicted is None else ' class="disagree"'
        rows.append(f"<tr{css}><td>{_text(name)}</td><td>{left}</td><td>{right}</td></tr>")
    return (
        "<h2>EEG prediction and the clinical note</h2>"
        f"<p>Note: <code>{_text(note.get('path'))}</code>. Highlighted rows are concepts "
        "where the prediction from the EEG and the note disagree.</p>"
        "<table><tr><th>Concept</th><th>Predicted from EEG</th><th>In the note</th></tr>"
        f"{''.join(rows)}</table>"
    )


def render_case_page(case: Mapping, figures: Mapping[str, str]) -> str:
    """The case page as one self-contained HTML document.

    Parameters
    ----------
    case : mapping
        The case (schema in the module docstring).
    figures : mapping of str to str
        Figure key to PNG data URI (keys in the module docstring); missing keys are skipped.

    Returns
    -------
    str
        UTF-8 HTML with inline CSS and embedded images, no script, no external URL.
    """
    title = f"{case.get('recording', 'recording')} — SzXAI case report"
    summary = case.get("summary")
    source = (
        "generated by a language model" if case.get("summary_source", "llm") == "llm"
        else "template: no answer of the language model named every predicted concept"
    )  # fmt: skip
    summary_html = (
        f'<p class="summary"><span class="label">Summary ({source})</span>'
        f"{_text(summary)}</p>" if summary else ""
    )  # fmt: skip
    probability = _figure(figures, "probability", "Seizure probability over the recording",
                          "Seizure probability of each window; shaded: detected events; "
                          "dashed: threshold.")  # fmt: skip
    body = "".join([
        f"<h1>{escape(title)}</h1>",
        _header(case),
        summary_html,
        "<h2>Seizure probability</h2>" + probability if probability else "",
        _events(case, figures),
        _concepts(case, figures),
        _note(case),
        "<footer>Generated by the SzXAI research pipeline: a decision aid to be read with the "
        "EEG, not a diagnosis.</footer>",
    ])  # fmt: skip
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def write_case(
    out_dir: str | Path, case: Mapping, figures: Mapping[str, str], stem: str = "case"
) -> tuple[Path, Path]:
    """Write ``<stem>.json`` (the case) and ``<stem>.html`` (the page) atomically.

    Parameters
    ----------
    out_dir : str or Path
        Created with its parents if missing.
    case : mapping
        The case (schema in the module docstring); written as UTF-8 JSON, indent 1.
    figures : mapping of str to str
        Figure key to data URI, embedded in the page only.
    stem : str
        File name without suffix.

    Returns
    -------
    (Path, Path)
        Paths of the JSON and of the HTML file.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out_dir / f"{stem}.json", out_dir / f"{stem}.html"
    with atomic_path(json_path) as tmp:
        text = json.dumps(dict(case), indent=1, ensure_ascii=False)
        tmp.write_text(text + "\n", encoding="utf-8")
    with atomic_path(html_path) as tmp:
        tmp.write_text(render_case_page(case, figures), encoding="utf-8")
    return json_path, html_path
