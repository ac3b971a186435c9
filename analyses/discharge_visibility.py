"""Are sporadic discharges visible in the preprocessed windows at all? (synthetic corpus only)

The ``features`` reference row stays near chance for the sporadic-discharge
concepts (interictal, epileptiform, phase reversal). This asks the question
with an oracle no model has: the patient's true focus electrode from
``truth.json``. Per cv crop it summarises that channel over the crop's
non-seizure windows (the annotation's, not the detector's) and prints each
summary's AUROC against the planted concept, oriented so that 0.5 is the floor
(a feature that ranks the wrong way counts as 1 - AUROC). Summaries, per window
of the focus channel: peak-to-peak (z), the share of samples on the 2-std clip
rail (equal consecutive samples), the largest absolute slope (z per sample);
each as its mean over the windows and its 99th percentile.

Usage: ``python -m analyses.discharge_visibility`` (after ``dvc repro preprocess``);
prints, writes nothing.
"""

from __future__ import annotations

import argparse

import numpy as np
from tqdm import tqdm

from pipeline.config import load_params
from pipeline.evaluate.audit import read_truth
from pipeline.io.windows import WindowFile
from pipeline.metrics import binary_auroc

#: The concepts made of sporadic discharges (pipeline/synth/signals.py).
DISCHARGE_CONCEPTS = ("interictal", "epileptiform", "phase reversal")


def window_summaries(eeg: np.ndarray) -> dict[str, np.ndarray]:
    """Per-window summaries of one channel, shape (n_windows,) each.

    Parameters
    ----------
    eeg : ndarray, shape (n_windows, n_samples)
        Preprocessed windows of one channel (z units).
    """
    slope = np.diff(eeg.astype(np.float64), axis=-1)
    return {
        "peak_to_peak": np.ptp(eeg, axis=-1),
        "rail_share": np.mean(slope == 0, axis=-1),
        "max_slope": np.max(np.abs(slope), axis=-1),
    }


def crop_summaries(params, truth: dict) -> tuple[dict[str, list[float]], dict[str, list[bool]]]:
    """Every cv crop's focus-channel summaries and its patient's planted discharge concepts."""
    patients = {p["subject"]: p for p in truth["patients"]}
    channels = [c.upper() for c in params.preprocess.channels]
    values: dict[str, list[float]] = {}
    planted: dict[str, list[bool]] = {c: [] for c in DISCHARGE_CONCEPTS}
    windows = WindowFile(params.preprocess.windows_path("cv"))
    for crop in tqdm(windows, total=len(windows), desc="crops", unit="crop"):
        patient = patients[crop.ref.subject]
        quiet = ~crop.is_pad & (crop.label == 0)
        if not quiet.any():
            continue
        focus = channels.index(patient["traits"]["focus"].upper())
        for name, per_window in window_summaries(crop.eeg[quiet, focus]).items():
            values.setdefault(f"{name} mean", []).append(float(per_window.mean()))
            values.setdefault(f"{name} p99", []).append(float(np.percentile(per_window, 99)))
        for concept in DISCHARGE_CONCEPTS:
            planted[concept].append(concept in patient["planted"])
    return values, planted


def main() -> None:
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()
    params = load_params()
    values, planted = crop_summaries(params, read_truth(params.synth.truth_path))
    for concept, labels in planted.items():
        y = np.asarray(labels, int)
        cells = []
        for name, scores in values.items():
            auroc = binary_auroc(y, np.asarray(scores))
            cells.append(f"{name} {max(auroc, 1 - auroc):.2f}")
        print(f"{concept} ({y.sum()} of {len(y)} crops): " + ", ".join(cells))


if __name__ == "__main__":
    main()
