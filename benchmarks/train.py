"""Benchmark: vectorised SzXAI training against a one-recording-per-step loop.

Both train the same SzXAI model (same initial weights) on the same fold of the
pipeline's real latents, for the same number of epochs, without early stopping,
in one run:

* ``loop``: the reference code's way, one recording (crop) per optimiser step,
  every window of it.
* ``batched``: ``batch_crops`` crops padded and masked into one tensor per step,
  every window (the effect of vectorisation alone).
* ``default``: the pipeline's configuration, ``batch_crops`` crops per step and
  ``train.train_windows`` windows drawn per crop.

Prints seconds and windows/s of each and the ratios ``loop / batched`` and
``loop / default`` (the issue's target: >= 10x).

Usage: ``python benchmarks/train.py [--detector deepsoz] [--fold 0] [--epochs 200]``
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
from pipeline.szxai.data import read_concepts, read_crops, read_labels
from pipeline.szxai.losses import concept_weights
from pipeline.szxai.methods import METHOD_SPECS, build_model
from pipeline.szxai.run import hyper_from, split_fold
from pipeline.szxai.training import fit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--detector", default="deepsoz")
    parser.add_argument("--fold", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=200)
    args = parser.parse_args()
    params = load_params()
    device = resolve_device(params.device)
    folds = pl.read_csv(params.folds.path, schema_overrides={"subject": pl.String})
    crops = read_crops(
        params.detector.out_dir / args.detector / "latents.parquet",
        read_labels(params.labels.out_dir / "labels.parquet"),
        set(folds["subject"]),
    )
    train, val, _ = split_fold(crops, folds, args.fold, params.train.val_fraction, params.seed)
    weights = torch.from_numpy(concept_weights(np.concatenate([train.labels, val.labels])))
    concepts = read_concepts(params.concepts.bank_path)
    tensors = train.to_tensors(device)
    base = hyper_from(params)
    settings = {
        "loop": replace(base, batch_crops=1, train_windows=None),
        "batched": replace(base, train_windows=None),
        "default": base,
    }
    n_windows = int(train.mask.sum())
    print(f"{args.detector} fold {args.fold}: {len(train)} training crops, {n_windows} windows, "
          f"{args.epochs} epochs on {device}")  # fmt: skip
    seconds = {}
    for name, hyper in settings.items():
        hyper = replace(hyper, epochs=args.epochs)
        torch.manual_seed(params.seed)
        model = build_model(METHOD_SPECS["szxai"], crops.h.shape[-1], concepts, params.train)
        model = model.to(device)
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fit(METHOD_SPECS["szxai"], model, tensors, None, weights.to(device), hyper, params.seed)
        if device.type == "cuda":
            torch.cuda.synchronize()
        seconds[name] = time.perf_counter() - start
        per_step = hyper.train_windows or "all"
        print(f"  {name:8s} batch_crops={hyper.batch_crops:<3d} windows/crop={per_step!s:4s} "
              f"{seconds[name]:7.1f} s  {n_windows * args.epochs / seconds[name]:10.0f} "
              f"crop-windows/s")  # fmt: skip
    print(f"loop / batched = {seconds['loop'] / seconds['batched']:.1f}x (vectorisation alone)")
    print(f"loop / default = {seconds['loop'] / seconds['default']:.1f}x (target >= 10x)")


if __name__ == "__main__":
    main()
