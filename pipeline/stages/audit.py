"""Stage ``audit``: can anything but the EEG patterns give the concepts away? (spec 11).

Synthetic data only (it needs the hidden truth); for ``data.source = tusz`` it
writes a short placeholder instead.
"""

from __future__ import annotations

import json

from pipeline.config import Params
from pipeline.evaluate.audit import render_audit, run_audit
from pipeline.io.atomic import atomic_path


def run(params: Params) -> dict:
    """Write ``evaluate.audit_json_path`` and ``.audit_markdown_path``; return the report."""
    if params.data.source != "synthetic":
        report = {
            "source": params.data.source,
            "note": "the corpus audit needs the synthetic truth",
        }
        markdown = f"# Corpus audit\n\nNot run: data.source = {params.data.source}.\n"
    else:
        report = run_audit(params)
        markdown = render_audit(report)
    with atomic_path(params.evaluate.audit_json_path) as tmp:
        tmp.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    with atomic_path(params.evaluate.audit_markdown_path) as tmp:
        tmp.write_text(markdown, encoding="utf-8")
    return report
