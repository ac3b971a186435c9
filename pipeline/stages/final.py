"""One ``final@<detector>`` run: the SzXAI head trained on every labelled cv patient.

As after any cross-validation, the model a user applies to a new recording is
trained on all the data the folds were cut from, with the same method and
hyper-parameters (the top-level ``lambda1`` / ``lambda2`` and the ``train``
section; a fold's inner-validation share is kept for early stopping). Table 1
is not computed from it: it has no held-out patient. Outputs in
``<train.out_dir>/<detector>/final``: ``head.pt`` (:mod:`pipeline.szxai.final`) and
``head.json`` (its training record).
"""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import torch

from pipeline.config import Params
from pipeline.datasets.folds import split_subjects
from pipeline.device import resolve_device
from pipeline.io.atomic import atomic_path
from pipeline.stages.train import fold_seed, hyper_from, new_stack, read_cv_data
from pipeline.szxai.final import HEAD_FILE, RECORD_FILE, final_dir, save_head
from pipeline.szxai.losses import concept_weights
from pipeline.szxai.methods import METHOD_SPECS, Slot, slot_seed
from pipeline.szxai.training import fit

#: The explained method (spec section 12): the paper's SzXAI.
FINAL_METHOD = "szxai"
#: Stands in for a fold number in the final head's seeds (no fold id reaches it).
FINAL_FOLD = 10_000


def run(params: Params, detector: str) -> dict:
    """Train and save the final SzXAI head of ``detector``; return its record."""
    if FINAL_METHOD not in params.train.methods:
        raise ValueError(f"train.methods must include {FINAL_METHOD!r} for the final head")
    device = resolve_device(params.device)
    concepts, _, _, crops = read_cv_data(params, detector)
    layer = params.detector.section(detector).latent_layer
    seed = params.train.seed
    train_ids, val_ids = split_subjects(
        sorted(set(crops.subjects)), params.train.val_fraction,
        np.random.default_rng([seed, FINAL_FOLD]),
    )  # fmt: skip
    train, val = crops.of_subjects(train_ids), crops.of_subjects(val_ids)
    weights = torch.from_numpy(concept_weights(np.concatenate([train.labels, val.labels])))
    hyper = hyper_from(params)
    slot = Slot(
        METHOD_SPECS[FINAL_METHOD], params.lambda1, params.lambda2,
        slot_seed(seed, FINAL_FOLD, FINAL_METHOD),
    )  # fmt: skip
    stack = new_stack(params, [slot], concepts, [train, val], device)
    fitted = fit(
        stack, train.to_tensors(device), val.to_tensors(device), weights.to(device), hyper,
        fold_seed(seed, FINAL_FOLD), desc=f"final {detector} head",
    )  # fmt: skip
    (result,) = fitted.results
    record = {
        "detector": detector, "method": FINAL_METHOD, "latent_layer": layer,
        "latent_dim": int(crops.h.shape[-1]), "device": str(device),
        "n_train_crops": len(train), "n_val_crops": len(val),
        "n_subjects": len(set(crops.subjects)), "hyper": asdict(hyper),
        "epochs_run": result.epochs_run, "best_epoch": result.best_epoch,
        "concepts": concepts.names, "bank": str(params.concepts.bank_path),
    }  # fmt: skip
    out_dir = final_dir(params.train, detector)
    with atomic_path(out_dir) as tmp:
        tmp.mkdir(parents=True)
        save_head(tmp / HEAD_FILE, fitted.stack, concepts, record)
        (tmp / RECORD_FILE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return record
