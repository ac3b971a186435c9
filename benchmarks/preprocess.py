"""Benchmark: ingest + preprocess against an MNE reference and the raw-read floor.

All three read the same freshly generated synthetic EDFs in one run:

* ``szxai``: this project's ``ingest_corpus`` + ``preprocess_corpus`` (header
  validation, own EDF reader, process pool over recordings, Parquet output).
* ``mne``: a straightforward MNE pipeline, one recording after the other:
  ``read_raw_edf(preload=True)``, pick the 19 channels, resample to 200 Hz,
  zero-phase 4th-order Butterworth 1.6-30 Hz, crop the same crops, ``get_data``.
  No clipping, z-scoring or writing: it does less work than ours.
* ``pyedflib``: reading every signal of every file with pyedflib, nothing else
  (the I/O floor).

Each contender runs ``--repeat`` times, interleaved, and its median time is
reported (single runs on a 2-core machine vary by +-20 %). Prints recordings/s
for each and the two ratios the foundation issue targets: ``szxai`` >= 3x
faster than ``mne``, and ``szxai`` time <= 3x the floor.

Usage: ``python benchmarks/preprocess.py [--patients N] [--repeat R] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import mne
import pyedflib

from pipeline.config import Params
from pipeline.datasets.ingest import ingest_corpus
from pipeline.datasets.sources import open_source
from pipeline.io.edf import normalize_label
from pipeline.preprocessing.preprocess import Recording, plan_crops, preprocess_corpus
from pipeline.synth import generate_corpus


def time_szxai(root: Path, out_dir: Path, params: Params) -> tuple[float, object]:
    # A previous run's output would be deleted inside the timing: remove it first.
    shutil.rmtree(out_dir, ignore_errors=True)
    start = time.perf_counter()
    data = params.data.model_copy(update={"root": root, "source": "tusz", "notes_table": None})
    result = ingest_corpus(
        open_source(data),
        params.data.cohorts,
        params.ingest.duration_tolerance_s,
        params.preprocess.channels,
    )
    preprocess_corpus(result.manifest, params.preprocess, params.seed, out_dir)
    return time.perf_counter() - start, result.manifest


def time_mne(manifest, params: Params) -> float:
    pre = params.preprocess
    start = time.perf_counter()
    for row in manifest.iter_rows(named=True):
        raw = mne.io.read_raw_edf(row["edf_path"], preload=True, verbose="error")
        wanted = {normalize_label(name): name for name in raw.ch_names}
        picks = [wanted[ch] for ch in pre.channels]
        raw.pick(picks)
        raw.resample(pre.sfreq, verbose="error")
        raw.filter(
            pre.l_freq,
            pre.h_freq,
            method="iir",
            iir_params={"order": pre.filter_order, "ftype": "butter"},
            verbose="error",
        )
        for _, crop_start in plan_crops(Recording.from_manifest_row(row), pre, params.seed):
            stop = min(crop_start + pre.crop_s, raw.times[-1])
            raw.copy().crop(max(crop_start, 0), stop).get_data()
    return time.perf_counter() - start


def time_pyedflib(paths) -> float:
    start = time.perf_counter()
    for path in paths:
        with pyedflib.EdfReader(str(path)) as reader:
            for i in range(reader.signals_in_file):
                reader.readSignal(i)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=12, help="synthetic patients (half cv)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender (median)")
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    args = parser.parse_args()

    base = Params()
    synth = base.synth.model_copy(
        update={"n_pretrain": args.patients // 2, "n_cv": args.patients - args.patients // 2}
    )
    params = base.model_copy(update={"synth": synth})
    with tempfile.TemporaryDirectory() as scratch:
        work = args.keep or Path(scratch)
        root = work / "corpus"
        if not root.exists():
            generate_corpus(params.synth, root, params.seed)
        out_dir = work / "processed"
        # A first raw read warms the page cache, so that no contender pays for the disk.
        time_pyedflib(sorted(root.rglob("*.edf")))
        times: dict[str, list[float]] = {"szxai": [], "mne": [], "pyedflib": []}
        for _ in range(args.repeat):
            t_ours, manifest = time_szxai(root, out_dir, params)
            times["szxai"].append(t_ours)
            times["pyedflib"].append(time_pyedflib(manifest["edf_path"]))
            times["mne"].append(time_mne(manifest, params))
        size_mb = sum(os.path.getsize(p) for p in manifest["edf_path"]) / 1e6

    n = manifest.height
    median = {name: statistics.median(runs) for name, runs in times.items()}
    print(f"{n} recordings, {size_mb:.0f} MB of EDF, {os.cpu_count()} cores, "
          f"median of {args.repeat} runs")  # fmt: skip
    for name, seconds in median.items():
        runs = ", ".join(f"{t:.2f}" for t in times[name])
        print(f"  {name:9s} {seconds:7.2f} s  {n / seconds:6.2f} recordings/s  (runs: {runs})")
    t_ours, t_mne, t_floor = median["szxai"], median["mne"], median["pyedflib"]
    print(f"speed-up over the MNE reference: {t_mne / t_ours:.1f}x (target >= 3x)")
    print(f"time relative to the raw-read floor: {t_ours / t_floor:.2f}x (target <= 3x)")


if __name__ == "__main__":
    main()
