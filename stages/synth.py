"""DVC stage ``synth``: write the synthetic TUSZ-layout corpus and its hidden truth.

Usage: ``python stages/synth.py`` (reads params.yaml).
"""

from __future__ import annotations

import argparse

from pipeline.config import load_params
from pipeline.stages.synth import run


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    params = load_params()
    summary = run(params)
    if summary is None:
        print(f"synth: skipped (data.source = {params.data.source}) -> {params.synth.out_dir}")
        return
    print(
        f"synth: {summary['patients']} patients, {summary['recordings']} recordings, "
        f"{summary['seizures']} seizures, {summary['seconds']:.0f} s -> {params.data.root}, "
        f"truth {params.synth.truth_path}"
    )


if __name__ == "__main__":
    main()
