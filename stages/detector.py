"""DVC stage ``detector@<name>``: frozen detector -> per-window p_sz and latents (spec 5).

Usage: ``python stages/detector.py {deepsoz,cnnblstm}``
"""

from __future__ import annotations

import argparse

from pipeline.config import load_params
from pipeline.registry import DETECTOR_NAMES
from pipeline.stages.detector import run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("name", choices=DETECTOR_NAMES)
    name = parser.parse_args().name
    params = load_params()
    report = run(params, name)
    auroc = "n/a" if report["auroc"] is None else f"{report['auroc']:.3f}"
    print(
        f"detector {name}: {report['source']} on {report['device']} "
        f"({report['epochs_run']} epochs, {report['train_time_s']:.0f} s), "
        f"cv window AUROC {auroc} over {report['n_windows']} windows "
        f"({report['n_seizure_windows']} seizure) -> {params.detector.out_dir / name}"
    )


if __name__ == "__main__":
    main()
