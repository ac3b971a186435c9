"""Shared helpers of the text tests: tiny real gensim vector files."""

from __future__ import annotations

import numpy as np

from pipeline.registry import NON_SEIZURE_CONCEPTS, SEIZURE_CONCEPTS
from pipeline.text.concept_bank import Concept, concept_phrase
from pipeline.text.embed import GensimEmbedder


def write_vectors(path, words: dict[str, np.ndarray], binary: bool = False) -> None:
    """A word2vec-format file written by gensim itself."""
    from gensim.models import KeyedVectors

    vectors = np.asarray(list(words.values()), dtype=np.float32)
    kv = KeyedVectors(vector_size=vectors.shape[1])
    kv.add_vectors(list(words), vectors)
    kv.save_word2vec_format(str(path), binary=binary)


def reference_bank() -> list[Concept]:
    """The 20 reference concepts without aliases (groups are irrelevant here)."""
    return [Concept(n, "seizure", "spiking") for n in SEIZURE_CONCEPTS] + [
        Concept(n, "non-seizure", "background") for n in NON_SEIZURE_CONCEPTS
    ]


def reference_embedder(tmp_path, extra: tuple[str, ...] = ()) -> GensimEmbedder:
    """Random (seeded) 64-d vectors for every word of the reference concept phrases.

    Distinct random directions keep different concepts far below 0.8.
    """
    words = sorted(
        {w for c in reference_bank() for w in concept_phrase(c.name).split()} | set(extra)
    )
    rng = np.random.default_rng(0)
    path = tmp_path / "reference.txt"
    write_vectors(path, {w: rng.standard_normal(64) for w in words})
    return GensimEmbedder(path, binary=False)
