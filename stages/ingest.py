"""DVC stage ``ingest``: validate the corpus; write manifest, notes and issues.

Usage: ``python stages/ingest.py`` (reads params.yaml).
"""

from __future__ import annotations

import argparse

from pipeline.config import load_params
from pipeline.stages.ingest import run


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    params = load_params()
    result = run(params)
    print(f"{result.summary()} -> {params.ingest.issues_path}")


if __name__ == "__main__":
    main()
