"""The ``detector`` stage: obtain a frozen detector, extract latents, report AUROC.

Outputs, for detector ``<name>``:

``<detector.out_dir>/<name>/``
    ``latents.parquet`` (see :mod:`pipeline.detectors.extract`: p_sz, h_t, the
    BiLSTM input and a random-init control's h_t per window of the cv cohort),
    ``latents-test.parquet`` (the same of the held-out test cohort; empty
    without one), ``weights.pt`` (the frozen float32 ``state_dict``, loadable
    with ``strict=True``) and ``history.json`` (per-epoch training and
    validation losses).
``<detector.reports_dir>/<name>.json``
    Window-level AUROC on the cv cohort (and on the test cohort), window
    counts, times, device.

Each output appears complete or not at all.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
from torch import nn

from pipeline.config import COHORTS, Params
from pipeline.detectors.extract import extract_latents
from pipeline.detectors.training import (
    TrainingSummary,
    obtain_detector,
    random_detector,
    random_seed,
)
from pipeline.device import resolve_device
from pipeline.hashing import sha256_bytes
from pipeline.io.atomic import atomic_path
from pipeline.io.checkpoint import checkpoint_bytes
from pipeline.io.windows import WindowFile

_PREPROCESS_KEY = b"szxai.preprocess"


def save_weights(model: nn.Module, path: Path) -> str:
    """Write the model's ``state_dict`` and return the file's SHA-256."""
    data = checkpoint_bytes({k: v.detach().cpu() for k, v in model.state_dict().items()})
    path.write_bytes(data)
    return sha256_bytes(data)


def windows_paths(params: Params) -> dict[str, Path]:
    """The window files the stage reads, by cohort."""
    return {cohort: params.preprocess.windows_path(cohort) for cohort in COHORTS}


def run(params: Params, name: str) -> dict:
    """Obtain the frozen detector ``name``, write its latents and its report.

    Parameters
    ----------
    name : str
        ``deepsoz`` or ``cnnblstm``.
    params : Params

    Returns
    -------
    dict
        The report (also written to ``<detector.reports_dir>/<name>.json``).
    """
    # section() refuses a name outside the registry (the architectures agree with it).
    det = params.detector.section(name)
    device = resolve_device(params.device)
    paths = windows_paths(params)
    pretrain = None if det.checkpoint is not None else WindowFile(paths["pretrain"])
    model, training = obtain_detector(name, pretrain, det, params.seed, device)
    out_dir = params.detector.out_dir / name
    with atomic_path(out_dir) as tmp:
        tmp.mkdir(parents=True)
        weights_sha256 = save_weights(model, tmp / params.detector.weights_path(name).name)
        (tmp / "history.json").write_text(json.dumps(training.history, indent=2) + "\n")
        provenance = {
            "detector": name,
            "source": training.source,
            "checkpoint": training.checkpoint,
            "checkpoint_sha256": training.checkpoint_sha256,
            "weights_sha256": weights_sha256,
        }
        control = random_detector(name, params.seed, device)
        extractions = {}
        for cohort in ("cv", "test"):
            metadata = {
                **provenance,
                "windows": str(paths[cohort]),
                "preprocess": _preprocess_metadata(paths[cohort]),
                # h_random: PyTorch's default initialisation from this seed (never trained).
                "random_seed": random_seed(params.seed, name),
            }
            extractions[cohort] = extract_latents(
                model, WindowFile(paths[cohort]),
                tmp / params.detector.latents_path(name, cohort).name, metadata,
                det.eval_batch_crops, device, f"{name} {cohort}", control=control,
            )  # fmt: skip
    report = build_report(name, model, training, extractions["cv"], extractions["test"])
    report_path = params.detector.report_path(name)
    with atomic_path(report_path) as tmp:
        tmp.write_text(json.dumps(report, indent=2) + "\n")
    return report


def build_report(name: str, model: nn.Module, training: TrainingSummary, extraction, test) -> dict:
    """Flat record of the run, for ``dvc metrics show`` (hashes live in the Parquet metadata).

    ``auroc`` and the counts are the cv cohort's; ``test_auroc`` and ``test_n_crops``
    the held-out test cohort's (None / 0 without one).
    """
    return {
        "detector": name,
        "auroc": extraction.auroc,
        "test_auroc": test.auroc,
        "test_n_crops": test.n_crops,
        "n_windows": extraction.n_windows - extraction.n_pad_windows,
        "n_seizure_windows": extraction.n_seizure_windows,
        "n_pad_windows": extraction.n_pad_windows,
        "n_crops": extraction.n_crops,
        "train_time_s": round(training.seconds, 2),
        "extract_time_s": round(extraction.seconds, 2),
        "epochs_run": training.epochs_run,
        "best_epoch": training.best_epoch,
        "best_val_loss": training.best_val_loss,
        "n_train_subjects": training.n_train_subjects,
        "n_val_subjects": training.n_val_subjects,
        "n_parameters": sum(p.numel() for p in model.parameters()),
        "latent_dim": model.latent_dim,
        "pre_dim": model.pre_dim,
        "device": training.device,
        "source": training.source,
        "checkpoint": training.checkpoint,
    }


def _preprocess_metadata(path: Path) -> dict | None:
    raw = (pq.read_schema(path).metadata or {}).get(_PREPROCESS_KEY)
    return None if raw is None else json.loads(raw)
