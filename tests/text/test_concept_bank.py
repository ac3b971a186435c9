"""Concept bank: seed file, proposal fates, exactly N concepts, outputs."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import yaml

from pipeline.config import ConceptParams, LLMParams
from pipeline.registry import REFERENCE_CONCEPTS
from pipeline.text.concept_bank import (
    GROUPS,
    Concept,
    Proposal,
    bank_table,
    build_bank,
    load_seed_bank,
    name_warnings,
    plot_similarity,
    proposal_log,
    propose,
    read_bank,
    select,
    triage,
)
from pipeline.text.embed import GensimEmbedder
from pipeline.text.llm import LLM
from tests.helpers.text import write_vectors

SEED_FILE = "data/concepts/seed_bank.yaml"


def test_seed_file_holds_the_reference_bank_in_index_order():
    seeds = load_seed_bank(SEED_FILE)
    assert [s.name for s in seeds] == list(REFERENCE_CONCEPTS)
    assert [s.side for s in seeds] == ["seizure"] * 10 + ["non-seizure"] * 10
    assert {s.group for s in seeds} == set(GROUPS)
    assert all(s.aliases for s in seeds)


def _write_seeds(path, concepts) -> str:
    path.write_text(yaml.safe_dump({"concepts": concepts}))
    return str(path)


def test_seed_file_validation(tmp_path):
    bad_group = [{"name": "spike", "side": "seizure", "group": "spiky"}]
    with pytest.raises(ValueError, match="group"):
        load_seed_bank(_write_seeds(tmp_path / "a.yaml", bad_group))
    too_many = [{"name": f"c{i}", "side": "seizure", "group": "spiking"} for i in range(3)]
    with pytest.raises(ValueError, match="per side"):
        load_seed_bank(_write_seeds(tmp_path / "b.yaml", too_many), n_concepts=4)
    twice = [{"name": "spike", "side": "seizure", "group": "spiking"}] * 2
    with pytest.raises(ValueError, match="unique"):
        load_seed_bank(_write_seeds(tmp_path / "c.yaml", twice))


@pytest.fixture
def embedder(tmp_path):
    e = np.eye(6)
    words = {
        "spike": e[0], "wave": e[1], "slowing": e[2], "noise": e[3],
        "banana": -e[0] - e[1] - e[2] - e[3],  # unlike every seed
        "rhythmic": e[4] + 0.5 * e[2],  # 0.45 to slowing: an EEG pattern, a distinct one
        "fast": 0.5 * e[4] + e[5] + 0.5 * e[2],
        "sharp": e[0] + 0.1 * e[1],
    }  # fmt: skip
    path = tmp_path / "v.txt"
    write_vectors(path, words)
    return GensimEmbedder(path, binary=False)


def _proposal(side, raw, term=None) -> Proposal:
    return Proposal(0, side, 0, 7, raw, raw if term is None else term)


def test_proposal_fates_and_filling_an_empty_slot(embedder):
    seeds = [
        Concept("spike", "seizure", "spiking"),
        Concept("slowing", "non-seizure", "background"),
        Concept("noise", "non-seizure", "background"),
    ]
    proposals = [
        _proposal("seizure", "spike"),  # exact duplicate
        _proposal("seizure", "sharp spike"),  # alias of spike only
        _proposal("seizure", "banana"),  # not an EEG pattern
        _proposal("seizure", "rhythmic"),  # candidate, selected
        _proposal("seizure", "rhythmic rhythmic"),  # duplicate of a candidate
        _proposal("seizure", "fast", "fast"),  # candidate, not selected
        _proposal("seizure", "a long copied sentence", None),  # malformed
        _proposal("seizure", "no spikes"),  # negated
        _proposal("seizure", "sleep spindles", "sleep spindle"),  # the prompt's own example
    ]
    proposals[6].term = None
    params = ConceptParams(n_concepts=4, add_llm_aliases=True)
    seeds = triage(proposals, seeds, embedder, params)
    fates = [p.fate for p in proposals]
    assert fates[0] == "dropped: duplicate of seed"
    assert fates[1] == "kept: alias of seed" and "sharp spike" in seeds[0].aliases
    assert fates[2] == "dropped: not an EEG pattern"
    assert fates[3] == "candidate" and fates[5] == "candidate"
    assert fates[4] == "dropped: duplicate of candidate"
    assert fates[6] == "dropped: malformed"
    assert fates[7] == "dropped: negated"
    assert fates[8] == "dropped: prompt example"

    bank = select(seeds, [p for p in proposals if p.fate == "candidate"], embedder, 4)
    assert [c.name for c in bank] == ["spike", "rhythmic", "slowing", "noise"]
    assert [c.side for c in bank] == ["seizure", "seizure", "non-seizure", "non-seizure"]
    # A new concept takes the display group of its most similar seed (slowing).
    assert bank[1].origin == "llm" and bank[1].group == "background"
    assert proposals[3].fate == "selected: new concept"
    assert proposals[5].fate.startswith("candidate not selected")

    log = proposal_log(seeds, proposals)
    assert log.height == len(seeds) + len(proposals) and log["fate"].null_count() == 0


def test_not_an_eeg_pattern(embedder):
    seeds = [Concept("spike", "seizure", "spiking")]
    p = _proposal("seizure", "banana")
    triage([p], seeds, embedder, ConceptParams(min_eeg_similarity=0.35))
    assert p.fate == "dropped: not an EEG pattern"


def test_too_few_candidates_is_a_clear_error(embedder):
    seeds = [Concept("spike", "seizure", "spiking")]
    with pytest.raises(ValueError, match="seizure slot"):
        select(seeds, [], embedder, 4)


def test_bank_table_schema_and_figure(embedder, tmp_path):
    bank = [Concept("spike", "seizure", "spiking", ("sharp",)),
            Concept("noise", "non-seizure", "background")]  # fmt: skip
    table = bank_table(bank, embedder)
    assert table["index"].to_list() == [0, 1]
    assert table.schema["aliases"] == pl.List(pl.String)
    assert table.schema["embedding"] == pl.Array(pl.Float32, 6)
    table.write_parquet(tmp_path / "bank.parquet")
    assert read_bank(tmp_path / "bank.parquet") == bank
    plot_similarity(table, "cosine", embedder.name, tmp_path / "fig.png")
    assert (tmp_path / "fig.png").read_bytes()[:4] == b"\x89PNG"
    assert name_warnings(bank)


def test_llm_proposals_are_parsed_and_cached(tmp_path):
    llm = LLM(LLMParams(cache_dir=tmp_path / "cache"))
    proposals = propose(llm, n_variations=1, n_samples=1)
    assert llm.model_calls == 4 and proposals
    assert all(p.raw.strip() for p in proposals)
    assert {p.side for p in proposals} <= {"seizure", "non-seizure"}
    again = LLM(llm.params)
    assert [p.raw for p in propose(again, 1, 1)] == [p.raw for p in proposals]
    assert again.model_calls == 0


def test_build_bank_without_llm_is_the_seed_bank(tmp_path, ref_embedder):
    seeds = [{"name": n, "side": "seizure" if i < 10 else "non-seizure", "group": "spiking"}
             for i, n in enumerate(REFERENCE_CONCEPTS)]  # fmt: skip
    params = ConceptParams(seed_bank=_write_seeds(tmp_path / "s.yaml", seeds))
    bank, _, proposals = build_bank(None, ref_embedder, params)
    assert [c.name for c in bank] == list(REFERENCE_CONCEPTS) and not proposals
    assert name_warnings(bank) == []
