"""Reference rows of Table 1 alone, on the pipeline's folds: what the data and latents allow.

Fits only the four reference rows (spec 11) per detector x fold, without the
eight methods, so the corpus can be judged in a couple of minutes after the
``labels``, ``features`` and ``detector`` stages (e.g. for another seed). Prints
the macro AUROC over the expressible concepts (all but the HFO control), its
mean +- std over folds and a 95 % t-interval, the control's AUROC, and each
concept's AUROC for ``features``; against the extracted labels (what Table 1
uses) and the planted truth.

Usage: ``python -m analyses.reference_rows`` (after ``dvc repro features labels
detector@deepsoz detector@cnnblstm``); prints, writes nothing.
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy import stats

from pipeline.config import load_params
from pipeline.evaluate.audit import cv_crops, read_truth
from pipeline.registry import CONTROL_CONCEPTS, DETECTOR_NAMES, REFERENCE_CONCEPTS, REFERENCES
from pipeline.szxai.data import read_concepts, read_labels
from pipeline.szxai.references import fold_aurocs, read_pooled


def planted_labels(truth_path) -> dict[str, np.ndarray]:
    truth = read_truth(truth_path)
    return {p["subject"]: np.asarray(p["planted_bits"], np.float32) for p in truth["patients"]}


def reference_aurocs(params, detector: str, labels: dict) -> dict[str, np.ndarray]:
    """Per reference row: per-fold per-concept AUROC, shape (n_folds, N)."""
    crops, fold, latents = cv_crops(params, detector, labels)
    pooled = read_pooled(REFERENCES, crops.crop_ids, latents, params.features.cv_path)
    seizure = read_concepts(params.concepts.bank_path).seizure
    return {
        r: fold_aurocs(pooled[r], crops.labels, fold, params.folds.ids, seizure,
                       params.train.reference_c)
        for r in REFERENCES
    }  # fmt: skip


def summary(per_fold: np.ndarray) -> str:
    control = np.array([c in CONTROL_CONCEPTS for c in REFERENCE_CONCEPTS])
    macro = np.nanmean(per_fold[:, ~control], axis=1)
    half = stats.t.ppf(0.975, len(macro) - 1) * macro.std(ddof=1) / np.sqrt(len(macro))
    hfo = np.nanmean(per_fold[:, control])
    return (f"macro {macro.mean():.3f} +- {macro.std(ddof=1):.3f} "
            f"[{macro.mean() - half:.3f}, {macro.mean() + half:.3f}], HFO {hfo:.3f}")  # fmt: skip


def main() -> None:
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()
    params = load_params()
    sources = {
        "extracted labels": read_labels(params.labels.table_path("labels")),
        "planted truth": planted_labels(params.synth.truth_path),
    }
    for source, labels in sources.items():
        for detector in DETECTOR_NAMES:
            aurocs = reference_aurocs(params, detector, labels)
            for r in REFERENCES:
                print(f"{source:16s} {detector:8s} {r:12s} {summary(aurocs[r])}")
            per_concept = np.nanmean(aurocs["features"], axis=0)
            cells = ", ".join(
                f"{c} {a:.2f}" for c, a in zip(REFERENCE_CONCEPTS, per_concept, strict=True)
            )
            print(f"{source:16s} {detector:8s} features per concept: {cells}")


if __name__ == "__main__":
    main()
