"""DVC stage ``concepts``: seed bank + LLM proposals -> exactly N concepts (spec section 6)."""

from __future__ import annotations

import time
from collections import Counter

from pipeline.config import load_params
from pipeline.io.atomic import atomic_path
from pipeline.text.concept_bank import (
    bank_table,
    build_bank,
    name_warnings,
    plot_similarity,
    proposal_log,
)
from pipeline.text.embed import make_embedder
from pipeline.text.llm import LLM, record_run


def main() -> None:
    started = time.perf_counter()
    params = load_params()
    cp = params.concepts
    llm = LLM(params.llm)
    embedder = make_embedder(params.embeddings)
    bank, seeds, proposals = build_bank(llm, embedder, cp)
    table = bank_table(bank, embedder)
    with atomic_path(cp.bank_path) as tmp:
        table.write_parquet(tmp)
    with atomic_path(cp.log_path) as tmp:
        proposal_log(seeds, proposals).write_csv(tmp)
    with atomic_path(cp.figure_path) as tmp:
        mean_sim = plot_similarity(table, "cosine", embedder.name, tmp)
    seconds = time.perf_counter() - started
    cold = record_run(params.llm.cache_dir, "concepts", seconds, llm.stats())
    fates = Counter(p.fate.split(":")[0] for p in proposals)
    print(
        f"concepts: {len(bank)} concepts ({sum(c.origin == 'llm' for c in bank)} from the LLM), "
        f"{len(proposals)} LLM proposals ({dict(fates)}); mean off-diagonal cosine "
        f"{mean_sim:.2f} ({embedder.name}) -> {cp.bank_path}, {cp.log_path}, {cp.figure_path}"
    )
    print(
        f"concepts: {seconds:.1f} s this run ({llm.model_calls} model calls, "
        f"{llm.cache_hits} cache hits); last cold run {cold['seconds']:.1f} s"
    )
    for warning in name_warnings(bank):
        print(f"concepts: WARNING {warning} (downstream stages use the bank's names)")


if __name__ == "__main__":
    main()
