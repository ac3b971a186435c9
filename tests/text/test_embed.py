"""Embedding backends: gensim word vectors (tiny file made with gensim) and MiniLM offline."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.config import EmbeddingParams
from pipeline.text.embed import (
    GensimEmbedder,
    SentenceTransformerEmbedder,
    biowordvec_tokens,
    make_embedder,
    similarity,
)


def write_vectors(path, words: dict[str, list[float]], binary: bool) -> None:
    """A word2vec-format file written by gensim itself."""
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vector_size=len(next(iter(words.values()))))
    kv.add_vectors(list(words), np.asarray(list(words.values()), dtype=np.float32))
    kv.save_word2vec_format(str(path), binary=binary)


@pytest.fixture(params=[True, False], ids=["binary", "text"])
def tiny(tmp_path, request):
    path = tmp_path / ("tiny.bin" if request.param else "tiny.txt")
    write_vectors(path, {"spike": [1, 0, 0], "wave": [0, 1, 0], "slowing": [0, 0, 1],
                         "sharp": [1, 1, 0]}, request.param)  # fmt: skip
    return path, request.param


def test_gensim_phrase_is_the_mean_of_its_word_vectors(tiny):
    path, binary = tiny
    embedder = make_embedder(EmbeddingParams(backend="gensim", model_path=path, binary=binary))
    vectors = embedder.embed(["Spike-and-Wave", "slowing", "SPIKE"])
    assert vectors.dtype == np.float32 and vectors.shape == (3, 3)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, rtol=1e-6)
    # "and" is unknown and skipped; spike and wave average to the diagonal.
    np.testing.assert_allclose(vectors[0], [2**-0.5, 2**-0.5, 0], rtol=1e-6)
    np.testing.assert_allclose(vectors[2], [1, 0, 0])


def test_gensim_all_unknown_phrase_is_an_error_naming_it(tiny):
    path, binary = tiny
    embedder = GensimEmbedder(path, binary)
    assert not embedder.can_embed("burst suppression")
    with pytest.raises(ValueError, match="'burst suppression'"):
        embedder.embed(["spike", "burst suppression"])


def test_gensim_limit_reads_the_first_vectors_only(tiny):
    path, binary = tiny
    embedder = GensimEmbedder(path, binary, limit=2)
    assert embedder.can_embed("spike") and not embedder.can_embed("slowing")


def test_gensim_backend_needs_a_file():
    with pytest.raises(ValueError, match="model_path"):
        make_embedder(EmbeddingParams(backend="gensim"))


def test_biowordvec_tokens():
    assert biowordvec_tokens("3-Hz Spike/Wave, PLEDs.") == ["3", "hz", "spike", "wave", "pleds"]


def test_cosine_and_pearson():
    a = np.array([[1.0, 2.0, 3.0]], dtype=np.float32)
    b = np.array([[2.0, 4.0, 6.0], [3.0, 2.0, 1.0], [11.0, 12.0, 13.0]], dtype=np.float32)
    cos = similarity(a, b)
    np.testing.assert_allclose(cos[0, 0], 1, rtol=1e-6)
    pearson = similarity(a, b, "pearson")
    np.testing.assert_allclose(pearson[0], [1, -1, 1], atol=1e-6)
    assert cos[0, 2] < 1
    with pytest.raises(ValueError):
        similarity(a, b, "dot")


def test_minilm_backend_runs_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    embedder = SentenceTransformerEmbedder()
    vectors = embedder.embed(["sharp wave", "sharp waves", "background", "sharp wave"])
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, rtol=1e-5)
    sims = similarity(vectors, vectors)
    assert sims[0, 1] > 0.8 > sims[0, 2]
    np.testing.assert_allclose(vectors[0], vectors[3])
    assert embedder.embed([]).shape == (0, 384)
