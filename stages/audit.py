"""DVC stage ``audit``: can anything but the EEG patterns give the concepts away? (spec 11).

Usage: ``python stages/audit.py`` (reads params.yaml).
"""

from __future__ import annotations

import argparse

from pipeline.config import load_params
from pipeline.evaluate.audit import PLAIN_BACKGROUND
from pipeline.stages.audit import run


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    params = load_params()
    report = run(params)
    out = params.evaluate.audit_markdown_path
    if "nuisance" not in report:
        print(f"audit: skipped (data.source = {params.data.source}) -> {out}")
        return
    worst = min(
        (r["sensitivity"], d, r["type"]) for d, rows in report["detectors"].items() for r in rows
    )
    mistaken = max(
        (r["false_alarm_share"], d, r["kind"])
        for d, rows in report["lookalikes"].items()
        for r in rows
        if r["kind"] != PLAIN_BACKGROUND
    )
    clip = max(report["clipped"], key=lambda r: r["clipped_fraction"])
    population = report["population"]
    print(
        f"audit: nuisance AUROC max {report['nuisance']['max_auroc']} "
        f"({report['nuisance']['n_above_0.6']}/{report['nuisance']['n_pairs']} > 0.6) in the cv "
        f"cohort, farthest from 0.5 {population['worst']['auroc']} in "
        f"{population['patients']} patients of the generator; "
        f"lowest sensitivity {worst[0]:.2f} ({worst[1]}, {worst[2]}); look-alike most taken "
        f"for a seizure {mistaken[2]} ({mistaken[1]}, {mistaken[0]:.2f} of its windows); "
        f"most clipped "
        f"{clip['type']} {clip['clipped_fraction']:.2f} -> {out}"
    )


if __name__ == "__main__":
    main()
