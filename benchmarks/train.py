"""Benchmark: every method of a fold trained at once against one method and one crop per step.

All runs train the methods of ``train.methods`` on the same fold of the
pipeline's real latents, from the same initial weights, for the same epochs,
without early stopping, in one process; the windows each crop shows in each
epoch are drawn before batching, so runs that share ``train_windows`` train on
exactly the same windows:

* ``loop``: the reference code's way, each method in turn, one recording
  (crop) per optimiser step.
* ``methods``: the methods stacked into one pass, still one crop per step.
* ``vectorised``: stacked methods and ``batch_crops`` crops per step (the
  pipeline's training).
* ``all windows``: as ``vectorised`` but every window of each crop instead of
  ``train.train_windows`` drawn ones: window sampling's own gain, which
  changes the estimator and is reported apart.

Prints seconds per run and the ratios ``loop / vectorised`` (the issue's
target: >= 10x from vectorisation alone) and ``all windows / vectorised``.

Usage: ``python benchmarks/train.py [--detector deepsoz] [--fold 0] [--epochs 3]``
(run after ``dvc repro`` has written the latents and labels).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
import polars as pl
import torch

from pipeline.config import load_params
from pipeline.device import resolve_device
from pipeline.registry import DETECTOR_NAMES
from pipeline.stages.train import fold_slots, hyper_from, split_fold
from pipeline.szxai.data import read_concepts, read_crops, read_labels
from pipeline.szxai.losses import concept_weights
from pipeline.szxai.methods import MethodStack
from pipeline.szxai.training import fit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--detector", default=DETECTOR_NAMES[0], choices=DETECTOR_NAMES)
    parser.add_argument("--fold", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    params = load_params()
    device = resolve_device(params.device)
    folds = pl.read_csv(params.folds.path, schema_overrides={"subject": pl.String})
    crops = read_crops(
        params.detector.latents_path(args.detector),
        read_labels(params.labels.table_path("labels")),
        set(folds["subject"]),
        params.detector.section(args.detector).latent_layer,
    )
    train, val, _ = split_fold(crops, folds, args.fold, params.train.val_fraction, params.seed)
    weights = torch.from_numpy(concept_weights(np.concatenate([train.labels, val.labels])))
    weights = weights.to(device)
    concepts = read_concepts(params.concepts.bank_path)
    tensors = train.to_tensors(device)
    # szxai-ft trains its own BiLSTM beside its head, outside the stack (not benchmarked here).
    slots = [slot for slot in fold_slots(params, args.fold) if not slot.method.finetune]
    base = replace(hyper_from(params), epochs=args.epochs, patience=None)
    one_crop = replace(base, batch_crops=1)
    runs = {
        "loop": ([[slot] for slot in slots], one_crop),
        "methods": ([slots], one_crop),
        "vectorised": ([slots], base),
        "all windows": ([slots], replace(base, train_windows=None)),
    }
    print(f"{args.detector} fold {args.fold}: {len(slots)} methods, {len(train)} training crops, "
          f"{args.epochs} epochs, train_windows={base.train_windows}, on {device}")  # fmt: skip
    seconds = {}
    for name, (stacks, hyper) in runs.items():
        _synchronise(device)
        start = time.perf_counter()
        for stack_slots in stacks:
            stack = MethodStack(stack_slots, crops.h.shape[-1], concepts, params.train).to(device)
            fit(stack, tensors, None, weights, hyper, seed=params.train.seed)
        _synchronise(device)
        seconds[name] = time.perf_counter() - start
        windows = hyper.train_windows or "all"
        print(f"  {name:12s} batch_crops={hyper.batch_crops:<3d} "
              f"windows/crop={windows!s:4s} {seconds[name]:8.1f} s")  # fmt: skip
    print(f"loop / methods     = {seconds['loop'] / seconds['methods']:.1f}x (stacking alone)")
    print(f"loop / vectorised  = {seconds['loop'] / seconds['vectorised']:.1f}x (target >= 10x)")
    print(f"all windows / vectorised = {seconds['all windows'] / seconds['vectorised']:.1f}x "
          "(window sampling, a different estimator)")  # fmt: skip


def _synchronise(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


if __name__ == "__main__":
    main()
