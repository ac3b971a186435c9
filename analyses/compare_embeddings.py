"""Compare the two embedding backends on label quality (spec section 7).

``python -m analyses.compare_embeddings [--out PATH]`` (after ``dvc repro labels``)
re-scores the ``labels`` stage's extracted terms (``data/labels/terms.parquet``; the
LLM is not called again) with each backend and writes ``--out`` (default
``reports/embedding_comparison.json``, the committed comparison; it is not a DVC
output, so rerun it by hand after changing the labels stage).

BioWordVec (the paper's vectors, 13 GB) cannot be fetched offline, so the
gensim side uses word vectors trained here with gensim itself on the only
in-domain text available: the notes (no labels are used) plus the bank's own
phrases, so that every concept word has a vector. That is a small corpus; the
comparison shows what a gensim backend does with weak vectors (phrase = mean of
word vectors, so phrases sharing a word look alike) rather than what BioWordVec
would do. Point ``embeddings.model_path`` at a BioWordVec file to measure that.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import polars as pl

from pipeline.config import EmbeddingParams, load_params
from pipeline.io.atomic import atomic_path
from pipeline.text.concept_bank import Concept, concept_phrases, read_bank
from pipeline.text.embed import (
    Embedder,
    GensimEmbedder,
    biowordvec_tokens,
    make_embedder,
    similarity,
)
from pipeline.text.labels import assign_concepts, labels_table
from pipeline.text.quality import load_truth, quality_report
from pipeline.text.sections import note_sentences
from pipeline.text.terms import expand_abbreviations

_RESCORE = ("present", "below threshold", "out of vocabulary")


def training_sentences(notes: pl.DataFrame, bank: list[Concept]) -> list[list[str]]:
    """Tokenised note sentences (abbreviations expanded) and bank phrases."""
    out = [
        biowordvec_tokens(expand_abbreviations(sentence))
        for text in notes["text"]
        for _, sentence in note_sentences(text)
    ]
    out += [biowordvec_tokens(p) for c in bank for p in concept_phrases(c)]
    return [s for s in out if s]


def train_vectors(sentences: list[list[str]], path: Path, kind: str, seed: int) -> Path:
    """Train word2vec or fastText word vectors and save them in word2vec text format."""
    from gensim.models import FastText, Word2Vec

    model_cls = FastText if kind == "fasttext" else Word2Vec
    # One worker: gensim is only deterministic single-threaded with a fixed seed.
    model = model_cls(sentences, vector_size=100, window=5, min_count=1, epochs=50,
                      sg=1, seed=seed, workers=1)  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    model.wv.save_word2vec_format(str(path), binary=False)
    return path


def _bank_self_similarity(bank: list[Concept], embedder: Embedder) -> float:
    vectors = embedder.embed([concept_phrases(c)[0] for c in bank])
    sims = similarity(vectors, vectors)
    return float(sims[~np.eye(len(bank), dtype=bool)].mean())


def score_backend(embedder, terms, notes, bank, truth, params) -> dict:
    """Label quality of one backend on the already-extracted terms."""
    a = assign_concepts(
        terms, bank, embedder, params.labels.threshold, params.labels.similarity,
        params.labels.assignment,
    )  # fmt: skip
    subjects = labels_table(a.evidence, notes, len(bank))["subject"].to_list()
    names = [c.name for c in bank]
    report = quality_report(a.evidence, subjects, truth, names)
    return {
        "backend": embedder.name,
        "bank_mean_offdiag_cosine": round(_bank_self_similarity(bank, embedder), 4),
        "llm_terms_out_of_vocabulary": int(
            a.terms.filter(
                (pl.col("source") == "llm") & (pl.col("fate") == "out of vocabulary")
            ).height
        ),
        **{
            config: {k: q[k] for k in ("macro_recall", "macro_specificity", "macro_precision")}
            for config, q in report["configurations"].items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument("--out", type=Path, default=Path("reports/embedding_comparison.json"))
    args = parser.parse_args()
    params = load_params(args.params)
    bank = read_bank(params.concepts.bank_path)
    notes = pl.read_parquet(params.ingest.notes_path)
    terms = pl.read_parquet(params.labels.table_path("terms"))
    terms = terms.drop("best_concept", "best_similarity").with_columns(
        pl.when(pl.col("fate").is_in(_RESCORE)).then(pl.lit("kept")).otherwise(pl.col("fate"))
        .alias("fate")
    )  # fmt: skip
    truth = load_truth(params.synth.truth_path, [c.name for c in bank])
    sentences = training_sentences(notes, bank)
    results = [score_backend(make_embedder(EmbeddingParams()), terms, notes, bank, truth, params)]
    for kind in ("word2vec", "fasttext"):
        path = train_vectors(sentences, Path(f"data/cache/embeddings/notes_{kind}.txt"), kind,
                             params.seed)  # fmt: skip
        result = score_backend(GensimEmbedder(path, binary=False), terms, notes, bank, truth,
                               params)  # fmt: skip
        results.append(result | {"trained_on": f"{len(sentences)} note sentences + bank phrases"})
    out = args.out
    with atomic_path(out) as tmp:
        tmp.write_text(json.dumps({"threshold": params.labels.threshold, "results": results},
                                  indent=1) + "\n", encoding="utf-8")  # fmt: skip
    for r in results:
        both = r["dictionary+llm"]
        print(
            f"{r['backend']:45s} bank self-sim {r['bank_mean_offdiag_cosine']:.2f}  "
            f"recall {both['macro_recall']:.3f} specificity {both['macro_specificity']:.3f}  "
            f"(llm only {r['llm']['macro_recall']:.3f} / {r['llm']['macro_specificity']:.3f})"
        )
    print(f"-> {out}")


if __name__ == "__main__":
    main()
