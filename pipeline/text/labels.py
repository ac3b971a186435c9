"""The ``labels`` stage: per-patient concept labels from clinical notes (paper 2.3).

Two term sources feed one decision rule:

- the terminology dictionary (:mod:`pipeline.text.lexicon`): ACNS synonyms and
  abbreviations matched in each sentence, negated mentions removed (seed 002);
- the paper's two LLM passes: rewrite the sentence with lexical variation, then
  list the present findings (several prompt variations). A small LLM repeats its
  examples and keeps negated findings, so an LLM term is only kept when its
  words occur in the sentence (or its rewrite) outside a negation scope.

Every kept term is cleaned, embedded and compared with every concept's name and
aliases; concept n is present for a patient when some term of one of the
patient's notes is more similar than ``labels.threshold`` to it. Each such
(term, concept) pair is an evidence row, so the dictionary-only and LLM-only
labels can be recomputed exactly from the evidence.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import polars as pl
from tqdm import tqdm

from pipeline.config import LabelParams

from .concept_bank import Concept, concept_phrase, per_concept_max, phrase_table
from .embed import Embedder, similarity
from .lexicon import find_mentions
from .llm import LLM, Request
from .prompts import FINDINGS_STOP, REWRITE_STOP, findings_prompt, rewrite_prompt
from .sections import note_sentences
from .terms import (
    clean_term,
    content_stems,
    expand_abbreviations,
    find_triggers,
    negated_tokens,
    parse_list_output,
    starts_negated,
    stem,
    tokenize,
)

SOURCES = ("dictionary", "llm")
#: Seed offsets of the LLM passes (added to ``llm.seed``; never 0).
_REWRITE_SEED, _FINDINGS_SEED = 101, 211

TERM_SCHEMA = {
    "subject": pl.String, "session": pl.String, "sentence_id": pl.Int64,
    "sentence": pl.String, "source": pl.String, "variation": pl.Int64, "raw": pl.String,
    "term": pl.String, "lexicon_concept": pl.String, "fate": pl.String,
}  # fmt: skip
#: One row per note the extractor could not read fully (``labels.issues_path``).
ISSUE_SCHEMA = {
    "subject": pl.String, "session": pl.String, "severity": pl.String, "problem": pl.String,
    "detail": pl.String,
}  # fmt: skip
EVIDENCE_SCHEMA = {
    "subject": pl.String, "session": pl.String, "concept_index": pl.Int64,
    "concept": pl.String, "term": pl.String, "similarity": pl.Float32, "source": pl.String,
    "raw": pl.String, "sentence": pl.String,
}  # fmt: skip


# --------------------------------------------------------------------------- term extraction


def dictionary_terms(sentence: str) -> list[dict]:
    """Lexicon hits of one sentence; the term is the concept's own phrase."""
    return [
        {"source": "dictionary", "variation": None, "raw": m.surface,
         "term": concept_phrase(m.concept), "lexicon_concept": m.concept,
         "fate": "negated" if m.negated else "kept"}
        for m in find_mentions(sentence)
    ]  # fmt: skip


def _stem_positions(tokens: list[str]) -> dict[str, list[int]]:
    positions: dict[str, list[int]] = {}
    for i, token in enumerate(tokens):
        positions.setdefault(stem(token), []).append(i)
    return positions


def judge_llm_term(raw: str, sentence: str, rewrite: str = "") -> tuple[str | None, str]:
    """Clean an LLM item and decide whether it is a present finding of ``sentence``.

    Returns
    -------
    term : str or None
        The cleaned term.
    fate : str
        ``kept``; ``malformed`` (empty or sentence-long); ``negated`` (negated
        in the item itself or everywhere it occurs in the sentence);
        ``ungrounded`` (its words are not in the sentence nor in its rewrite:
        an echo of the prompt's examples or an invention).
    """
    term = clean_term(raw)
    if term is None:
        return None, "malformed"
    if starts_negated(raw):
        return term, "negated"
    stems = content_stems(term)
    if not stems:
        return term, "malformed"
    tokens = tokenize(expand_abbreviations(sentence))
    where = _stem_positions(tokens)
    if all(s in where for s in stems):
        negated = negated_tokens(tokens)
        # A word is affirmed when one of its occurrences is outside every negation.
        if all(any(not negated[i] for i in where[s]) for s in stems):
            return term, "kept"
        return term, "negated"
    rewritten = tokenize(expand_abbreviations(rewrite))
    if rewrite and all(s in _stem_positions(rewritten) for s in stems):
        # Only in the rewrite: trust it only if neither version negates anything,
        # because a small model can drop or add a "no" while rewriting.
        if any(t.kind in ("pre", "post") for t in find_triggers(tokens + rewritten)):
            return term, "negated"
        return term, "kept"
    return term, "ungrounded"


def _rewrite_tokens(sentence: str) -> int:
    return min(160, 16 + 2 * len(sentence.split()))


def llm_terms(
    sentences: list[str], llm: LLM, params: LabelParams, context: str = ""
) -> list[list[dict]]:
    """The paper's two passes on a note's sentences: rewrite, then list present findings.

    Each pass is one batch (:meth:`~pipeline.text.llm.LLM.complete_many`): every
    rewrite, then every findings variation of every sentence, so a server backend
    has the batch in flight at once. ``context`` names the note in errors.

    Returns
    -------
    list of list of dict
        The LLM term rows of each sentence.
    """
    seed = llm.params.seed
    rewrites = [""] * len(sentences)
    if params.rewrite:
        asked = [Request(rewrite_prompt(s), REWRITE_STOP, _rewrite_tokens(s),
                         seed + _REWRITE_SEED) for s in sentences]  # fmt: skip
        rewrites = [t.strip() for t in llm.complete_many(asked, context)]
    pairs = [(v, i) for v in range(params.n_variations) for i in range(len(sentences))]
    asked = []
    for v, i in pairs:
        texts = [sentences[i], rewrites[i]] if rewrites[i] else [sentences[i]]
        asked.append(Request(findings_prompt(texts[v % len(texts)], v), FINDINGS_STOP, 48,
                             seed + _FINDINGS_SEED + v))  # fmt: skip
    rows: list[list[dict]] = [[] for _ in sentences]
    for (v, i), answer in zip(pairs, llm.complete_many(asked, context), strict=True):
        for raw in parse_list_output(answer):
            term, fate = judge_llm_term(raw, sentences[i], rewrites[i])
            rows[i].append({"source": "llm", "variation": v, "raw": raw, "term": term,
                            "lexicon_concept": None, "fate": fate})  # fmt: skip
    return rows


def _has_words(sentence: str) -> bool:
    return sum(t.isalpha() for t in tokenize(sentence)) >= 3


def _issue(note: dict, severity: str, problem: str, detail: str) -> dict:
    return {"subject": note["subject"], "session": note["session"], "severity": severity,
            "problem": problem, "detail": detail}  # fmt: skip


def llm_sentences(
    sentences: list[str], dictionary_hits: list[bool], params: LabelParams
) -> tuple[list[str], int]:
    """The sentences of one note the LLM reads, within ``params.llm_max_chars``.

    ``paper`` sends every sentence with words, ``unmatched`` only those without
    a dictionary mention (negated or not), ``off`` none. Returns the sentences
    and how many wanted ones the character budget left out.
    """
    if params.use_llm == "off":
        return [], 0
    wanted = [
        s for s, hit in zip(sentences, dictionary_hits, strict=True)
        if _has_words(s) and not (params.use_llm == "unmatched" and hit)
    ]  # fmt: skip
    asked, used = [], 0
    for sentence in dict.fromkeys(wanted):  # a repeated sentence is asked once
        if used + len(sentence) > params.llm_max_chars:
            break
        asked.append(sentence)
        used += len(sentence)
    return asked, len(dict.fromkeys(wanted)) - len(asked)


@dataclass
class Extraction:
    """Candidate terms of every note (:data:`TERM_SCHEMA`) and the notes' issues."""

    terms: pl.DataFrame
    issues: pl.DataFrame


def extract_terms(
    notes: pl.DataFrame, llm: LLM | None, params: LabelParams, progress: bool = True
) -> Extraction:
    """Every candidate term of every note sentence, with its fate (no embedding yet).

    Parameters
    ----------
    notes : DataFrame
        Columns ``subject``, ``session``, ``text`` (``data/interim/notes.parquet``).
    llm : LLM or None
        Needed unless ``params.use_llm`` is ``off``.
    params : LabelParams

    Returns
    -------
    Extraction
        One row per candidate term; an issue row per note whose examined text is
        empty (``nothing examined``) or whose LLM pass hit the character budget
        (``llm budget``).
    """
    if params.use_llm != "off" and llm is None:
        raise ValueError(f"labels.use_llm is {params.use_llm} but no LLM was given")
    rows: list[dict] = []
    issues: list[dict] = []
    iterator = notes.iter_rows(named=True)
    if progress:
        iterator = tqdm(iterator, total=notes.height, desc="labels: notes", unit="note")
    for note in iterator:
        sentences = [s for _, s in note_sentences(note["text"] or "", params.skip_sections)]
        if not sentences:
            issues.append(_issue(note, "warning", "nothing examined",
                                 "no text outside the left-out sections "
                                 f"({', '.join(params.skip_sections)})"))  # fmt: skip
        found = [dictionary_terms(s) for s in sentences]
        asked, left_out = llm_sentences(sentences, [bool(f) for f in found], params)
        if not params.use_dictionary:
            found = [[] for _ in sentences]
        if left_out:
            detail = (f"{left_out} sentence(s) past labels.llm_max_chars="
                      f"{params.llm_max_chars} read by the dictionary only")  # fmt: skip
            issues.append(_issue(note, "warning", "llm budget", detail))
        context = f"note of {note['subject']} session {note['session']}"
        terms = llm_terms(asked, llm, params, context) if asked else []
        answers = dict(zip(asked, terms, strict=True))
        for sid, sentence in enumerate(sentences):
            for row in found[sid] + answers.get(sentence, []):
                rows.append({"subject": note["subject"], "session": note["session"],
                             "sentence_id": sid, "sentence": sentence, **row})  # fmt: skip
    return Extraction(
        pl.DataFrame(rows, schema=TERM_SCHEMA), pl.DataFrame(issues, schema=ISSUE_SCHEMA)
    )


def no_finding_issues(notes: pl.DataFrame, evidence: pl.DataFrame) -> pl.DataFrame:
    """An ``info`` row per note that gave no evidence at all (its patient may still have labels)."""
    found = evidence.select("subject", "session").unique()
    empty = notes.select("subject", "session").join(found, on=["subject", "session"], how="anti")
    return pl.DataFrame(
        [_issue(n, "info", "no finding", "no term reached any concept")
         for n in empty.iter_rows(named=True)],
        schema=ISSUE_SCHEMA,
    )  # fmt: skip


# --------------------------------------------------------------------------- concept assignment


@dataclass
class Assignment:
    """Terms with their fate after the similarity rule, and the evidence rows."""

    terms: pl.DataFrame
    evidence: pl.DataFrame


def assign_concepts(
    terms: pl.DataFrame,
    bank: list[Concept],
    embedder: Embedder,
    threshold: float,
    kind: str = "cosine",
    assignment: str = "all",
) -> Assignment:
    """Apply the label rule: term -> every concept it is more similar than ``threshold`` to.

    With ``assignment="best"`` a free-text term only votes for its most similar
    concept (if above the threshold): a sentence embedding puts "periodic
    lateralized epileptiform discharge" above 0.8 for both PLED and
    epileptiform, and the paper's rule would switch both on.

    A dictionary term is its concept's own phrase and only votes for that
    concept: the lexicon already chose between overlapping readings (longest
    match), and letting "periodic lateralized epileptiform discharge" also
    switch on "epileptiform" through the embedding would undo that choice. A
    lexicon concept missing from the bank (renamed by a clinician) falls back to
    the similarity rule over all concepts, like an LLM term.

    Adds ``best_concept`` and ``best_similarity`` to the terms; kept terms that
    reach no concept get the fate ``below threshold``, terms the backend cannot
    embed ``out of vocabulary``.
    """
    phrases, owner = phrase_table(bank)
    concept_vectors = embedder.embed(phrases)
    kept = terms.filter(pl.col("fate") == "kept")
    unique = sorted({t for t in kept["term"].to_list() if embedder.can_embed(t)})
    term_vectors = embedder.embed(unique)
    scores = per_concept_max(similarity(term_vectors, concept_vectors, kind), owner, len(bank))
    by_term = {t: scores[i] for i, t in enumerate(unique)}
    names = {c.name: i for i, c in enumerate(bank)}

    best_c, best_s, fates = [], [], []
    evidence = []
    for row in terms.iter_rows(named=True):
        s = by_term.get(row["term"]) if row["fate"] == "kept" else None
        fate = row["fate"]
        if row["fate"] == "kept" and s is None:
            fate = "out of vocabulary"
        best = int(np.argmax(s)) if s is not None else None
        best_c.append(bank[best].name if best is not None else None)
        best_s.append(float(s[best]) if best is not None else None)
        if s is not None:
            hits = np.flatnonzero(s > threshold)
            own = names.get(row["lexicon_concept"])
            if own is not None:
                hits = hits[hits == own]
            elif assignment == "best":
                hits = hits[hits == best]
            fate = "present" if hits.size else "below threshold"
            evidence += [_evidence_row(row, c, bank[c].name, float(s[c])) for c in hits]
        fates.append(fate)
    terms = terms.with_columns(
        pl.Series("fate", fates, dtype=pl.String),
        pl.Series("best_concept", best_c, dtype=pl.String),
        pl.Series("best_similarity", best_s, dtype=pl.Float32),
    )
    return Assignment(terms, pl.DataFrame(evidence, schema=EVIDENCE_SCHEMA))


def _evidence_row(row: dict, index: int, name: str, sim: float) -> dict:
    return {"subject": row["subject"], "session": row["session"], "concept_index": index,
            "concept": name, "term": row["term"], "similarity": sim, "source": row["source"],
            "raw": row["raw"], "sentence": row["sentence"]}  # fmt: skip


def label_matrix(
    evidence: pl.DataFrame, subjects: list[str], n_concepts: int, sources: Iterable[str] = SOURCES
) -> np.ndarray:
    """Binary (subjects x concepts) labels from the evidence of the given sources."""
    index = {s: i for i, s in enumerate(subjects)}
    out = np.zeros((len(subjects), n_concepts), dtype=np.int8)
    used = evidence.filter(pl.col("source").is_in(list(sources)))
    for subject, concept in used.select("subject", "concept_index").iter_rows():
        out[index[subject], concept] = 1
    return out


def labels_table(evidence: pl.DataFrame, notes: pl.DataFrame, n_concepts: int) -> pl.DataFrame:
    """One row per patient with a note: ``subject``, ``labels`` (int8 x N), ``n_notes``."""
    counts = notes.group_by("subject").len("n_notes").sort("subject")
    subjects = counts["subject"].to_list()
    matrix = label_matrix(evidence, subjects, n_concepts)
    return pl.DataFrame(
        {
            "subject": subjects,
            "labels": pl.Series(matrix, dtype=pl.Array(pl.Int8, n_concepts)),
            "n_notes": counts["n_notes"].cast(pl.Int64),
        }
    )


@dataclass
class LabelRun:
    """Everything the ``labels`` stage writes, plus its timings."""

    labels: pl.DataFrame
    evidence: pl.DataFrame
    terms: pl.DataFrame
    issues: pl.DataFrame
    seconds_extract: float
    seconds_assign: float


def run_labels(
    notes: pl.DataFrame,
    bank: list[Concept],
    llm: LLM | None,
    embedder: Embedder,
    params: LabelParams,
    progress: bool = True,
) -> LabelRun:
    """Notes -> terms -> evidence -> per-patient labels."""
    started = time.perf_counter()
    extraction = extract_terms(notes, llm, params, progress)
    extracted = time.perf_counter()
    assignment = assign_concepts(
        extraction.terms, bank, embedder, params.threshold, params.similarity, params.assignment
    )
    labels = labels_table(assignment.evidence, notes, len(bank))
    issues = pl.concat([extraction.issues, no_finding_issues(notes, assignment.evidence)])
    return LabelRun(
        labels,
        assignment.evidence.sort("subject", "concept_index", "source"),
        assignment.terms,
        issues.sort("subject", "session", "problem"),
        extracted - started,
        time.perf_counter() - extracted,
    )
