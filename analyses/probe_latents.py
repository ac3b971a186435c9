"""Cross-validated AUROC of the latent probe per concept: what a detector's latents carry.

Usage: ``python -m analyses.probe_latents [--detector deepsoz]`` (after ``dvc repro``).
Prints the patient-grouped 5-fold AUROC of a class-balanced logistic regression
on each concept's side-pooled latents (:func:`pipeline.szxai.probe.probe_auroc`),
on the labelled cv crops; writes nothing.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import polars as pl

from pipeline.config import load_params
from pipeline.registry import DETECTOR_NAMES
from pipeline.szxai.data import read_concepts, read_crops, read_labels
from pipeline.szxai.probe import probe_auroc


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--detector", default=DETECTOR_NAMES[0], choices=DETECTOR_NAMES)
    args = parser.parse_args()
    params = load_params()
    folds = pl.read_csv(params.folds.path, schema_overrides={"subject": pl.String})
    crops = read_crops(
        params.detector.latents_path(args.detector),
        read_labels(params.labels.table_path("labels")),
        set(folds["subject"]),
    )
    concepts = read_concepts(params.concepts.bank_path)
    aurocs = probe_auroc(crops, concepts.seizure, c=params.train.reference_c)
    report = {
        name: None if np.isnan(a) else round(float(a), 3)
        for name, a in zip(concepts.names, aurocs, strict=True)
    }
    print(json.dumps(report, indent=1))
    print(f"{args.detector}: mean probe AUROC {np.nanmean(aurocs):.3f} over {len(crops)} crops "
          f"of {len(set(crops.subjects))} patients")  # fmt: skip


if __name__ == "__main__":
    main()
