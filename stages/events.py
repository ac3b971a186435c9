"""DVC stage ``events@<detector>``: the frozen detector's SzCORE event scores on cv recordings.

Usage: ``python stages/events.py {deepsoz,cnnblstm}``
"""

from __future__ import annotations

import argparse
import time

from pipeline.config import load_params
from pipeline.evaluate.events import events_dir
from pipeline.registry import DETECTOR_NAMES
from pipeline.stages.events import run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("detector", choices=DETECTOR_NAMES)
    args = parser.parse_args()
    params = load_params()
    started = time.perf_counter()
    record = run(params, args.detector)
    s = record["scores"]

    def show(value) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    print(
        f"events {args.detector}: {record['n_recordings']} cv recordings ({s['hours']:.1f} h), "
        f"{s['n_reference']} seizures, sensitivity {show(s['sensitivity'])}, precision "
        f"{show(s['precision'])}, {s['fp_per_24h']:.1f} false alarms / 24 h at p_sz >= "
        f"{record['params']['threshold']:g}; {time.perf_counter() - started:.0f} s "
        f"-> {events_dir(params.evaluate.reports_dir) / args.detector}"
    )


if __name__ == "__main__":
    main()
