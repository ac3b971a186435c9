"""The ``evaluate`` stage (spec section 9): Table 1, the figures and ``reports/index.md``.

Inputs are the per-fold outputs of ``train@<detector>-<fold>``
(``<train.out_dir>/<detector>/fold<k>/predictions.parquet`` and, for SzXAI,
``latents_aligned.parquet``), the frozen detectors' latents (for their ROC) and
the concept bank. Outputs, all under ``evaluate.reports_dir``:

- ``table1.md``, ``table1.csv``, ``metrics.json`` (``dvc metrics show``): the
  methods, the reference rows (spec section 11) and chance;
- ``table1_test.md``, ``table1_test.csv``: the final heads on the held-out test
  cohort (``heldout@<detector>``), scored once (also under ``test`` in
  ``metrics.json``); a line saying there is none without a test cohort;
- ``concept_auroc.csv``: per-concept AUROC of every row (mean over folds and
  over all held-out crops pooled);
- ``results/``: the PNG figures (Fig 3a/3b/4, per-concept scores, ROC);
- ``plots/``: the CSV data of the DVC plots (group confusion, ROC);
- ``index.md``: every table and figure with a one-line caption, and provenance;
  ``index.html``: the same as one self-contained page (figures embedded, no
  network), for a browser.

Each file is written atomically, and ``results/`` and ``plots/`` as whole
folders, so a figure of an earlier run (a heatmap of another crop) never
lingers beside the new ones.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from pipeline.config import DetectorParams, Params, TrainParams
from pipeline.evaluate import figures
from pipeline.evaluate.collect import (
    as_matrix,
    concept_aurocs,
    concept_scores,
    control_mask,
    detector_roc,
    fold_scores,
    paired_comparisons,
    pooled_draws,
    pooled_intervals,
    read_predictions,
    training_curves,
)
from pipeline.evaluate.events import events_dir
from pipeline.evaluate.groups import count_pairs, group_assignments
from pipeline.evaluate.heldout import heldout_summary, read_heldout
from pipeline.evaluate.html import markdown_page
from pipeline.evaluate.report import (
    concept_auroc_section,
    methods_section,
    provenance,
    references_section,
    render_index,
    summaries_section,
    upstream_figures,
    write_text,
)
from pipeline.evaluate.selection import (
    ALIGNED_METHOD,
    best_fold,
    crop_labels_of,
    figure_method,
    heatmap_crops,
    sample_windows,
    window_groups,
)
from pipeline.evaluate.table import (
    METHOD_ORDER,
    comparisons_markdown,
    heldout_markdown,
    short_scores,
    summarise_folds,
    to_markdown,
    to_metrics_json,
)
from pipeline.explain.layout import CASE_DETECTOR, CASES_TABLE, cases_dir
from pipeline.io.atomic import atomic_path
from pipeline.registry import CONCEPT_GROUPS, DETECTOR_NAMES, REFERENCES
from pipeline.text.llm import LLM, record_run
from pipeline.text.summary import Summary, summarise_etiologies

#: The frozen detectors, in report order; the first one is used for Fig 3b and Fig 4.
DETECTORS: tuple[str, ...] = DETECTOR_NAMES
#: Points kept per ROC curve in its CSV: a smooth line, a small file for DVC.
ROC_POINTS = 200


@dataclass(frozen=True)
class Outputs:
    """Where the stage writes, all under ``evaluate.reports_dir``."""

    root: Path

    @property
    def table_md(self) -> Path:
        return self.root / "table1.md"

    @property
    def table_csv(self) -> Path:
        return self.root / "table1.csv"

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.json"

    @property
    def test_md(self) -> Path:
        return self.root / "table1_test.md"

    @property
    def test_csv(self) -> Path:
        return self.root / "table1_test.csv"

    @property
    def comparisons_md(self) -> Path:
        return self.root / "comparisons.md"

    @property
    def comparisons_csv(self) -> Path:
        return self.root / "comparisons.csv"

    @property
    def concept_auroc(self) -> Path:
        return self.root / "concept_auroc.csv"

    @property
    def results(self) -> Path:
        return self.root / "results"

    @property
    def plots(self) -> Path:
        return self.root / "plots"

    @property
    def index(self) -> Path:
        return self.root / "index.md"

    @property
    def index_html(self) -> Path:
        """``index.md`` as one self-contained page (figures embedded)."""
        return self.root / "index.html"


@dataclass
class Evaluation:
    """What one evaluation produced (for the stage's summary line and tests)."""

    summary: pl.DataFrame
    figures: list[tuple[Path, str]]
    summaries: dict[str, Summary] = field(default_factory=dict)
    figure_fold: int | None = None
    notes: list[str] = field(default_factory=list)
    n_crops: int = 0

    def line(self, index: Path) -> str:
        """One line: crops, methods, SzXAI's scores per detector, where to look."""
        scores = [
            f"{row['detector']} {short_scores(row)}"
            for row in self.summary.filter(pl.col("method") == ALIGNED_METHOD).iter_rows(named=True)
        ]
        n_llm = sum(s.source == "llm" for s in self.summaries.values())
        present = set(self.summary["method"])
        references = len(present & set(REFERENCES))
        methods = len(present - set(REFERENCES) - {"chance"})
        return (
            f"evaluate: {self.n_crops} held-out crops, {methods} methods + {references} "
            f"reference rows + chance; szxai "
            f"{'; '.join(scores) or 'not run'}; {len(self.figures)} figures "
            f"({n_llm}/{len(self.summaries)} Fig 4 summaries by the LLM) -> {index}"
        )


# --------------------------------------------------------------------------- inputs


def read_concepts(bank_path: Path) -> pl.DataFrame:
    """Concept names, sides and groups in bank ``index`` order (the probs' order)."""
    return pl.read_parquet(bank_path, columns=["index", "name", "side", "group"]).sort("index")


def read_aligned(train_dir: Path, detector: str, fold: int) -> pl.DataFrame | None:
    """SzXAI's aligned window latents of one held-out fold, padding dropped (None if absent)."""
    path = TrainParams.fold_path(train_dir, detector, fold) / "latents_aligned.parquet"
    if not path.is_file():
        return None
    return pl.read_parquet(path).filter(~pl.col("is_pad")).sort("crop_id", "window_index")


def _safe_name(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text)


# --------------------------------------------------------------------------- tables


def write_tables(summary: pl.DataFrame, test: pl.DataFrame | None, out: Outputs) -> str:
    """Table 1 as Markdown, CSV and DVC metrics JSON; returns the Markdown.

    ``test`` (:func:`pipeline.evaluate.heldout.heldout_summary`, None without a
    test cohort) goes to its own Markdown and CSV and under ``test`` in the JSON.
    """
    table = to_markdown(summary)
    write_text(out.table_md, table)
    with atomic_path(out.table_csv) as tmp:
        summary.write_csv(tmp, float_precision=6)
    metrics = to_metrics_json(summary)
    if test is None:
        write_text(out.test_md, f"{NO_TEST_COHORT}\n")
        test = pl.DataFrame()
    else:
        write_text(out.test_md, heldout_markdown(test))
        metrics["test"] = to_metrics_json(test)
    with atomic_path(out.test_csv) as tmp:
        test.write_csv(tmp, float_precision=6)
    write_text(out.metrics, json.dumps(metrics, indent=2) + "\n")
    return table


#: What the held-out block says when ``data.cohorts`` maps no split to ``test``.
NO_TEST_COHORT = "No test cohort: `data.cohorts` maps no split to `test`."


def heldout_section(test: pl.DataFrame | None) -> str:
    """The index's held-out block: how it was scored, then the table."""
    if test is None:
        return NO_TEST_COHORT
    return (
        "The test cohort trained no detector and no head and selected nothing: the final "
        "SzXAI head of each detector (`final@`, trained on every labelled cv patient) "
        "predicted each labelled test crop once (`heldout@`). Pooled over the test crops, "
        "95 % patient-bootstrap intervals; chance at the cv cohort's concept prevalence.\n\n"
        + heldout_markdown(test)
        + "\n([table1_test.csv](table1_test.csv))"
    )


def write_comparisons(comparisons: pl.DataFrame, out: Outputs) -> str:
    """The paired comparisons as Markdown and CSV; returns the index section ('' if none)."""
    if comparisons.is_empty():
        return ""
    table = comparisons_markdown(comparisons, ALIGNED_METHOD)
    text = (
        f"{ALIGNED_METHOD} against every other row of its detector, in macro AUROC, paired "
        "twice: over patients (difference of the pooled AUROC on the same bootstrap draws: "
        "95 % interval and two-sided bootstrap p-value; q: Benjamini-Hochberg over the "
        "detector's comparisons) and over folds (mean of the per-fold differences, Wilcoxon "
        "signed-rank p-value, exact for ten folds). `within noise`: the interval holds 0.\n\n"
        + table
    )
    write_text(out.comparisons_md, "# Paired comparisons\n\n" + text)
    with atomic_path(out.comparisons_csv) as tmp:
        comparisons.write_csv(tmp, float_precision=6)
    return text + "\n([comparisons.csv](comparisons.csv))"


# --------------------------------------------------------------------------- figures


def confusion_outputs(
    predictions: pl.DataFrame,
    concepts: pl.DataFrame,
    method: str,
    results_dir: Path,
    plots_dir: Path,
) -> list[tuple[str, str]]:
    """Fig 3a per detector: the group confusion PNG and its per-crop CSV.

    The CSV (``actual``, ``predicted``: group names, one row per held-out crop
    with at least one true concept) feeds DVC's ``confusion`` template.
    """
    made = []
    for detector in predictions["detector"].unique(maintain_order=True):
        rows = predictions.filter((pl.col("detector") == detector) & (pl.col("method") == method))
        labelled, actual, predicted = group_assignments(
            as_matrix(rows["labels"]),
            as_matrix(rows["probs"]),
            concepts["group"].to_list(),
            CONCEPT_GROUPS,
        )
        names = np.asarray(CONCEPT_GROUPS)
        frame = pl.DataFrame({"actual": names[actual], "predicted": names[predicted]})
        with atomic_path(plots_dir / f"confusion_{detector}.csv") as tmp:
            frame.write_csv(tmp)
        matrix = count_pairs(actual, predicted, len(CONCEPT_GROUPS))
        name = f"confusion_{detector}.png"
        figures.plot_group_confusion(
            matrix, CONCEPT_GROUPS,
            f"Etiology groups, {method} on {detector}\n({int(labelled.sum())} labelled "
            "held-out crops, all folds)",
            results_dir / name,
        )  # fmt: skip
        made.append((name, f"Fig 3a: true vs predicted etiology group per crop, {method} "
                           f"on {detector} (row-normalised)"))  # fmt: skip
    return made


def concept_figures(
    predictions: pl.DataFrame,
    concepts: pl.DataFrame,
    method: str,
    threshold: float,
    results_dir: Path,
) -> list[tuple[str, str]]:
    """Per-concept precision and recall over all held-out crops, per detector."""
    made = []
    for detector, scores in concept_scores(predictions, method, threshold).items():
        name = f"concepts_{detector}.png"
        figures.plot_concept_bars(
            {"precision": scores["precision"], "recall": scores["recall"]},
            concepts["name"].to_list(),
            f"Per-concept scores, {method} on {detector} (N = {int(scores['n_crops'])} "
            "held-out crops, all folds)",
            results_dir / name,
            sides=concepts["side"].to_list(),
            threshold=threshold,
            positives=scores["positives"],
            chance=scores["prevalence"],
        )
        made.append((name, f"Per-concept precision and recall, {method} on {detector}"))
    return made


def roc_outputs(
    detectors: DetectorParams, results_dir: Path, plots_dir: Path, notes: list[str]
) -> list[tuple[str, str]]:
    """Window-level ROC of each frozen detector: PNG and one CSV per detector.

    One CSV per detector (columns ``detector``, ``fpr``, ``tpr``) because DVC
    colours series by file, not by a column.
    """
    curves, n_windows = {}, {}
    for detector in DETECTORS:
        path = detectors.latents_path(detector)
        if not path.is_file():
            notes.append(f"ROC of {detector} skipped: {path} not found")
            continue
        fpr, tpr, auroc, n_windows[detector] = detector_roc(path)
        curves[detector] = (fpr, tpr, auroc)
        keep = np.unique(np.linspace(0, len(fpr) - 1, ROC_POINTS).round().astype(int))
        frame = pl.DataFrame({"detector": detector, "fpr": fpr[keep], "tpr": tpr[keep]})
        with atomic_path(plots_dir / f"roc_{detector}.csv") as tmp:
            frame.write_csv(tmp, float_precision=5)
    if not curves:
        return []
    n = ", ".join(f"{d} {k}" for d, k in n_windows.items())
    title = f"Frozen seizure detectors, cv cohort\n(N = {n} windows)"
    figures.plot_roc(curves, title, results_dir / "roc.png")
    aurocs = ", ".join(f"{d} {c[2]:.3f}" for d, c in curves.items())
    caption = f"Window-level ROC of the frozen detectors on the cv cohort (AUROC {aurocs})"
    return [("roc.png", caption)]


def event_outputs(
    params: Params, results_dir: Path, notes: list[str]
) -> tuple[list[tuple[str, str]], str | None]:
    """The detectors' SzCORE event scores on whole cv recordings (``events@``): figure, table."""
    records = {}
    for detector in DETECTORS:
        path = events_dir(params.evaluate.reports_dir) / f"{detector}.json"
        if path.is_file():
            records[detector] = json.loads(path.read_text(encoding="utf-8"))
        else:
            notes.append(f"event scores of {detector} skipped: {path} not found")
    if not records:
        return [], None
    n = ", ".join(f"{d} {r['n_recordings']}" for d, r in records.items())
    figures.plot_event_operating_curve(
        {d: r["sweep"] for d, r in records.items()},
        {d: {"threshold": r["params"]["threshold"], **r["scores"]} for d, r in records.items()},
        f"Detector events on whole cv recordings (N = {n})",
        results_dir / "events.png",
    )  # fmt: skip
    return [("events.png", "Event sensitivity against false alarms per 24 h over p_sz "
             "thresholds (SzCORE scoring, whole cv recordings); circles: the threshold used")], (
        event_table(records)
    )  # fmt: skip


def case_pages_section(params: Params, index_path: Path) -> str | None:
    """Links to the held-out crops' case pages (stage ``cases``), one line per fold."""
    table_path = cases_dir(params.evaluate.reports_dir) / CASES_TABLE
    if not table_path.is_file():
        return None
    table = pl.read_csv(table_path, schema_overrides={"subject": pl.String})
    folder = os.path.relpath(cases_dir(params.evaluate.reports_dir), index_path.parent)
    lines = [
        f"One page per held-out crop ({table.height}, {CASE_DETECTOR}'s SzXAI, each from the "
        "fold that held its patient out): p_sz with the detected and annotated seizures, an "
        "EEG excerpt, the concept probabilities and S_nt, the summary sentence and the "
        "note's concepts with their evidence beside the prediction.",
        "",
    ]
    for (fold,), rows in table.group_by("fold", maintain_order=True):
        links = ", ".join(f"[{c}]({folder}/{p})" for c, p in zip(rows["crop_id"], rows["page"],
                                                               strict=True))  # fmt: skip
        lines.append(f"- fold {fold}: {links}")
    return "\n".join(lines)


def event_table(records: dict[str, dict]) -> str:
    """Markdown: the pooled SzCORE scores of each detector and how they were obtained."""

    def cell(value, digits=3):
        return "n/a" if value is None else f"{value:.{digits}f}"

    lines = [
        "| detector | recordings | hours | seizures | detected | sensitivity | precision | F1 "
        "| false alarms / 24 h | sample sensitivity | sample precision |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for detector, r in records.items():
        s = r["scores"]
        lines.append(
            f"| {detector} | {r['n_recordings']} | {s['hours']:.1f} | {s['n_reference']} "
            f"| {s['n_detected']} | {cell(s['sensitivity'])} | {cell(s['precision'])} "
            f"| {cell(s['f1'])} | {cell(s['fp_per_24h'], 1)} | {cell(s['sample_sensitivity'])} "
            f"| {cell(s['sample_precision'])} |"
        )
    p = next(iter(records.values()))["params"]
    lines.append(
        f"\nWindows with p_sz >= {p['threshold']:g} form events, events closer than "
        f"{p['merge_gap_s']:g} s are merged; scored with `timescoring` (SzCORE): any overlap, "
        f"{p['tolerance_start_s']:g} s before / {p['tolerance_end_s']:g} s after tolerance, "
        f"events split at {p['max_event_s']:g} s, counts pooled over recordings. The detectors "
        "never trained on cv patients. Per-recording events: `events/<detector>/*_events.tsv` "
        "(BIDS / SzCORE format)."
    )
    return "\n".join(lines)


def curve_outputs(train_dir: Path, n_folds: int, plots_dir: Path) -> None:
    """Every fold's training curves as DVC plots: ``<plots>/<quantity>/<detector>_fold<k>.csv``."""
    for detector in DETECTORS:
        for fold in range(n_folds):
            for folder, frame in training_curves(train_dir, detector, fold).items():
                (plots_dir / folder).mkdir(exist_ok=True)
                frame.write_csv(
                    plots_dir / folder / f"{detector}_fold{fold}.csv", float_precision=6
                )


def tsne_figure(
    aligned: pl.DataFrame,
    predictions: pl.DataFrame,
    concepts: pl.DataFrame,
    detector: str,
    fold: int,
    n_windows: int,
    seed: int,
    results_dir: Path,
) -> list[tuple[str, str]]:
    """Fig 3b: t-SNE of SzXAI's aligned window latents h~_t on one held-out fold."""
    sample = sample_windows(aligned, n_windows, seed)
    labels = crop_labels_of(predictions, detector, ALIGNED_METHOD)
    n_seizure = int((sample["label"] == 1).sum())
    latents = as_matrix(sample["h_tilde"])
    # S_nt is a cosine: only the direction of h~_t matters, so embed unit vectors.
    latents = latents / np.maximum(np.linalg.norm(latents, axis=1, keepdims=True), 1e-12)
    figures.plot_tsne(
        latents,
        window_groups(sample, labels, concepts),
        sample["label"].to_numpy() == 1,
        f"t-SNE of aligned window latents $\\tilde{{h}}_t$, SzXAI on {detector}, held-out "
        f"fold {fold} ({sample.height} windows, {n_seizure} seizure)",
        results_dir / "tsne.png",
        seed=seed,
    )
    return [("tsne.png", f"Fig 3b: t-SNE of h~_t on held-out fold {fold} ({detector}), by "
                         "etiology group, seizure and non-seizure windows apart")]  # fmt: skip


def heatmap_figures(
    aligned: pl.DataFrame,
    predictions: pl.DataFrame,
    concepts: pl.DataFrame,
    llm,
    *,
    detector: str,
    fold: int,
    n_crops: int,
    threshold: float,
    window_s: float,
    results_dir: Path,
) -> tuple[list[tuple[str, str]], dict[str, Summary]]:
    """Fig 4 for the chosen crops: S_nt over time, truths, predictions, LLM summary."""
    names = concepts["name"].to_list()
    szxai = predictions.filter(
        (pl.col("detector") == detector) & (pl.col("method") == ALIGNED_METHOD)
    )
    made, summaries = [], {}
    for crop_id in heatmap_crops(aligned, n_crops):
        windows = aligned.filter(pl.col("crop_id") == crop_id)
        pred = szxai.filter(pl.col("crop_id") == crop_id).row(0, named=True)
        probs = np.asarray(pred["probs"], dtype=float)
        order = np.argsort(-probs, kind="stable")
        predicted = [names[i] for i in order if probs[i] >= threshold]
        summary = summarise_etiologies(predicted, llm, names)
        summaries[crop_id] = summary
        n = len(summary.findings)
        of = (
            f"the {n} predicted concepts"
            if n == len(predicted)
            else f"the {n} most probable of {len(predicted)} predicted concepts"
        )
        label = (
            f"Summary of {of} by {getattr(llm, 'name', 'the LLM')}"
            if summary.source == "llm"
            else f"Summary of {of} (template sentence: no LLM answer passed the checks)"
        )
        name = f"heatmap_{_safe_name(crop_id)}.png"
        figures.plot_concept_heatmap(
            as_matrix(windows["similarity"]),
            names,
            window_s,
            windows["label"].to_numpy() == 1,
            np.asarray(pred["labels"], dtype=bool),
            f"Crop {crop_id} (patient {pred['subject']}), held-out fold {fold}: similarity "
            f"$S_{{nt}}$ of $\\tilde{{h}}_t$ to each concept (SzXAI on {detector})",
            summary.sentence,
            results_dir / name,
            probs=probs,
            threshold=threshold,
            sides=concepts["side"].to_list(),
            summary_label=label,
        )
        made.append((name, f"Fig 4: concept similarity S_nt over time, crop {crop_id} "
                           f"({summary.source} summary)"))  # fmt: skip
    return made, summaries


# --------------------------------------------------------------------------- index


# --------------------------------------------------------------------------- the stage


def run(params: Params) -> Evaluation:
    """The stage: :func:`run_evaluation` with the configured LLM, its timing recorded."""
    started = time.perf_counter()
    llm = LLM(params.llm)
    result = run_evaluation(params, llm)
    record_run(params.llm.cache_dir, "evaluate", time.perf_counter() - started, llm.stats())
    return result


@dataclass(frozen=True)
class CvScores:
    """Table 1's cv rows: every held-out prediction, scored per fold and pooled over patients.

    Attributes
    ----------
    concepts : polars.DataFrame
        The bank (:func:`read_concepts`); ``control`` marks its negative controls.
    control : ndarray of bool, shape (N,)
    predictions : polars.DataFrame
        From :func:`~pipeline.evaluate.collect.read_predictions`.
    per_fold : polars.DataFrame
        Each row's metrics per fold (:func:`~pipeline.evaluate.collect.fold_scores`).
    summary : polars.DataFrame
        Table 1: fold means and the pooled values with their bootstrap intervals.
    comparisons : polars.DataFrame
        SzXAI minus every other row, paired (:func:`~pipeline.evaluate.collect.paired_comparisons`).
    """

    concepts: pl.DataFrame
    control: np.ndarray
    predictions: pl.DataFrame
    per_fold: pl.DataFrame
    summary: pl.DataFrame
    comparisons: pl.DataFrame


def score_cv(params: Params) -> CvScores:
    """Score the train stages' held-out predictions as Table 1 and its comparisons do."""
    ev = params.evaluate
    concepts = read_concepts(params.concepts.bank_path)
    control = control_mask(concepts["name"].to_list())
    predictions = read_predictions(params.train.out_dir, DETECTORS, params.folds.n_folds)
    per_fold = fold_scores(predictions, ev.threshold, params.seed, control)
    draws = pooled_draws(predictions, control, ev.threshold, params.seed, ev.bootstrap_draws)
    return CvScores(concepts, control, predictions, per_fold,
                    summarise_folds(per_fold, pooled_intervals(draws)),
                    paired_comparisons(draws, per_fold, ALIGNED_METHOD))  # fmt: skip


def run_evaluation(params: Params, llm) -> Evaluation:
    """Score every method, draw every figure, write the tables and the index.

    Parameters
    ----------
    params : Params
    llm : pipeline.text.llm.LLM
        Writes the Fig 4 summary sentences (any object with its ``complete``).

    Returns
    -------
    Evaluation
    """
    ev = params.evaluate
    out = Outputs(Path(ev.reports_dir))
    scores = score_cv(params)
    concepts, control, predictions = scores.concepts, scores.control, scores.predictions
    per_fold, summary = scores.per_fold, scores.summary
    heldout = read_heldout(params.train, DETECTORS)
    test = None
    if heldout.height:
        test = heldout_summary(heldout, predictions, control, ev.threshold, params.seed,
                               ev.bootstrap_draws)  # fmt: skip
    table = write_tables(summary, test, out)
    comparisons = write_comparisons(scores.comparisons, out)
    with atomic_path(out.concept_auroc) as tmp:
        concept_aurocs(predictions, concepts, control).write_csv(tmp, float_precision=6)

    present = predictions["method"].unique().to_list()
    methods = [m for m in METHOD_ORDER if m in present] + sorted(set(present) - set(METHOD_ORDER))
    method = figure_method(methods)
    fold = ev.figure_fold if ev.figure_fold is not None else best_fold(per_fold, DETECTORS[0])
    result = Evaluation(summary, [], figure_fold=fold, n_crops=predictions["crop_id"].n_unique())
    made: list[tuple[str, str]] = []
    with atomic_path(out.results) as results_dir, atomic_path(out.plots) as plots_dir:
        results_dir.mkdir()
        plots_dir.mkdir()
        # In the paper's order (Fig 3a, 3b, 4), then the supplementary figures.
        made += confusion_outputs(predictions, concepts, method, results_dir, plots_dir)
        made += _aligned_figures(params, predictions, concepts, fold, llm, result, results_dir)
        made += concept_figures(predictions, concepts, method, ev.threshold, results_dir)
        made += roc_outputs(params.detector, results_dir, plots_dir, result.notes)
        event_figures, events_section = event_outputs(params, results_dir, result.notes)
        made += event_figures
        curve_outputs(params.train.out_dir, params.folds.n_folds, plots_dir)
    result.figures = upstream_figures(params)  # Fig 2a, 2b
    result.figures += [(out.results / name, caption) for name, caption in made]

    notes = []
    if result.summaries:
        notes.append(("Fig 4 summary sentences", summaries_section(result.summaries)))
    cases = case_pages_section(params, out.index)
    if cases:
        notes.append(("Case pages", cases))
    if result.notes:
        notes.append(("Skipped", "\n".join(f"- {n}" for n in result.notes)))
    controls = [n for n, c in zip(concepts["name"], control, strict=True) if c]
    after_table = [("Held-out test cohort (scored once)", heldout_section(test))]
    if comparisons:
        after_table.append(("Paired comparisons", comparisons))
    after_table.append(("Methods", methods_section(methods)))
    if set(methods) & set(REFERENCES):
        after_table.append(
            ("Reference rows", references_section(methods, params.train.reference_c))
        )
    after_table.append(("Per-concept AUROC", concept_auroc_section(out.concept_auroc, out.index)))
    if events_section:
        after_table.append(("Detector events (SzCORE)", events_section))
    audit = params.evaluate.audit_markdown_path
    if params.data.source == "synthetic" and audit.is_file():
        after_table.append((
            "Corpus audit",
            "[audit.md](audit.md): nuisance AUROC per concept (recording duration, number of "
            "seizures, sampling rate, montage, ictal rms) in the cv cohort and in thousands of "
            "patients of the same generator, the frozen detectors' sensitivity per seizure "
            "type and false alarms per look-alike, the clipped fraction of seizure samples "
            "per type, the chance band of the negative control's AUROC and what the clip "
            "costs the `features` row.",
        ))  # fmt: skip
    index = render_index(
        table, result.figures, provenance(params, methods, fold), out.index,
        threshold=ev.threshold, n_concepts=concepts.height, control_concepts=controls,
        bootstrap_draws=ev.bootstrap_draws, after_table=after_table, after_figures=notes,
    )  # fmt: skip
    write_text(out.index, index)
    page, missing = markdown_page(index, out.root, "SzXAI results")
    if missing:
        raise ValueError(f"{out.index}: links to missing files {missing}")
    write_text(out.index_html, page)
    return result


def _aligned_figures(params, predictions, concepts, fold, llm, result, results_dir):
    """Fig 3b and Fig 4 from SzXAI's aligned latents, or a note saying why not."""
    detector = DETECTORS[0]
    aligned = None if fold is None else read_aligned(params.train.out_dir, detector, fold)
    if aligned is None or aligned.is_empty():
        result.notes.append(
            f"t-SNE and heatmaps skipped: no SzXAI aligned latents for {detector} fold {fold} "
            f"(is `{ALIGNED_METHOD}` in train.methods?)"
        )
        return []
    ev = params.evaluate
    made = []
    if aligned.height >= 10:  # t-SNE needs more points than its perplexity
        made += tsne_figure(aligned, predictions, concepts, detector, fold, ev.tsne_windows,
                            params.seed, results_dir)  # fmt: skip
    else:
        result.notes.append(f"t-SNE skipped: only {aligned.height} windows in fold {fold}")
    heatmaps, result.summaries = heatmap_figures(
        aligned, predictions, concepts, llm, detector=detector, fold=fold,
        n_crops=ev.heatmap_crops, threshold=ev.threshold,
        window_s=params.preprocess.window_s, results_dir=results_dir,
    )  # fmt: skip
    return made + heatmaps
