"""Negation: our clause-aware NegEx against medspacy's ConText, on the same mentions.

Both judge the same dictionary mentions (:func:`pipeline.text.lexicon.find_mentions`)
of the same examined sentences; only the decision "is this mention affirmed?"
differs. A report's labels are the concepts with an affirmed mention; they are
scored against the hand labels of the real-format report sets and the synthetic
corpus truth (macro recall and specificity per set).

* ``ours``: :func:`pipeline.text.terms.negated_tokens`;
* ``context``: medspacy's ConText with its default rules, a mention is dropped
  when ConText marks it negated;
* ``context+``: also dropped when ConText marks it hypothetical or historical.

medspacy is not a dependency of the pipeline (spaCy and its models are large and
its pins clash with ours); run this in a separate environment::

    python -m venv /tmp/mvenv
    /tmp/mvenv/bin/pip install medspacy "spacy>=3.8" hedtools polars scipy scikit-learn
    /tmp/mvenv/bin/pip install pydantic pyyaml
    PYTHONPATH=. /tmp/mvenv/bin/python analyses/compare_negation.py

Usage: ``python analyses/compare_negation.py [--reports DIR ...] [--synthetic]``
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import polars as pl

from pipeline.config import load_params
from pipeline.metrics import ConceptCounts
from pipeline.registry import REFERENCE_CONCEPTS
from pipeline.text.lexicon import find_mentions
from pipeline.text.quality import load_truth
from pipeline.text.report_set import read_report_folder
from pipeline.text.sections import note_sentences
from pipeline.text.terms import expand_abbreviations, tokenize

METHODS = ("ours", "context", "context+")


def _context_pipeline():
    try:
        import medspacy
    except ImportError as error:
        raise SystemExit("medspacy is needed: see this script's docstring") from error
    from loguru import logger  # medspacy's sentencizer logs every token at DEBUG

    logger.remove()
    return medspacy.load()


def affirmed(sentence: str, nlp) -> dict[str, set[str]]:
    """Concepts with an affirmed mention in one sentence, per method."""
    mentions = find_mentions(sentence)
    out = {m: set() for m in METHODS}
    if not mentions:
        return out
    out["ours"] = {m.concept for m in mentions if not m.negated}
    tokens = tokenize(expand_abbreviations(sentence))
    text = " ".join(tokens)
    starts = np.cumsum([0] + [len(t) + 1 for t in tokens])
    doc = nlp.get_pipe("medspacy_pyrush")(nlp.make_doc(text))
    spans = {}
    for m in mentions:
        span = doc.char_span(int(starts[m.start]), int(starts[m.end] - 1), label="FINDING",
                             alignment_mode="expand")  # fmt: skip
        spans.setdefault((span.start, span.end), (span, set()))[1].add(m.concept)
    doc.ents = [span for span, _ in spans.values()]
    doc = nlp.get_pipe("medspacy_context")(doc)
    for ent in doc.ents:
        concepts = spans[(ent.start, ent.end)][1]
        if not ent._.is_negated:
            out["context"] |= concepts
            if not (ent._.is_hypothetical or ent._.is_historical):
                out["context+"] |= concepts
    return out


def predict(notes: pl.DataFrame, skip: tuple[str, ...], nlp) -> dict[str, dict[str, set[str]]]:
    """Method -> subject -> affirmed concepts over all of the subject's notes."""
    out: dict[str, dict[str, set[str]]] = {m: {} for m in METHODS}
    for subject, text in notes.select("subject", "text").iter_rows():
        for _, sentence in note_sentences(text, skip):
            for method, concepts in affirmed(sentence, nlp).items():
                out[method].setdefault(subject, set()).update(concepts)
    return out


def score(found: dict[str, set[str]], truth: dict[str, np.ndarray]) -> dict:
    subjects = sorted(truth)
    true = np.stack([truth[s] for s in subjects])
    pred = np.array([[int(c in found.get(s, set())) for c in REFERENCE_CONCEPTS]
                     for s in subjects])  # fmt: skip
    ratios = ConceptCounts.from_predictions(true, pred).ratios()
    return {"macro_recall": round(float(np.nanmean(ratios["recall"])), 4),
            "macro_specificity": round(float(np.nanmean(ratios["specificity"])), 4),
            "n": len(subjects)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    folders = sorted(p.parent for p in Path("tests/data/eeg_reports").glob("*/labels.csv"))
    parser.add_argument("--reports", nargs="*", type=Path, default=folders)
    parser.add_argument(
        "--synthetic",
        action="store_true",
        help="also score the synthetic corpus notes (needs `dvc repro ingest`)",
    )
    args = parser.parse_args()
    params = load_params()
    skip = params.labels.skip_sections
    nlp = _context_pipeline()
    sets = {}
    for folder in args.reports:
        reports = read_report_folder(folder)
        sets[str(folder)] = (
            reports.notes,
            load_truth(reports.labels_path, list(REFERENCE_CONCEPTS)),
        )
    if args.synthetic:
        notes = pl.read_parquet(params.ingest.notes_path)
        truth = load_truth(params.synth.truth_path, list(REFERENCE_CONCEPTS))
        sets["synthetic"] = (notes.filter(pl.col("subject").is_in(list(truth))), truth)
    results = {}
    for name, (notes, truth) in sets.items():
        found = predict(notes, skip, nlp)
        results[name] = {m: score(found[m], truth) for m in METHODS}
        print(name, json.dumps(results[name]))


if __name__ == "__main__":
    main()
