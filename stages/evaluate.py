"""DVC stage ``evaluate``: Table 1, figures and ``reports/index.md`` (spec section 9)."""

from __future__ import annotations

import time

from pipeline.config import load_params
from pipeline.evaluate.run import Outputs, run_evaluation
from pipeline.text.llm import LLM, record_run


def main() -> None:
    started = time.perf_counter()
    params = load_params()
    llm = LLM(params.llm)
    result = run_evaluation(params, llm)
    record_run(params.llm.cache_dir, "evaluate", time.perf_counter() - started, llm.stats())
    print(result.line(Outputs(params.evaluate.reports_dir).index))
    for note in result.notes:
        print(f"evaluate: NOTE {note}")


if __name__ == "__main__":
    main()
