"""The ``concepts`` stage: a clinician-seeded, LLM-extended bank of exactly N concepts.

Paper 2.1 asks the LLM for EEG patterns and keeps 20 mutually dissimilar ones.
A 270M model proposes weak and repeated phrases, so (spec section 6) the seeds
of ``data/concepts/seed_bank.yaml`` always win their slot and LLM proposals are
candidates: each is cleaned, embedded and given a fate (alias of a seed,
duplicate, not an EEG pattern, candidate not selected, selected). Candidates
only fill slots the seed file leaves empty, by farthest-point selection.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import polars as pl
import yaml

from pipeline.config import ConceptParams
from pipeline.registry import CONCEPT_GROUPS, CONCEPT_SIDES, REFERENCE_CONCEPTS

from .embed import Embedder, similarity
from .llm import LLM, Request
from .prompts import (
    EXAMPLE_TERMS,
    LIST_STOP,
    PROPOSAL_DOMAINS,
    n_proposal_templates,
    proposal_prompt,
)
from .terms import (
    canonical,
    clean_term,
    expand_abbreviations,
    parse_list_output,
    starts_negated,
)

SIDES = CONCEPT_SIDES
GROUPS = CONCEPT_GROUPS


@dataclass(frozen=True)
class Concept:
    """One bank entry (before it gets its index)."""

    name: str
    side: str
    group: str
    aliases: tuple[str, ...] = ()
    origin: str = "seed"  # seed | llm


def concept_phrases(concept: Concept) -> list[str]:
    """The phrases a concept is recognised by: its name and aliases, canonical and unique.

    Abbreviations are expanded first ("PLED" -> "periodic lateralized epileptiform
    discharge"): an embedding model knows the words, not the acronym.
    """
    phrases: list[str] = []
    for text in (concept.name, *concept.aliases):
        phrase = canonical(expand_abbreviations(text))
        if phrase and phrase not in phrases:
            phrases.append(phrase)
    return phrases


def concept_phrase(name: str) -> str:
    """The phrase a concept's name is embedded as (its first :func:`concept_phrases`)."""
    return canonical(expand_abbreviations(name))


# --------------------------------------------------------------------------- seed bank


def load_seed_bank(path: str | Path, n_concepts: int = 20) -> list[Concept]:
    """Read and validate the clinician-editable seed file.

    Raises
    ------
    ValueError
        On an unknown side or group, a repeated name, or more seeds on one side
        than the bank has slots for.
    """
    path = Path(path)
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    seeds = []
    for i, entry in enumerate(raw.get("concepts") or []):
        where = f"{path}: concepts[{i}]"
        name = str(entry.get("name", "")).strip()
        if not name:
            raise ValueError(f"{where}: missing name")
        if entry.get("side") not in SIDES:
            raise ValueError(f"{where} ({name}): side must be one of {SIDES}")
        if entry.get("group") not in GROUPS:
            raise ValueError(f"{where} ({name}): group must be one of {GROUPS}")
        aliases = tuple(str(a).strip() for a in entry.get("aliases") or [] if str(a).strip())
        seeds.append(Concept(name, entry["side"], entry["group"], aliases))
    names = [s.name.lower() for s in seeds]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: concept names must be unique")
    for side in SIDES:
        count = sum(s.side == side for s in seeds)
        if count > n_concepts // 2:
            raise ValueError(
                f"{path}: {count} {side} concepts, but the bank has {n_concepts // 2} per side"
            )
    return seeds


# --------------------------------------------------------------------------- LLM proposals


@dataclass
class Proposal:
    """One phrase proposed by the LLM, and what became of it."""

    domain: int
    side: str
    variation: int
    seed: int
    raw: str
    term: str | None
    fate: str = ""
    related: str = ""
    similarity: float = float("nan")
    vector: np.ndarray | None = field(default=None, repr=False)


def propose(llm: LLM, n_variations: int, n_samples: int) -> list[Proposal]:
    """Ask the LLM for EEG patterns of every domain, with prompt and seed variations
    (one batch: a server backend has them all in flight)."""
    n_variations = min(n_variations, n_proposal_templates())
    asked = [
        (d, domain, v, llm.params.seed + 1000 * (d + 1) + 10 * v + k)
        for d, domain in enumerate(PROPOSAL_DOMAINS)
        for v in range(n_variations)
        for k in range(n_samples)
    ]
    texts = llm.complete_many(
        [Request(proposal_prompt(domain, v), LIST_STOP, 96, seed) for _, domain, v, seed in asked],
        context="concept proposals",
    )
    proposals = []
    for (d, domain, v, seed), text in zip(asked, texts, strict=True):
        for raw in parse_list_output(text):
            proposals.append(Proposal(d, domain.side, v, seed, raw, clean_term(raw)))
    return proposals


def phrase_table(concepts: list[Concept]) -> tuple[list[str], np.ndarray]:
    """All phrases of all concepts, and the concept index of each phrase."""
    phrases, owner = [], []
    for i, concept in enumerate(concepts):
        for phrase in concept_phrases(concept):
            phrases.append(phrase)
            owner.append(i)
    return phrases, np.asarray(owner)


def per_concept_max(sims: np.ndarray, owner: np.ndarray, n_concepts: int) -> np.ndarray:
    """Max similarity per concept from a (terms x phrases) matrix."""
    out = np.full((sims.shape[0], n_concepts), -np.inf, dtype=np.float32)
    for c in range(n_concepts):
        out[:, c] = sims[:, owner == c].max(axis=1)
    return out


def triage(
    proposals: list[Proposal],
    seeds: list[Concept],
    embedder: Embedder,
    params: ConceptParams,
) -> list[Concept]:
    """Give every proposal a fate; return the seeds with any accepted LLM aliases.

    A proposal is, in this order: malformed (empty or sentence-long), an echo of
    the prompt's own examples, out of vocabulary, an exact duplicate of a seed
    phrase, an alias of exactly one seed (similarity >= ``duplicate_threshold``
    to it and to no other), a duplicate of several seeds, not an EEG pattern
    (below ``min_eeg_similarity`` to every seed phrase), a duplicate of an earlier
    candidate, or a candidate.
    """
    phrases, owner = phrase_table(seeds)
    seed_vectors = embedder.embed(phrases)
    aliases: dict[int, list[str]] = {i: list(s.aliases) for i, s in enumerate(seeds)}
    candidates: list[Proposal] = []
    for p in proposals:
        if p.term is None:
            p.fate = "dropped: malformed"
        elif p.term in _prompt_examples():
            p.fate = "dropped: prompt example"
        elif starts_negated(p.raw):
            p.fate = "dropped: negated"
        elif not embedder.can_embed(p.term):
            p.fate = "dropped: out of vocabulary"
        else:
            p.vector = embedder.embed([p.term])[0]
            _triage_one(p, seeds, phrases, owner, seed_vectors, candidates, aliases, params)
        if p.fate == "candidate":
            candidates.append(p)
    return [replace(s, aliases=tuple(aliases[i])) for i, s in enumerate(seeds)]


def _prompt_examples() -> set[str]:
    """Cleaned example phrases of all prompts: the model repeats them verbatim."""
    examples = {e for d in PROPOSAL_DOMAINS for e in d.examples} | set(EXAMPLE_TERMS)
    return {clean_term(e) for e in examples}


def _triage_one(p, seeds, phrases, owner, seed_vectors, candidates, aliases, params) -> None:
    sims = similarity(p.vector[None], seed_vectors)[0]
    per_concept = per_concept_max(sims[None], owner, len(seeds))[0]
    best = int(per_concept.argmax())
    p.related, p.similarity = seeds[best].name, float(per_concept[best])
    threshold = params.duplicate_threshold
    n_close = int((per_concept >= threshold).sum())
    if p.term in phrases:
        p.fate = "dropped: duplicate of seed"
    elif n_close == 1 and params.add_llm_aliases:
        p.fate = "kept: alias of seed"
        if p.term not in aliases[best]:
            aliases[best].append(p.term)
    elif n_close == 1:
        p.fate = "dropped: alias of seed (concepts.add_llm_aliases is off)"
    elif n_close > 1:
        p.fate = "dropped: duplicate of several seeds"
    elif p.similarity < params.min_eeg_similarity:
        p.fate = "dropped: not an EEG pattern"
    else:
        for other in candidates:
            s = float(other.vector @ p.vector)
            if s >= threshold:
                p.fate, p.related, p.similarity = "dropped: duplicate of candidate", other.term, s
                return
        if p.term in {c.term for c in candidates}:
            p.fate = "dropped: duplicate of candidate"
            return
        p.fate = "candidate"


def select(
    seeds: list[Concept],
    candidates: list[Proposal],
    embedder: Embedder,
    n_concepts: int,
) -> list[Concept]:
    """Exactly ``n_concepts``: the seeds, then farthest-point candidates for empty slots.

    The order is all seizure concepts, then all non-seizure concepts (indices
    0 .. n/2-1 and n/2 .. n-1), seeds in file order, then selected candidates.
    """
    bank: list[Concept] = []
    for side in SIDES:
        chosen = [s for s in seeds if s.side == side]
        pool = [c for c in candidates if c.side == side]
        missing = n_concepts // 2 - len(chosen)
        if missing > len(pool):
            raise ValueError(
                f"concept bank: {missing} {side} slot(s) empty in the seed file and only "
                f"{len(pool)} usable LLM candidate(s); add {side} seeds to the seed file"
            )
        picked = _farthest_points(chosen, pool, embedder, missing)
        for p in picked:
            p.fate = "selected: new concept"
            group = next(s.group for s in seeds if s.name == p.related)
            chosen.append(Concept(p.term, side, group, (), origin="llm"))
        for p in pool:
            if p.fate == "candidate":
                p.fate = (
                    "candidate not selected: seeds fill the bank"
                    if missing <= 0
                    else ("candidate not selected: less distinct than the selected ones")
                )
        bank.extend(chosen)
    return bank


def _farthest_points(chosen, pool, embedder, k) -> list[Proposal]:
    if k <= 0:
        return []
    bank_vectors = [v for v in embedder.embed([concept_phrase(c.name) for c in chosen])]
    picked: list[Proposal] = []
    remaining = list(pool)
    for _ in range(k):
        scores = [max((float(p.vector @ b) for b in bank_vectors), default=-1.0) for p in remaining]
        best = int(np.argmin(scores))
        picked.append(remaining.pop(best))
        bank_vectors.append(picked[-1].vector)
    return picked


# --------------------------------------------------------------------------- outputs


def bank_table(bank: list[Concept], embedder: Embedder) -> pl.DataFrame:
    """The bank as other stages read it: index, name, side, group, aliases, embedding."""
    vectors = embedder.embed([concept_phrase(c.name) for c in bank])
    return pl.DataFrame(
        {
            "index": pl.Series(range(len(bank)), dtype=pl.Int64),
            "name": [c.name for c in bank],
            "side": [c.side for c in bank],
            "group": [c.group for c in bank],
            "aliases": pl.Series([list(c.aliases) for c in bank], dtype=pl.List(pl.String)),
            "origin": [c.origin for c in bank],
            "embedding": pl.Series(
                vectors.astype(np.float32), dtype=pl.Array(pl.Float32, vectors.shape[1])
            ),
        }
    )


def read_bank(path: str | Path) -> list[Concept]:
    """Concepts of a written ``bank.parquet``, in index order."""
    table = pl.read_parquet(path).sort("index")
    return [
        Concept(r["name"], r["side"], r["group"], tuple(r["aliases"]), r.get("origin", "seed"))
        for r in table.iter_rows(named=True)
    ]


def proposal_log(seeds: list[Concept], proposals: list[Proposal]) -> pl.DataFrame:
    """One row per seed and per LLM proposal, with its fate."""
    rows = [
        {"source": "seed", "domain": "", "side": s.side, "variation": None, "seed": None,
         "raw": s.name, "term": concept_phrase(s.name), "fate": "seed", "related": s.name,
         "similarity": 1.0}
        for s in seeds
    ]  # fmt: skip
    rows += [
        {"source": "llm", "domain": PROPOSAL_DOMAINS[p.domain].topic, "side": p.side,
         "variation": p.variation, "seed": p.seed, "raw": p.raw, "term": p.term or "",
         "fate": p.fate, "related": p.related,
         "similarity": None if np.isnan(p.similarity) else round(p.similarity, 4)}
        for p in proposals
    ]  # fmt: skip
    return pl.DataFrame(
        rows,
        schema={"source": pl.String, "domain": pl.String, "side": pl.String,
                "variation": pl.Int64, "seed": pl.Int64, "raw": pl.String, "term": pl.String,
                "fate": pl.String, "related": pl.String, "similarity": pl.Float64},
    )  # fmt: skip


def name_warnings(bank: list[Concept]) -> list[str]:
    """Differences from the reference bank that downstream stages should know about."""
    names = [c.name for c in bank]
    if names == list(REFERENCE_CONCEPTS):
        return []
    return [
        f"index {i}: {got!r} instead of the reference {want!r}"
        for i, (got, want) in enumerate(zip(names, REFERENCE_CONCEPTS, strict=False))
        if got != want
    ]


def plot_similarity(table: pl.DataFrame, kind: str, backend: str, path: str | Path) -> float:
    """Paper Fig 2a: self-similarity heatmap of the bank; returns the mean off-diagonal."""
    import matplotlib.pyplot as plt

    from pipeline.plotting import save_figure

    vectors = np.asarray(table["embedding"].to_list(), dtype=np.float32)
    sims = similarity(vectors, vectors, kind)
    n = len(vectors)
    off = sims[~np.eye(n, dtype=bool)]
    names = [f"{i} {name}" for i, name in zip(table["index"], table["name"], strict=True)]
    fig, ax = plt.subplots(figsize=(9.5, 8.5))
    image = ax.imshow(sims, vmin=-1 if kind == "pearson" else min(0.0, float(off.min())),
                      vmax=1, cmap="viridis")  # fmt: skip
    ax.set_xticks(range(n), names, rotation=90, fontsize=8)
    ax.set_yticks(range(n), names, fontsize=8)
    half = n // 2 - 0.5
    ax.axhline(half, color="white", lw=1)
    ax.axvline(half, color="white", lw=1)
    ax.set_xlabel("concept (0-9 seizure, 10-19 non-seizure)")
    ax.set_ylabel("concept")
    ax.set_title(
        f"Concept bank self-similarity ({kind}, {backend})\n"
        f"mean off-diagonal {off.mean():.2f}, max {off.max():.2f}"
    )
    fig.colorbar(image, ax=ax, label=f"{kind} similarity of concept embeddings")
    fig.tight_layout()
    save_figure(fig, path, dpi=120, tight=False)
    return float(off.mean())


def build_bank(
    llm: LLM | None, embedder: Embedder, params: ConceptParams
) -> tuple[list[Concept], list[Concept], list[Proposal]]:
    """Seeds + LLM proposals -> (bank, seeds with aliases, proposals with fates)."""
    seeds = load_seed_bank(params.seed_bank, params.n_concepts)
    proposals = propose(llm, params.n_variations, params.n_samples) if llm else []
    seeds = triage(proposals, seeds, embedder, params)
    candidates = [p for p in proposals if p.fate == "candidate"]
    bank = select(seeds, candidates, embedder, params.n_concepts)
    return bank, seeds, proposals
