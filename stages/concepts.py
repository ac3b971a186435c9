"""DVC stage ``concepts``: seed bank + LLM proposals -> exactly N concepts (spec section 6).

Usage: ``python stages/concepts.py`` (reads params.yaml).
"""

from __future__ import annotations

import argparse
from collections import Counter

from pipeline.config import load_params
from pipeline.stages.concepts import run
from pipeline.text.concept_bank import name_warnings


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    params = load_params()
    cp = params.concepts
    made = run(params)
    fates = Counter(p.fate.split(":")[0] for p in made.proposals)
    n_llm = sum(c.origin == "llm" for c in made.bank)
    print(
        f"concepts: {len(made.bank)} concepts ({n_llm} from the LLM), "
        f"{len(made.proposals)} LLM proposals ({dict(fates)}); mean off-diagonal cosine "
        f"{made.mean_similarity:.2f} ({made.embedder}) -> {cp.bank_path}, {cp.log_path}, "
        f"{cp.figure_path}"
    )
    print(
        f"concepts: {made.seconds:.1f} s this run ({made.llm_stats['model_calls']} model calls, "
        f"{made.llm_stats['cache_hits']} cache hits); last cold run {made.cold['seconds']:.1f} s"
    )
    for warning in name_warnings(made.bank):
        print(f"concepts: WARNING {warning} (downstream stages use the bank's names)")


if __name__ == "__main__":
    main()
