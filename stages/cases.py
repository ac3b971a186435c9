"""DVC stage ``cases``: a case page (HTML + JSON) for every held-out cv crop.

Usage: ``python stages/cases.py``
"""

from __future__ import annotations

import argparse
import time

from pipeline.config import load_params
from pipeline.explain.layout import CASE_DETECTOR, cases_dir
from pipeline.stages.cases import run


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    params = load_params()
    started = time.perf_counter()
    table = run(params)
    by_llm = int((table["summary"] == "llm").sum())
    out = cases_dir(params.evaluate.reports_dir)
    print(
        f"cases: {table.height} held-out crop pages ({CASE_DETECTOR}, {by_llm} summaries by "
        f"the LLM) in {time.perf_counter() - started:.0f} s -> {out}"
    )


if __name__ == "__main__":
    main()
