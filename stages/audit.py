"""DVC stage ``audit``: can anything but the EEG patterns give the concepts away? (spec 11).

Synthetic data only (it needs the hidden truth); for ``data.source = tusz`` it
writes a short placeholder instead.
"""

from __future__ import annotations

import json

from pipeline.audit import AUDIT_JSON, AUDIT_MD, render_audit, run_audit
from pipeline.config import load_params
from pipeline.io.atomic import atomic_path


def main() -> None:
    params = load_params()
    out = params.evaluate.reports_dir
    if params.data.source != "synthetic":
        report = {
            "source": params.data.source,
            "note": "the corpus audit needs the synthetic truth",
        }
        markdown = f"# Corpus audit\n\nNot run: data.source = {params.data.source}.\n"
    else:
        report = run_audit(params)
        markdown = render_audit(report)
    with atomic_path(out / AUDIT_JSON) as tmp:
        tmp.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    with atomic_path(out / AUDIT_MD) as tmp:
        tmp.write_text(markdown, encoding="utf-8")
    if "nuisance" in report:
        worst = min(
            (r["sensitivity"], d, r["type"])
            for d, rows in report["detectors"].items()
            for r in rows
        )
        clip = max(report["clipped"], key=lambda r: r["clipped_fraction"])
        print(
            f"audit: nuisance AUROC max {report['nuisance']['max_auroc']} "
            f"({report['nuisance']['n_above_0.6']}/{report['nuisance']['n_pairs']} > 0.6); "
            f"lowest sensitivity {worst[0]:.2f} ({worst[1]}, {worst[2]}); most clipped "
            f"{clip['type']} {clip['clipped_fraction']:.2f} -> {out / AUDIT_MD}"
        )
    else:
        print(f"audit: skipped (data.source = {params.data.source}) -> {out / AUDIT_MD}")


if __name__ == "__main__":
    main()
