"""DVC stage ``evaluate``: Table 1, figures and ``reports/index.md`` (spec section 9).

Usage: ``python stages/evaluate.py`` (reads params.yaml).
"""

from __future__ import annotations

import argparse

from pipeline.config import load_params
from pipeline.stages.evaluate import Outputs, run


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    params = load_params()
    result = run(params)
    print(result.line(Outputs(params.evaluate.reports_dir).index))
    for note in result.notes:
        print(f"evaluate: NOTE {note}")


if __name__ == "__main__":
    main()
