"""The ``szxai`` command: ``szxai explain RECORDING.edf [--note NOTE.txt] ...``.

``szxai export {bids,edf} TUSZ_ROOT OUT`` writes a TUSZ-layout corpus (such as
the embedded synthetic one) as a BIDS-EEG dataset or a folder of EDF+ files.

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
    export = commands.add_parser(
        "export", help="write a TUSZ-layout corpus as BIDS-EEG or as EDF+ with annotations",
        description="Copy every recording, seizure and note of a TUSZ-layout corpus into "
        "another layout the pipeline reads (data.source: bids or edf).",
    )  # fmt: skip
    export.add_argument("layout", choices=("bids", "edf"), help="the layout to write")
    export.add_argument("tusz_root", type=Path, help="a TUSZ-layout corpus (.edf + .csv_bi)")
    export.add_argument("out", type=Path, help="output folder (replaced)")
    return parser


def _export(args: argparse.Namespace) -> int:
    from pipeline.datasets.export import EDF_EXPORT_LAYOUT, export_bids, export_edfplus

    try:
        write = export_bids if args.layout == "bids" else export_edfplus
        n = write(args.tusz_root, args.out)
    except (FileError, FileNotFoundError, ValueError) as error:
        print(f"szxai export: {error}", file=sys.stderr)
        return 1
    how = f"data.source: {args.layout}, data.root: {args.out}"
    if args.layout == "edf":
        how += f", data.notes_table: {args.out / 'notes.csv'}, data.edf_layout: {EDF_EXPORT_LAYOUT}"
    print(f"export: {n} recordings -> {args.out} (read with {how})")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``szxai`` console script; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "export":
        return _export(args)
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
