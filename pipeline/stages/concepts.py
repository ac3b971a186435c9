"""Stage ``concepts``: seed bank + LLM proposals -> exactly N concepts (spec section 6)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from pipeline.config import Params
from pipeline.io.atomic import atomic_path
from pipeline.text.concept_bank import (
    Concept,
    Proposal,
    bank_table,
    build_bank,
    plot_similarity,
    proposal_log,
)
from pipeline.text.embed import make_embedder
from pipeline.text.llm import LLM, record_run


@dataclass(frozen=True)
class ConceptsRun:
    """What the stage made, for its summary line."""

    bank: list[Concept]
    proposals: list[Proposal]
    mean_similarity: float
    embedder: str
    seconds: float
    llm_stats: dict
    #: The last run that called the model (this one when the cache was cold).
    cold: dict


def run(params: Params) -> ConceptsRun:
    """Write ``concepts.bank_path``, ``concepts.log_path`` and ``concepts.figure_path``."""
    started = time.perf_counter()
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
    return ConceptsRun(bank, proposals, mean_sim, embedder.name, seconds, llm.stats(), cold)
