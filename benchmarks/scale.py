"""Benchmark: ingest + preprocess on corpora of growing size, with peak memory.

Generates one synthetic TUSZ-layout corpus of ``max(--sizes)`` recordings (one
recording per patient, the default 11-15 min each, ~12 MB of EDF: TUSZ v2
averages 11 MB per file), then for every size hard-links the first N patients
into a corpus of their own and runs ``ingest_corpus`` + ``preprocess_corpus``
on it in a fresh child process, which reports its own peak resident memory
(``ru_maxrss``: the preprocessing workers are threads of that process).

Prints per size: recordings/s, MB of EDF/s, hours of EEG/s, peak RSS, and the
RSS after the imports (the floor). Streaming means the peak does not grow with
the corpus; a throughput that falls with size would mean work that grows
faster than the corpus. The last line extrapolates to TUSZ v2 (7,361 files,
81 GB) at the largest size's MB/s, scaled linearly by cores (an assumption:
reading and filtering are per recording and share nothing). The files were
just written, so they are read from the page cache when the corpus fits in
memory: on a cold disk its read rate is the ceiling.

Usage: ``python benchmarks/scale.py [--sizes 80 320 740] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TUSZ_FILES, TUSZ_GB = 7361, 81.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def child(root: Path, out: Path) -> dict:
    """Ingest + preprocess ``root`` into ``out``; the figures of this process."""
    floor = _peak_mb()  # before the pipeline's imports are counted below
    from pipeline.config import load_params
    from pipeline.datasets.ingest import ingest_corpus
    from pipeline.datasets.sources import open_source
    from pipeline.preprocessing.preprocess import preprocess_corpus

    params = load_params()
    data = params.data.model_copy(update={"root": root, "source": "tusz", "notes_table": None})
    imported = _peak_mb()
    started = time.perf_counter()
    result = ingest_corpus(open_source(data), params.data.cohorts,
                           params.ingest.duration_tolerance_s, params.preprocess.channels,
                           params.preprocess.channel_aliases)  # fmt: skip
    ingested = time.perf_counter()
    preprocess_corpus(result.manifest, params.preprocess, params.seed, out)
    done = time.perf_counter()
    manifest = result.manifest
    return {
        "recordings": manifest.height,
        "edf_mb": sum(Path(p).stat().st_size for p in manifest["edf_path"]) / 1e6,
        "eeg_hours": float(manifest["duration_s"].sum()) / 3600,
        "ingest_s": ingested - started,
        "preprocess_s": done - ingested,
        "floor_mb": max(floor, imported),
        "peak_mb": _peak_mb(),
    }


def generate(root: Path, n: int) -> None:
    from pipeline.config import load_params
    from pipeline.synth import generate_corpus

    params = load_params()
    synth = params.synth.model_copy(update={
        "n_pretrain": n - 1, "n_cv": 1, "n_test": 0,
        "sessions_per_patient": (1, 1), "recordings_per_session": (1, 1)})  # fmt: skip
    generate_corpus(synth, root, params.seed)


def subset(corpus: Path, root: Path, n: int) -> None:
    """Hard-link the first ``n`` patients of ``corpus`` (split/patient/...) into ``root``."""
    patients = sorted(p for split in sorted(corpus.iterdir()) if split.is_dir()
                      for p in sorted(split.iterdir()) if p.is_dir())[:n]  # fmt: skip
    for patient in patients:
        for path in patient.rglob("*"):
            if path.is_file():
                target = root / path.relative_to(corpus)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.link(path, target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[80, 320, 740])
    parser.add_argument("--keep", type=Path, help="generate / reuse the largest corpus here")
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    with tempfile.TemporaryDirectory(dir=args.keep.parent if args.keep else None) as tmp:
        corpus = args.keep or Path(tmp) / "corpus"
        if not corpus.is_dir():
            started, n = time.perf_counter(), max(args.sizes)
            generate(corpus, n)
            print(f"generated {n} recordings in {time.perf_counter() - started:.0f} s")
        rows = []
        for n in sorted(args.sizes):
            root, out = Path(tmp) / f"corpus-{n}", Path(tmp) / f"out-{n}"
            subset(corpus, root, n)
            result = subprocess.run([sys.executable, __file__, "--child", str(root), str(out)],
                                    capture_output=True, text=True, check=True)  # fmt: skip
            rows.append(json.loads(result.stdout.strip().splitlines()[-1]))
            shutil.rmtree(root)
            shutil.rmtree(out, ignore_errors=True)
            print(json.dumps(rows[-1]), flush=True)
    report(rows)


def report(rows: list[dict]) -> None:
    """The table, the growth of memory and throughput, and the TUSZ extrapolation."""
    print(f"\n{'recordings':>10}{'rec/s':>8}{'MB/s':>8}{'EEG h/s':>9}{'ingest s':>10}"
          f"{'prep s':>8}{'peak RSS MB':>13}{'after imports':>15}")  # fmt: skip
    for r in rows:
        r["seconds"] = r["ingest_s"] + r["preprocess_s"]
        print(f"{r['recordings']:>10}{r['recordings'] / r['seconds']:>8.2f}"
              f"{r['edf_mb'] / r['seconds']:>8.1f}{r['eeg_hours'] / r['seconds']:>9.2f}"
              f"{r['ingest_s']:>10.1f}{r['preprocess_s']:>8.1f}{r['peak_mb']:>13.0f}"
              f"{r['floor_mb']:>15.0f}")  # fmt: skip
    first, last = rows[0], rows[-1]
    speed = (last["recordings"] / last["seconds"]) / (first["recordings"] / first["seconds"])
    print(
        f"\npeak RSS x{last['peak_mb'] / first['peak_mb']:.2f} and rec/s x{speed:.2f} for "
        f"x{last['recordings'] / first['recordings']:.1f} recordings"
    )
    rate, cores = last["edf_mb"] / last["seconds"], os.cpu_count() or 1
    minutes = TUSZ_GB * 1000 / (rate * 16 / cores) / 60
    print(
        f"TUSZ v2 ({TUSZ_FILES} files, {TUSZ_GB:.0f} GB) at {rate:.1f} MB/s on {cores} cores, "
        f"x 16/{cores} on 16 cores (linear scaling assumed): ~{minutes:.0f} min"
    )


if __name__ == "__main__":
    main()
