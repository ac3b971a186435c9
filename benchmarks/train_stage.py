"""Benchmark: one whole ``train@<detector>-<fold>`` run, its fits side by side or one after another.

A fold trains two independent fits: the stacked heads of every method and
``szxai-ft`` (:func:`pipeline.stages.train.side_by_side`). Runs the stage's
``run`` twice on the pipeline's real latents, into a temporary folder (the
pipeline's outputs are not touched), in one process:

* ``one after another``: the fits in turn, torch's default intra-op threads;
* ``side by side``: the fits in threads at once, the cores shared between them.

Prints the seconds of each, their ratio, and whether the held-out predictions
and SzXAI's window outputs are the same bytes. Alternates the order over
``--repeats`` rounds so that neither run always goes first.

Usage: ``python benchmarks/train_stage.py [--detector deepsoz] [--fold 0] [--repeats 1]``
(run after ``dvc repro`` has written the latents, labels and features).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from pipeline.config import load_params
from pipeline.registry import DETECTOR_NAMES
from pipeline.stages import train as train_stage

OUTPUTS = ("predictions.parquet", "latents_aligned.parquet")


def one_after_another(fits, device):
    return [f() for f in fits]


def timed_run(params, detector: str, fold: int, together: bool) -> tuple[float, dict[str, bytes]]:
    """Seconds of one stage run and the bytes of its outputs."""
    original = train_stage.side_by_side
    if not together:
        train_stage.side_by_side = one_after_another
    try:
        started = time.perf_counter()
        train_stage.run(params, detector, fold)
        seconds = time.perf_counter() - started
    finally:
        train_stage.side_by_side = original
    folder = params.train.fold_dir(detector, fold)
    return seconds, {name: (folder / name).read_bytes() for name in OUTPUTS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--detector", default=DETECTOR_NAMES[0], choices=DETECTOR_NAMES)
    parser.add_argument("--fold", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    params = load_params()
    seconds: dict[bool, list[float]] = {True: [], False: []}
    outputs: dict[bool, dict[str, bytes]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        params = params.model_copy(
            update={"train": params.train.model_copy(update={"out_dir": Path(tmp)})}
        )
        for round_ in range(args.repeats):
            for together in (round_ % 2 == 0, round_ % 2 == 1):
                took, outputs[together] = timed_run(params, args.detector, args.fold, together)
                seconds[together].append(took)
    after, side = min(seconds[False]), min(seconds[True])
    print(f"{args.detector} fold {args.fold}, {torch.get_num_threads()} intra-op threads: "
          f"one after another {after:.1f} s, side by side {side:.1f} s "
          f"(best of {args.repeats}): {after / side:.2f}x; "
          f"same output bytes: {outputs[True] == outputs[False]}")  # fmt: skip


if __name__ == "__main__":
    main()
