"""The ``szxai`` command: ``szxai explain RECORDING.edf [--note NOTE.txt] ...``.

Run from a checkout where ``dvc repro`` has trained the detectors and the final
heads; ``params.yaml`` of the working directory (or ``--params``) gives the
preprocessing, the detector and the models, as for the pipeline itself.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.config import load_params
from pipeline.io.problems import FileError
from pipeline.registry import DETECTOR_NAMES


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="szxai", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    explain = commands.add_parser(
        "explain", help="explain one EDF recording: a case page (HTML + JSON) and its events",
        description="Run the frozen seizure detector and the final SzXAI head over a whole "
        "recording; write case.html, case.json and <recording>_events.tsv.",
    )  # fmt: skip
    explain.add_argument("recording", type=Path, help="an EDF/EDF+ file (19 channels, 10-20)")
    explain.add_argument("--note", type=Path, help="the clinician's note of the recording")
    explain.add_argument("--detector", choices=DETECTOR_NAMES, default=DETECTOR_NAMES[0])
    explain.add_argument("--out", type=Path, help="output folder (default: explain/<recording>)")
    explain.add_argument("--params", type=Path, default=Path("params.yaml"))
    explain.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``szxai`` console script; returns the exit status."""
    args = _parser().parse_args(argv)
    # Imported here: torch and the models load only when a command runs, not for --help.
    from pipeline.explain.case import explain

    out = args.out or Path("explain") / args.recording.stem
    try:
        params = load_params(args.params)
        done = explain(args.recording, params, args.detector, out, args.note,
                       progress=not args.no_progress)  # fmt: skip
    except (FileError, FileNotFoundError, ValueError) as error:
        print(f"szxai explain: {error}", file=sys.stderr)
        return 1
    shown = ", ".join(done.predicted[:4]) or "none"
    print(f"explain {args.recording.name} ({args.detector}): {done.n_events} event(s), "
          f"predicted concepts: {shown}; {done.seconds:.1f} s -> {done.html}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
