"""Audit of the synthetic corpus (spec section 11): can a shortcut give the concepts away?

Seven checks, all against the hidden truth of the cv cohort:

- **Nuisance AUROC** per concept: how well recording duration, number of
  seizures, sampling rate, montage and the patient's ictal amplitude ratio
  alone rank patients with a concept above those without. Near 0.5 means the
  nuisance does not give the concept away. ``high amplitude`` against the
  ictal ratio is reported too, but the ratio is drawn before the concept's own
  gain, so it stays a nuisance there as well.
- **The same in the generator's population**: :data:`POPULATION` cv patients
  drawn from the generator's own streams without their signals (the cohort's
  patients first), with patient-bootstrap intervals. The cohort's ~90 patients
  put a chance AUROC anywhere in about 0.35-0.65; the population shows whether
  the generator itself lets a nuisance give a concept away.
- **Detector sensitivity per seizure type**: the share of each type's seizure
  windows with p_sz >= 0.5, and the window AUROC of that type's seizure
  windows against all background windows, per frozen detector.
- **Look-alikes**: per label-neutral look-alike, the share of its windows each
  detector scores p_sz >= 0.5, and the AUROC of seizures against it: which
  confuser the detector mistakes for a seizure.
- **Clipped fraction per type**: the share of seizure samples that the
  preprocessing's mean +- ``clip_std`` std clip changes, per seizure type.

- **What the clip costs**: the ``features`` reference row recomputed on the
  same crops and folds without the clip, per concept.
- **The control's chance band**: where a row's AUROC on the negative control
  (HFO) falls by chance alone, on Table 1's crops and folds.

With few positive patients an AUROC is noisy (about +-0.08 for 14 positives
among 90): each AUROC comes with the 95th percentile of its permutation null,
so a reader can tell a shortcut from noise.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq

from pipeline.config import Params, PreprocessParams, SynthParams
from pipeline.io.edf import read_edf
from pipeline.metrics import per_concept_auroc
from pipeline.preprocessing.features import extract_features
from pipeline.preprocessing.preprocess import preprocess_corpus
from pipeline.registry import CONTROL_CONCEPTS, DETECTOR_NAMES, REFERENCE_CONCEPTS
from pipeline.signal.filters import resample_bandpass
from pipeline.synth.corpus import cohort_layouts, planted_concepts
from pipeline.szxai.data import Crops, read_concepts, read_crops, read_labels
from pipeline.szxai.references import fold_aurocs, pool_file, window_weights

#: "No clip": mean +- a million std leaves every sample as it is.
NO_CLIP_STD = 1e6
NUISANCES = ("recording duration", "number of seizures", "sampling rate", "montage", "ictal rms")
#: Permutation draws of the null distribution of an AUROC.
N_PERMUTATIONS = 1000
#: cv patients drawn from the generator (plans only, no signal) for the population audit.
POPULATION = 5000
#: Patient-bootstrap draws of the population AUROCs' intervals.
POPULATION_DRAWS = 200


def read_truth(path: str | Path) -> dict:
    """The synthetic truth (``truth.json`` of the synth stage)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def nuisance_table(truth: dict) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Per cv patient: subject ids, nuisance values and planted concept bits.

    Returns
    -------
    subjects : list of str
    values : ndarray, shape (n_patients, len(NUISANCES))
    labels : ndarray of int, shape (n_patients, n_concepts)
    """
    recordings = defaultdict(list)
    for rec in truth["recordings"]:
        recordings[rec["subject"]].append(rec)
    subjects, values, labels = [], [], []
    for patient in truth["patients"]:
        if patient["cohort"] != "cv":
            continue
        recs = recordings[patient["subject"]]
        subjects.append(patient["subject"])
        values.append(nuisance_row([r["duration_s"] for r in recs], patient["n_seizures"],
                                   patient["sfreq"], patient["montage"],
                                   patient["traits"]["ictal_ratio"]))  # fmt: skip
        labels.append(patient["planted_bits"])
    return subjects, np.asarray(values, float), np.asarray(labels, int)


def nuisance_row(
    durations_s: list[float], n_seizures: int, sfreq: float, montage: str, ictal_ratio: float
) -> list[float]:
    """One patient's :data:`NUISANCES`: mean recording duration (s), number of seizures,
    sampling rate (Hz), montage (1 = linked ears) and ictal rms ratio."""
    return [float(np.mean(durations_s)), float(n_seizures), float(sfreq),
            float(montage == "02_tcp_le"), float(ictal_ratio)]  # fmt: skip


def population_nuisances(
    params: SynthParams, seed: int, n: int = POPULATION
) -> tuple[np.ndarray, np.ndarray]:
    """Nuisances and planted concepts of ``n`` cv patients of the generator, signals not drawn.

    The first ``params.n_cv`` are the corpus' own cv patients; the rest come from
    the same streams (:func:`pipeline.synth.corpus.cohort_layouts`). What a
    nuisance gives away in this population is a property of the generator; the
    cv cohort's own AUROCs are a sample of about 90 patients from it.

    Returns
    -------
    values : ndarray, shape (n, len(NUISANCES))
    labels : ndarray of int, shape (n, len(REFERENCE_CONCEPTS))
    """
    values, labels = [], []
    for layout in cohort_layouts(params, seed, "cv", n):
        planted = set(planted_concepts(layout.plan, layout.n_seizures))
        values.append(nuisance_row([r.duration_s for r in layout.recordings], layout.n_seizures,
                                   layout.sfreq, layout.montage,
                                   layout.plan.traits.ictal_ratio))  # fmt: skip
        labels.append([int(c in planted) for c in REFERENCE_CONCEPTS])
    return np.asarray(values, float), np.asarray(labels, int)


def population_aurocs(
    values: np.ndarray, labels: np.ndarray, seed: int, n_draws: int = POPULATION_DRAWS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """AUROC of each nuisance for each concept, with a 95 % patient-bootstrap interval.

    The bootstrap (not a normal approximation) because most nuisances are
    heavily tied (montage and sampling rate take two values).

    Returns
    -------
    auroc, low, high : ndarray, shape (n_concepts, n_nuisances)
    """
    rng = np.random.default_rng(seed)
    n = len(values)

    def aurocs(rows: np.ndarray) -> np.ndarray:
        y, x = labels[rows], values[rows]
        return np.stack([per_concept_auroc(y, np.repeat(x[:, [j]], y.shape[1], axis=1))
                         for j in range(x.shape[1])], axis=1)  # fmt: skip

    draws = np.stack([aurocs(rng.integers(0, n, n)) for _ in range(n_draws)])
    low, high = np.nanpercentile(draws, [2.5, 97.5], axis=0)
    return aurocs(np.arange(n)), low, high


def population_summary(
    names: list[str], auroc: np.ndarray, low: np.ndarray, high: np.ndarray, n: int
) -> dict:
    """JSON-ready block of :func:`population_aurocs`, with the largest distance from 0.5."""
    finite = ~np.isnan(auroc)
    distance = np.where(finite, np.abs(auroc - 0.5), -1.0)
    worst = np.unravel_index(int(np.argmax(distance)), auroc.shape)
    excludes = finite & ((low > 0.5) | (high < 0.5))
    return {
        "patients": n,
        "auroc": {name: {nu: _round(auroc[i, j]) for j, nu in enumerate(NUISANCES)}
                  for i, name in enumerate(names)},
        "interval": {name: {nu: [_round(low[i, j]), _round(high[i, j])]
                            for j, nu in enumerate(NUISANCES)}
                     for i, name in enumerate(names)},
        "worst": {"concept": names[worst[0]], "nuisance": NUISANCES[worst[1]],
                  "auroc": _round(auroc[worst]), "low": _round(low[worst]),
                  "high": _round(high[worst])},
        "n_pairs": int(finite.sum()),
        "n_outside_0.4_0.6": int((finite & ((auroc > 0.6) | (auroc < 0.4))).sum()),
        "n_interval_excludes_0.5": int(excludes.sum()),
    }  # fmt: skip


def nuisance_aurocs(
    values: np.ndarray, labels: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """AUROC of each nuisance for each concept, and its permutation null's 95th percentile.

    Parameters
    ----------
    values : ndarray, shape (n_patients, n_nuisances)
    labels : ndarray, shape (n_patients, n_concepts)
    seed : int

    Returns
    -------
    auroc, null95 : ndarray, shape (n_concepts, n_nuisances)
        NaN where a concept has one class only.
    """
    rng = np.random.default_rng(seed)
    n, n_concepts = labels.shape
    auroc = np.full((n_concepts, values.shape[1]), np.nan)
    null95 = np.full_like(auroc, np.nan)
    perms = np.stack([rng.permutation(n) for _ in range(N_PERMUTATIONS)])
    for j in range(values.shape[1]):
        scores = np.repeat(values[:, j][:, None], n_concepts, axis=1)
        auroc[:, j] = per_concept_auroc(labels, scores)
        # Shuffling the nuisance across patients is the null of no association.
        shuffled = per_concept_auroc(labels, scores[perms])
        null95[:, j] = np.nanpercentile(shuffled, 95, axis=0)
    return auroc, null95


def _read_windows(latents_path: Path) -> pl.DataFrame:
    """Non-padding windows of a detector's latents, numbered in a column ``row``."""
    return (
        pl.from_arrow(
            pq.read_table(
                latents_path, columns=["recording_id", "start_s", "label", "is_pad", "p_sz"]
            )
        )
        .filter(~pl.col("is_pad"))
        .with_row_index("row")
    )


def _kind_of_windows(frame: pl.DataFrame, intervals: list[dict]) -> pl.DataFrame:
    """``row`` and ``kind`` of the windows whose centre falls in an interval of their recording.

    ``intervals``: dicts with ``recording_id``, ``start``, ``stop`` (s) and ``kind``.
    """
    table = pl.DataFrame(
        intervals, schema={"recording_id": pl.String, "start": pl.Float64, "stop": pl.Float64,
                           "kind": pl.String},
    )  # fmt: skip
    centre = pl.col("start_s") + 0.5
    return (
        frame.join(table, on="recording_id", how="inner")
        .filter((centre >= pl.col("start")) & (centre < pl.col("stop")))
        .select("row", "kind")
        .unique("row", keep="first")
    )


def window_types(latents_path: Path, truth: dict) -> pl.DataFrame:
    """Non-padding windows of a detector's latents with their seizure type (null = background).

    Columns ``recording_id``, ``label``, ``p_sz``, ``type``.
    """
    frame = _read_windows(latents_path)
    seizures = [
        {"recording_id": r["recording_id"], "start": a, "stop": b, "kind": kind}
        for r in truth["recordings"]
        for (a, b), kind in zip(r["seizures"], r["seizure_types"], strict=True)
    ]
    typed = _kind_of_windows(frame.filter(pl.col("label") == 1), seizures)
    return (
        frame.join(typed, on="row", how="left")
        .rename({"kind": "type"})
        .select("recording_id", "label", "p_sz", "type")
    )


#: Non-seizure windows on none of the look-alikes.
PLAIN_BACKGROUND = "plain background"


def lookalike_scores(latents_path: Path, truth: dict, threshold: float = 0.5) -> list[dict]:
    """How a detector scores each label-neutral look-alike of ``truth.json`` (spec 10).

    Per look-alike kind (and :data:`PLAIN_BACKGROUND`, the non-seizure windows
    on none): its non-seizure windows, the share with p_sz >= ``threshold`` (the
    detector's false alarms), the median p_sz, and the window AUROC of all
    seizure windows against this kind's windows: how well the detector tells
    seizures from this one look-alike.
    """
    frame = _read_windows(latents_path)
    events = [
        {"recording_id": r["recording_id"], "start": e["start"], "stop": e["stop"],
         "kind": e["kind"]}
        for r in truth["recordings"]
        for e in r.get("confusers", [])
    ]  # fmt: skip
    background = frame.filter(pl.col("label") == 0)
    kinds = background.join(_kind_of_windows(background, events), on="row", how="left")
    seizure = frame.filter(pl.col("label") == 1)["p_sz"].to_numpy()
    out = []
    for (kind,), group in kinds.group_by("kind"):
        p = group["p_sz"].to_numpy()
        scores = np.concatenate([seizure, p])[:, None]
        y = np.concatenate([np.ones(len(seizure), int), np.zeros(len(p), int)])[:, None]
        out.append(
            {
                "kind": kind or PLAIN_BACKGROUND,
                "windows": len(p),
                "false_alarm_share": float(np.mean(p >= threshold)),
                "median_p_sz": float(np.median(p)),
                "auroc": float(per_concept_auroc(y, scores)[0]) if len(seizure) else None,
            }
        )
    return sorted(out, key=lambda r: (r["kind"] == PLAIN_BACKGROUND, r["kind"]))


def _lookalike_lines(lookalikes: dict[str, list[dict]]) -> list[str]:
    """The report's section on the detectors' scores for each look-alike."""
    lines = ["", "## Frozen detectors on the look-alikes", "",
             "Non-seizure windows per label-neutral look-alike of `truth.json` (spec 10): the "
             "share the detector scores p_sz >= 0.5 (false alarms), the median p_sz, and the "
             "AUROC of all seizure windows against this look-alike's windows.", "",
             "| detector | look-alike | windows | p_sz >= 0.5 | median p_sz | AUROC |",
             "| --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for detector, rows in lookalikes.items():
        for r in rows:
            auroc = "n/a" if r["auroc"] is None else f"{r['auroc']:.3f}"
            share, median = r["false_alarm_share"], r["median_p_sz"]
            lines.append(
                f"| {detector} | {r['kind']} | {r['windows']} | {share:.3f} | {median:.3f} | "
                f"{auroc} |"
            )
    return lines


def sensitivity_by_type(windows: pl.DataFrame, threshold: float = 0.5) -> list[dict]:
    """Per seizure type: windows, sensitivity at ``threshold``, AUROC against background."""
    background = windows.filter(pl.col("label") == 0)["p_sz"].to_numpy()
    out = []
    for (kind,), group in windows.filter(pl.col("label") == 1).group_by(
        "type", maintain_order=True
    ):
        p = group["p_sz"].to_numpy()
        scores = np.concatenate([p, background])[:, None]
        y = np.concatenate([np.ones(len(p), int), np.zeros(len(background), int)])[:, None]
        out.append(
            {
                "type": kind,
                "windows": len(p),
                "sensitivity": float(np.mean(p >= threshold)),
                "auroc": float(per_concept_auroc(y, scores)[0]),
            }
        )
    return sorted(out, key=lambda r: str(r["type"]))


def clipped_fraction_by_type(
    truth: dict, data_root: Path, params: PreprocessParams, cohort: str = "cv"
) -> list[dict]:
    """Share of seizure samples changed by the mean +- clip_std std clip, per seizure type.

    Streams the recordings one at a time through the preprocessing's own
    resampling + band-pass, then applies the clip test per channel.
    """
    clipped: dict[str, float] = defaultdict(float)
    total: dict[str, float] = defaultdict(float)
    for rec in truth["recordings"]:
        if rec["cohort"] != cohort or not rec["seizures"]:
            continue
        signals = read_edf(data_root / rec["edf_path"], params.channels, dtype=np.float32)
        data = resample_bandpass(
            signals.data, signals.sfreq, params.sfreq, params.l_freq, params.h_freq,
            params.filter_order,
        )  # fmt: skip
        mean = data.mean(axis=1, keepdims=True)
        std = data.std(axis=1, keepdims=True)
        outside = np.abs(data - mean) > params.clip_std * std
        for (a, b), kind in zip(rec["seizures"], rec["seizure_types"], strict=True):
            seg = outside[:, int(a * params.sfreq) : int(b * params.sfreq)]
            clipped[kind] += float(seg.sum())
            total[kind] += float(seg.size)
    return [
        {"type": kind, "clipped_fraction": clipped[kind] / total[kind]}
        for kind in sorted(total)
        if total[kind]
    ]


def nuisance_summary(names: list[str], auroc: np.ndarray, null95: np.ndarray) -> dict:
    """JSON-ready nuisance block: per concept x nuisance AUROC and null, plus the counts."""
    finite = ~np.isnan(auroc)
    return {
        "auroc": {
            name: {nu: _round(auroc[i, j]) for j, nu in enumerate(NUISANCES)}
            for i, name in enumerate(names)
        },
        "null95": {
            name: {nu: _round(null95[i, j]) for j, nu in enumerate(NUISANCES)}
            for i, name in enumerate(names)
        },
        "max_auroc": _round(np.nanmax(auroc)),
        "n_pairs": int(finite.sum()),
        "n_above_0.6": int((auroc[finite] > 0.6).sum()),
        "n_above_null95": int((auroc[finite] > null95[finite]).sum()),
        # Under no association about 5 % of the pairs exceed their null's 95th percentile.
        "expected_above_null95": round(0.05 * int(finite.sum()), 1),
    }


def _round(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 3)


def render_audit(report: dict) -> str:
    """The audit as Markdown (``reports/audit.md``)."""
    nu = report["nuisance"]
    lines = [
        "# Corpus audit (synthetic data only)",
        "",
        "Can anything but the EEG patterns give the concepts away? Spec section 11; computed "
        "on the cv cohort against the hidden truth (planted concepts).",
        "",
        "## Nuisance AUROC per concept",
        "",
        f"{nu['n_pairs']} concept x nuisance pairs; the largest AUROC is {nu['max_auroc']}; "
        f"{nu['n_above_0.6']} exceed 0.6 and {nu['n_above_null95']} exceed the 95th percentile "
        f"of their permutation null (about {nu['expected_above_null95']} would by chance alone).",
        "",
        "| concept | " + " | ".join(NUISANCES) + " |",
        "| --- |" + " --- |" * len(NUISANCES),
    ]
    for name, row in nu["auroc"].items():
        cells = []
        for nuisance in NUISANCES:
            value, null = row[nuisance], nu["null95"][name][nuisance]
            mark = "" if value is None or null is None or value <= null else " *"
            cells.append("n/a" if value is None else f"{value:.2f}{mark}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "\\* above the 95th percentile of the permutation null.", ""]
    if report.get("population"):
        lines += _population_lines(report["population"])
    lines += ["## Frozen detectors per seizure type", "",
              "Sensitivity: share of the type's seizure windows with p_sz >= 0.5; AUROC: the "
              "type's seizure windows against all background windows.", "",
              "| detector | seizure type | windows | sensitivity | AUROC |",
              "| --- | --- | --- | --- | --- |"]  # fmt: skip
    for detector, rows in report["detectors"].items():
        for r in rows:
            lines.append(f"| {detector} | {r['type']} | {r['windows']} | "
                         f"{r['sensitivity']:.2f} | {r['auroc']:.3f} |")  # fmt: skip
    if report.get("lookalikes"):
        lines += _lookalike_lines(report["lookalikes"])
    lines += ["", f"## Clipped fraction per seizure type (clip at mean +- "
              f"{report['clip_std']:g} std)", "", "| seizure type | clipped fraction |",
              "| --- | --- |"]  # fmt: skip
    for r in report["clipped"]:
        lines.append(f"| {r['type']} | {r['clipped_fraction']:.3f} |")
    if report.get("control_bands"):
        lines += ["", "## The negative control's chance band", "",
                  "AUROC of a score drawn at random, independent of the labels, scored as "
                  "Table 1 scores a row (1000 draws, 2.5th-97.5th percentile): a row's control "
                  "AUROC inside the band is what chance alone gives on these folds.", "",
                  "| control | positive crops | mean over folds | pooled |",
                  "| --- | --- | --- | --- |"]  # fmt: skip

        def interval(low: float | None, high: float | None) -> str:
            return "n/a" if low is None or high is None else f"[{low:.2f}, {high:.2f}]"

        for name, b in report["control_bands"].items():
            lines.append(f"| {name} | {b['positives']} | "
                         f"{interval(b['fold_mean_low'], b['fold_mean_high'])} | "
                         f"{interval(b['pooled_low'], b['pooled_high'])} |")  # fmt: skip
    if report.get("features_by_clip"):
        by_clip = report["features_by_clip"]
        lines += ["", "## What the clip costs: the `features` reference row with and without it",
                  "", "Per-concept AUROC, mean over the folds (DeepSOZ's p_sz pools the "
                  "windows, as in Table 1); clip off = the same preprocessing without the "
                  "mean +- std clip.", "", "| concept | clip on | clip off |",
                  "| --- | --- | --- |"]  # fmt: skip
        macro = {
            side: np.mean([a for c, a in by_clip[side].items()
                           if a is not None and c not in CONTROL_CONCEPTS])
            for side in ("clip on", "clip off")
        }  # fmt: skip
        lines.append(f"| **macro (all but the control)** | {macro['clip on']:.3f} | "
                     f"{macro['clip off']:.3f} |")  # fmt: skip
        for name, on in by_clip["clip on"].items():
            off = by_clip["clip off"][name]
            lines.append(f"| {name} | {'n/a' if on is None else f'{on:.2f}'} | "
                         f"{'n/a' if off is None else f'{off:.2f}'} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def _population_lines(pop: dict) -> list[str]:
    """The population block of :func:`render_audit`."""
    w = pop["worst"]
    lines = [
        "## Nuisance AUROC in the generator's population", "",
        f"{pop['patients']} cv patients drawn from the generator's own streams (their plans "
        "only, no signal; the first of them are the cv cohort above, the rest more of the same "
        "population). An AUROC here is what the generator gives away; the table above is a "
        "sample of one cohort from it, whose spread is mostly chance. 95 % patient-bootstrap "
        "intervals.", "",
        f"Farthest from 0.5: {w['concept']} x {w['nuisance']}, {w['auroc']:.3f} "
        f"[{w['low']:.3f}, {w['high']:.3f}]; {pop['n_outside_0.4_0.6']} of {pop['n_pairs']} "
        f"pairs outside [0.4, 0.6]; {pop['n_interval_excludes_0.5']} intervals exclude 0.5 "
        f"(about {round(0.05 * pop['n_pairs'])} would by chance alone; the concepts co-occur, "
        "so that count varies more than a binomial one).", "",
        "| concept | " + " | ".join(NUISANCES) + " |",
        "| --- |" + " --- |" * len(NUISANCES),
    ]  # fmt: skip
    for name, row in pop["auroc"].items():
        cells = []
        for nuisance in NUISANCES:
            low, high = pop["interval"][name][nuisance]
            value = row[nuisance]
            mark = "" if value is None or low is None or low <= 0.5 <= high else " \u2020"
            cells.append("n/a" if value is None else f"{value:.3f}{mark}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return [*lines, "", "\u2020 the interval excludes 0.5.", ""]


def cv_crops(
    params: Params, detector: str, labels: dict[str, np.ndarray] | None = None
) -> tuple[Crops, np.ndarray, Path]:
    """Table 1's labelled cv crops of a detector's latents, with their held-out fold.

    Parameters
    ----------
    params : Params
    detector : str
    labels : dict of subject -> ndarray, optional
        Per-patient concept labels; default the labels stage's (what Table 1 uses).

    Returns
    -------
    crops : Crops
    fold : ndarray of int, shape (n_crops,)
    latents : Path
        The detector's latents.parquet.
    """
    if labels is None:
        labels = read_labels(params.labels.table_path("labels"))
    folds = pl.read_csv(params.folds.path, schema_overrides={"subject": pl.String})
    fold_of = dict(zip(folds["subject"], folds["fold"], strict=True))
    latents = params.detector.latents_path(detector)
    crops = read_crops(latents, labels, set(fold_of))
    return crops, np.array([fold_of[s] for s in crops.subjects]), latents


def features_by_clip(
    params: Params, detector: str = DETECTOR_NAMES[0]
) -> dict[str, dict[str, float | None]]:
    """Per-concept AUROC of the ``features`` reference row with the paper's clip and without.

    The same windows, features, pooling (the detector's p_sz) and folds as
    Table 1's ``features`` row; only the preprocessing's clip differs. The
    clip-off windows are made in a temporary folder and thrown away.

    Returns
    -------
    dict
        ``{"clip on": {concept: AUROC}, "clip off": {...}}``, mean over the folds.
    """

    crops, fold, latents = cv_crops(params, detector)
    weights = window_weights(latents, crops.crop_ids)
    concepts = read_concepts(params.concepts.bank_path)
    manifest = pl.read_parquet(params.ingest.manifest_path).filter(pl.col("cohort") == "cv")
    paths = {"clip on": params.features.cv_path}
    with tempfile.TemporaryDirectory() as tmp:
        unclipped = params.preprocess.model_copy(
            update={"clip_std": NO_CLIP_STD, "out_dir": Path(tmp) / "processed"}
        )
        paths["clip off"] = Path(tmp) / "features.parquet"
        preprocess_corpus(manifest, unclipped, params.seed, unclipped.out_dir)
        extract_features(
            unclipped.windows_path("cv"), paths["clip off"], params.features, unclipped
        )
        out = {}
        for name, path in paths.items():
            pooled = pool_file(Path(path), ["f"], crops.crop_ids, weights)["f"]
            aurocs = fold_aurocs(pooled, crops.labels, fold, params.folds.ids, concepts.seizure,
                                 params.train.reference_c)  # fmt: skip
            with np.errstate(all="ignore"):
                mean = np.nanmean(aurocs, axis=0)
            out[name] = {c: _round(a) for c, a in zip(concepts.names, mean, strict=True)}
    return out


def control_null_band(
    labels: np.ndarray,
    fold: np.ndarray,
    fold_ids: list[int],
    draws: int = N_PERMUTATIONS,
    seed: int = 0,
) -> dict[str, float]:
    """95 % band of a control concept's AUROC for a score that knows nothing.

    Scores drawn uniformly at random, independent of the labels, scored as
    Table 1 scores a row: the mean over the held-out folds, and pooled over
    all crops. With ~2 positive patients per fold the fold mean of even a
    perfect null is far from exactly 0.5; a row's control AUROC inside this
    band is what chance alone gives.

    Parameters
    ----------
    labels : ndarray of {0, 1}, shape (n_crops,)
        The control concept's labels.
    fold : ndarray of int, shape (n_crops,)
        Held-out fold of each crop.
    fold_ids : list of int
    draws : int
    seed : int

    Returns
    -------
    dict
        ``fold_mean_low``, ``fold_mean_high``, ``pooled_low``, ``pooled_high``
        (2.5th and 97.5th percentiles) and ``positives``.
    """
    y = np.asarray(labels).reshape(-1, 1)
    scores = np.random.default_rng(seed).random((draws, len(y), 1))
    per_fold = [per_concept_auroc(y[fold == k], scores[:, fold == k])[:, 0] for k in fold_ids]
    pooled = per_concept_auroc(y, scores)[:, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # one class only: NaN, shown as n/a
        fold_mean = np.nanmean(np.stack(per_fold, axis=1), axis=1)
        low, high = np.nanpercentile(fold_mean, [2.5, 97.5])
        pooled_low, pooled_high = np.nanpercentile(pooled, [2.5, 97.5])
    return {"fold_mean_low": _round(low), "fold_mean_high": _round(high),
            "pooled_low": _round(pooled_low), "pooled_high": _round(pooled_high),
            "positives": int(y.sum())}  # fmt: skip


def _control_bands(params: Params, detector: str = DETECTOR_NAMES[0]) -> dict[str, dict]:
    """:func:`control_null_band` of every control concept on Table 1's crops and folds."""
    crops, fold, _ = cv_crops(params, detector)
    names = list(read_concepts(params.concepts.bank_path).names)
    return {
        c: control_null_band(crops.labels[:, names.index(c)], fold, list(params.folds.ids),
                             seed=params.seed)
        for c in CONTROL_CONCEPTS if c in names
    }  # fmt: skip


def run_audit(params: Params, with_clip_comparison: bool = True) -> dict:
    """The whole audit of the synthetic corpus (see the module docstring).

    Parameters
    ----------
    params : Params
    with_clip_comparison : bool
        Also recompute the ``features`` row without the clip (preprocess and
        features of the cv cohort once more: about a minute on 2 cores).
    """

    truth = read_truth(params.synth.truth_path)
    _, values, labels = nuisance_table(truth)
    auroc, null95 = nuisance_aurocs(values, labels, params.seed)
    population, concepts = population_nuisances(params.synth, params.seed), list(REFERENCE_CONCEPTS)
    report = {
        "nuisance": nuisance_summary(concepts, auroc, null95),
        "population": population_summary(
            concepts, *population_aurocs(*population, params.seed), len(population[0])
        ),
        "detectors": {},
        "lookalikes": {},
        "clip_std": params.preprocess.clip_std,
        "clipped": clipped_fraction_by_type(truth, params.data.root, params.preprocess),
    }
    for name in DETECTOR_NAMES:
        path = params.detector.latents_path(name)
        if path.is_file():
            report["detectors"][name] = sensitivity_by_type(window_types(path, truth))
            report["lookalikes"][name] = lookalike_scores(path, truth)
    if params.detector.latents_path(DETECTOR_NAMES[0]).is_file():
        report["control_bands"] = _control_bands(params)
    if with_clip_comparison:
        report["features_by_clip"] = features_by_clip(params)
    return report
