"""The evaluate stage end to end on a tiny fake train-output tree (LLM stubbed).

The fake tree has the train stage's layout (2 detectors x 3 folds, a few crops,
seeded random probabilities and labels, small aligned latents) so every table,
figure and link of ``reports/`` can be checked in a second or two.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest
import yaml
from sklearn.metrics import roc_auc_score

from pipeline.config import (
    REFERENCES,
    ConceptParams,
    DetectorParams,
    EvaluateParams,
    EventParams,
    FoldParams,
    LabelParams,
    LLMParams,
    Params,
    TrainParams,
)
from pipeline.evaluate.events import events_dir
from pipeline.evaluate.selection import best_fold, heatmap_crops, sample_windows, window_groups
from pipeline.metrics import TABLE_METRICS, macro_metrics
from pipeline.stages.evaluate import DETECTORS, Outputs, run_evaluation
from pipeline.stages.events import event_record
from pipeline.szxai.data import PREDICTIONS_FILE, predictions_schema
from tests.helpers import REPO

CONCEPTS = [  # name, side, group: both sides, all four groups, the negative control
    ("spike and wave", "seizure", "spiking"),
    ("high frequency oscillation", "seizure", "spiking"),
    ("rhythmic", "seizure", "rhythmic"),
    ("burst suppression", "seizure", "background"),
    ("slowing", "non-seizure", "background"),
    ("PLED", "non-seizure", "interictal"),
    ("evolving frequency", "non-seizure", "rhythmic"),
]
N_FOLDS, CROPS_PER_FOLD, N_WINDOWS, D_E = 3, 4, 30, 8
CONTROL = 1  # index of the negative control in CONCEPTS
METHODS = ("szxai", "yan", "patricio", *REFERENCES)


class StubLLM:
    """Answers the summary prompt by naming every listed finding."""

    name = "stub-llm"
    params = SimpleNamespace(seed=7)

    def __init__(self):
        self.calls = 0

    def complete(self, prompt, *, stop=(), max_tokens=None, seed=None):
        self.calls += 1
        listed = prompt.rsplit("Findings: ", 1)[1].split("\n")[0].split("; ")
        return f" The recording shows {' and '.join(listed)}."


def _write_bank(path: Path) -> None:
    rng = np.random.default_rng(0)
    frame = pl.DataFrame(
        {
            "index": range(len(CONCEPTS)),
            "name": [c[0] for c in CONCEPTS],
            "side": [c[1] for c in CONCEPTS],
            "group": [c[2] for c in CONCEPTS],
            "aliases": [[] for _ in CONCEPTS],
            "origin": "seed",
            "embedding": rng.normal(size=(len(CONCEPTS), D_E)).astype(np.float32),
        },
        schema_overrides={"aliases": pl.List(pl.String)},
    )
    path.parent.mkdir(parents=True)
    frame.write_parquet(path)


def _write_fold(out: Path, detector: str, fold: int, methods, rng) -> None:
    n = len(CONCEPTS)
    rows, windows = [], []
    for c in range(CROPS_PER_FOLD):
        crop, subject = f"p{fold}{c}_s001_t000_c00", f"p{fold}{c}"
        labels = (rng.random(n) < 0.4).astype(np.int8)
        if c == 0:
            labels[:] = 0  # an unlabelled crop: it has no true etiology group
        else:
            labels[c % n] = 1
        for method in methods:
            rows.append({"method": method, "crop_id": crop, "subject": subject,
                         "probs": rng.random(n).astype(np.float32), "labels": labels})  # fmt: skip
        seizure = np.zeros(N_WINDOWS, np.int8)
        seizure[8 + c : 14 + c] = 1
        pad = np.arange(N_WINDOWS) >= N_WINDOWS - c  # later crops are shorter
        windows.append(
            pl.DataFrame(
                {"crop_id": crop, "subject": subject, "window_index": np.arange(N_WINDOWS),
                 "label": seizure, "is_pad": pad, "p_sz": rng.random(N_WINDOWS)
                 .astype(np.float32),
                 "h_tilde": rng.normal(size=(N_WINDOWS, D_E)).astype(np.float32),
                 "similarity": rng.uniform(-1, 1, (N_WINDOWS, n)).astype(np.float32)}
            )
        )  # fmt: skip
    folder = out / detector / f"fold{fold}"
    folder.mkdir(parents=True)
    schema = {"method": pl.String, "crop_id": pl.String, "subject": pl.String,
              "probs": pl.Array(pl.Float32, n), "labels": pl.Array(pl.Int8, n)}  # fmt: skip
    pl.DataFrame(rows, schema=schema).write_parquet(folder / "predictions.parquet")
    if "szxai" in methods:
        pl.concat(windows).write_parquet(folder / "latents_aligned.parquet")
    # Training histories as run_fold writes them: every method stops at its own epoch.
    histories = {
        m: {"history": [{"epoch": e, "cp": 1.0 / e, "val_auroc": 0.5 + 0.01 * e}
                        for e in range(1, 4 + i)]}
        for i, m in enumerate(methods) if m not in REFERENCES
    }  # fmt: skip
    (folder / "metrics.json").write_text(json.dumps({"methods": histories}) + "\n")


def _write_heldout(out: Path, detector: str, rng, n_crops: int = 12) -> None:
    """The final head's predictions on a test cohort of 6 patients, as heldout@ writes them."""
    n = len(CONCEPTS)
    rows = [{"method": "szxai", "crop_id": f"t{c}_s001_t000_c00", "subject": f"t{c // 2}",
             "probs": rng.random(n).astype(np.float32),
             "labels": (rng.random(n) < 0.5).astype(np.int8)} for c in range(n_crops)]  # fmt: skip
    folder = out / detector / "heldout"
    folder.mkdir(parents=True)
    pl.DataFrame(rows, schema=predictions_schema(n)).write_parquet(folder / PREDICTIONS_FILE)


def _write_detector_latents(out: Path, rng) -> None:
    for detector in DETECTORS:
        label = (rng.random(500) < 0.2).astype(np.int8)
        p_sz = np.clip(label * 0.6 + rng.random(500) * 0.5, 0, 1).astype(np.float32)
        (out / detector).mkdir(parents=True)
        frame = pl.DataFrame({"label": label, "is_pad": rng.random(500) < 0.05, "p_sz": p_sz})
        frame.write_parquet(out / detector / "latents.parquet")


def _write_event_scores(reports: Path, rng) -> None:
    """What ``events@<detector>`` writes, from p_sz of two one-hour recordings."""
    for detector in DETECTORS:
        rows = []
        for k in range(2):
            p_sz = rng.random(3600) * 0.4
            p_sz[600:660] = 0.9  # the annotated seizure, found
            p_sz[2000 + 500 * k : 2020 + 500 * k] = 0.8  # a false alarm
            rows.append((f"rec{k}", p_sz.astype(np.float32), 3600.0, [(600.0, 660.0)]))
        record = event_record(detector, rows, EventParams(threshold=0.5), 1.0)
        path = events_dir(reports) / f"{detector}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record), encoding="utf-8")


def make_project(root: Path, methods=METHODS) -> Params:
    """A fake project under ``root`` (reports in ``root/reports``) and its params."""
    rng = np.random.default_rng(42)
    _write_bank(root / "data/concepts/bank.parquet")
    for detector in DETECTORS:
        for fold in range(N_FOLDS):
            _write_fold(root / "data/train", detector, fold, methods, rng)
        _write_heldout(root / "data/train", detector, rng)
    _write_detector_latents(root / "data/latents", rng)
    _write_event_scores(root / "reports", rng)
    upstream = root / "reports/figures/concept_similarity.png"
    upstream.parent.mkdir(parents=True)
    upstream.write_bytes(b"an upstream figure")  # only its existence matters
    return Params(
        folds=FoldParams(ids=tuple(range(N_FOLDS))),
        train=TrainParams(out_dir=root / "data/train"),
        detector=DetectorParams(out_dir=root / "data/latents"),
        concepts=ConceptParams(bank_path=root / "data/concepts/bank.parquet", figure_path=upstream),
        labels=LabelParams(figure_path=root / "reports/figures/labels_quality.png"),
        llm=LLMParams(cache_dir=root / "llm_cache"),
        evaluate=EvaluateParams(reports_dir=root / "reports", tsne_windows=50, heatmap_crops=2),
    )


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    params = make_project(root)
    llm = StubLLM()
    result = run_evaluation(params, llm)
    return SimpleNamespace(root=root, params=params, result=result, llm=llm,
                           out=Outputs(root / "reports"))  # fmt: skip


def test_every_output_exists(evaluated):
    out = evaluated.out
    for path in (out.table_md, out.table_csv, out.metrics, out.index, out.concept_auroc,
                 out.comparisons_md, out.comparisons_csv):  # fmt: skip
        assert path.is_file(), path
    results = sorted(p.name for p in out.results.iterdir())
    expected = {f"{kind}_{d}.png" for kind in ("confusion", "concepts") for d in DETECTORS}
    assert expected | {"roc.png", "tsne.png", "events.png"} <= set(results)
    assert len([r for r in results if r.startswith("heatmap_")]) == 2
    assert sorted(p.name for p in out.plots.iterdir()) == sorted(
        [f"{kind}_{d}.csv" for kind in ("confusion", "roc") for d in DETECTORS]
        + ["training", "validation"]
    )
    assert not [p for p in out.root.rglob("*.tmp")], "a temporary file was left behind"


def test_pngs_are_real_figures(evaluated):
    for path in evaluated.out.results.glob("*.png"):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
        assert path.stat().st_size > 20_000, f"{path.name} looks empty"


def test_training_curves_are_dvc_plots_one_csv_per_fold(evaluated):
    for detector in DETECTORS:
        for fold in range(N_FOLDS):
            frame = pl.read_csv(evaluated.out.plots / "training" / f"{detector}_fold{fold}.csv")
            assert frame.columns == ["epoch", "szxai", "yan", "patricio"]
            assert frame["epoch"].to_list() == [1, 2, 3, 4, 5]  # the longest history
            assert frame["szxai"].to_list()[:3] == pytest.approx([1.0, 0.5, 1 / 3])
            assert frame["szxai"].null_count() == 2  # stopped after epoch 3
            val = pl.read_csv(evaluated.out.plots / "validation" / f"{detector}_fold{fold}.csv")
            assert val["yan"].to_list()[:4] == pytest.approx([0.51, 0.52, 0.53, 0.54])
    dvc_plots = (REPO / "dvc.yaml").read_text()
    assert "reports/plots/training/:" in dvc_plots and "reports/plots/validation/:" in dvc_plots


def test_table1_equals_a_direct_recomputation(evaluated):
    table = pl.read_csv(evaluated.out.table_csv)
    row = table.filter((pl.col("detector") == "cnnblstm") & (pl.col("method") == "szxai"))
    per_fold, hfo, pooled = [], [], []
    keep = np.arange(len(CONCEPTS)) != CONTROL  # the macro columns leave the control out
    for fold in range(N_FOLDS):
        frame = pl.read_parquet(
            evaluated.root / f"data/train/cnnblstm/fold{fold}/predictions.parquet"
        ).filter(pl.col("method") == "szxai")
        labels, probs = np.stack(frame["labels"].to_list()), np.stack(frame["probs"].to_list())
        if 0 < labels[:, CONTROL].sum() < len(labels):
            hfo.append(roc_auc_score(labels[:, CONTROL], probs[:, CONTROL]))
        labels, probs = labels[:, keep], probs[:, keep]
        pooled.append((labels, probs))
        both = (labels.min(axis=0) == 0) & (labels.max(axis=0) == 1)
        auroc = np.mean(roc_auc_score(labels[:, both], probs[:, both], average=None))
        per_fold.append({**macro_metrics(labels, probs >= 0.5), "auroc": auroc})
    labels, probs = (np.concatenate(parts) for parts in zip(*pooled, strict=True))
    both = (labels.min(axis=0) == 0) & (labels.max(axis=0) == 1)
    on_pooled = {
        **macro_metrics(labels, probs >= 0.5),
        "auroc": np.mean(roc_auc_score(labels[:, both], probs[:, both], average=None)),
    }
    metrics = json.loads(evaluated.out.metrics.read_text())
    for name in TABLE_METRICS:
        values = np.array([f[name] for f in per_fold])
        assert row[f"{name}_mean"][0] == pytest.approx(np.nanmean(values), abs=1e-6)
        assert row[f"{name}_std"][0] == pytest.approx(np.nanstd(values, ddof=1), abs=1e-6)
        assert row[f"{name}_pooled"][0] == pytest.approx(on_pooled[name], abs=1e-6)
        # metrics.json: the headline only, pooled value and interval per metric.
        headline = metrics["cnnblstm"]["szxai"]
        assert headline[name] == pytest.approx(on_pooled[name], abs=1e-4)
        assert headline[f"{name}_low"] <= headline[name] <= headline[f"{name}_high"]
    assert set(metrics["cnnblstm"]["szxai"]) == {
        f"{m}{suffix}" for m in TABLE_METRICS for suffix in ("", "_low", "_high")
    }
    assert "chance" not in metrics["cnnblstm"]
    assert hfo and row["auroc_hfo"][0] == pytest.approx(np.mean(hfo), abs=1e-6)
    assert set(table["method"]) == {*METHODS, "chance"}
    assert "| deepsoz | szxai |" in evaluated.out.table_md.read_text()


def test_the_test_cohort_is_its_own_block_scored_on_its_crops(evaluated):
    test = pl.read_csv(evaluated.out.test_csv)
    assert sorted(set(test["method"])) == ["chance", "szxai"]
    row = test.filter((pl.col("detector") == "deepsoz") & (pl.col("method") == "szxai"))
    frame = pl.read_parquet(evaluated.root / "data/train/deepsoz/heldout" / PREDICTIONS_FILE)
    labels, probs = np.stack(frame["labels"].to_list()), np.stack(frame["probs"].to_list())
    keep = np.arange(len(CONCEPTS)) != CONTROL
    both = (labels[:, keep].min(axis=0) == 0) & (labels[:, keep].max(axis=0) == 1)
    expected = np.mean(roc_auc_score(labels[:, keep][:, both], probs[:, keep][:, both],
                                     average=None))  # fmt: skip
    assert row["auroc_pooled"][0] == pytest.approx(expected, abs=1e-6)
    assert row["auroc_low"][0] <= expected <= row["auroc_high"][0]
    assert (row["n_patients"][0], row["n_crops"][0]) == (6, 12)
    assert json.loads(evaluated.out.metrics.read_text())["test"]["deepsoz"]["szxai"]
    assert "Held-out test cohort (scored once)" in evaluated.out.index.read_text()


def test_reference_rows_follow_the_methods_and_are_marked(evaluated):
    table = pl.read_csv(evaluated.out.table_csv)
    deepsoz = table.filter(pl.col("detector") == "deepsoz")
    assert deepsoz["method"].to_list() == ["szxai", "patricio", "yan", *REFERENCES, "chance"]
    assert deepsoz["reference"].to_list() == [False] * 3 + [True] * 4 + [False]
    for column in ("auroc_pooled", "auroc_low", "auroc_high", "auroc_hfo"):
        assert column in table.columns
    rows = table.filter(pl.col("method") != "chance")
    for metric in TABLE_METRICS:
        defined = rows.drop_nulls(f"{metric}_low")
        assert (defined[f"{metric}_low"] <= defined[f"{metric}_pooled"]).all()
        assert (defined[f"{metric}_pooled"] <= defined[f"{metric}_high"]).all()
    assert table.filter(pl.col("method") == "chance")["auroc_low"].is_null().all()
    md = evaluated.out.table_md.read_text()
    assert "| deepsoz | probe-random (reference) |" in md
    assert re.search(r"\| 0\.\d{3} \[0\.\d{3}, 0\.\d{3}\] \|", md)
    assert "HFO AUROC (control)" in md.splitlines()[0]
    metrics = json.loads(evaluated.out.metrics.read_text())
    assert set(REFERENCES) <= set(metrics["deepsoz"])
    assert metrics["deepsoz"]["probe"]["auroc_high"] is not None
    index = evaluated.out.index.read_text(encoding="utf-8")
    assert "## Reference rows" in index and "`probe-random` = the same" in index
    assert "percentile-bootstrap interval over patients: 1000 seeded draws" in index
    assert "other than the negative control (`high frequency oscillation`)" in index
    assert "[`concept_auroc.csv`](concept_auroc.csv)" in index


def test_concept_auroc_csv_has_every_row_and_concept(evaluated):
    frame = pl.read_csv(evaluated.out.concept_auroc)
    assert frame.columns == ["detector", "method", "concept", "side", "control", "auroc_mean",
                             "auroc_folds", "auroc_pooled"]  # fmt: skip
    assert frame.height == len(DETECTORS) * len(METHODS) * len(CONCEPTS)
    assert frame.filter(pl.col("control"))["concept"].unique().to_list() == [
        "high frequency oscillation"
    ]
    # Pooled: scikit-learn's AUROC over every held-out crop of the row.
    crops = pl.concat(
        pl.read_parquet(evaluated.root / f"data/train/deepsoz/fold{k}/predictions.parquet")
        for k in range(N_FOLDS)
    ).filter(pl.col("method") == "features")
    labels, probs = np.stack(crops["labels"].to_list()), np.stack(crops["probs"].to_list())
    row = frame.filter((pl.col("detector") == "deepsoz") & (pl.col("method") == "features")
                       & (pl.col("concept") == "rhythmic"))  # fmt: skip
    assert row["auroc_pooled"][0] == pytest.approx(roc_auc_score(labels[:, 2], probs[:, 2]))


def test_confusion_csv_has_one_row_per_labelled_crop(evaluated):
    for detector in DETECTORS:
        crops = pl.concat(
            pl.read_parquet(evaluated.root / f"data/train/{detector}/fold{k}/predictions.parquet")
            for k in range(N_FOLDS)
        ).filter(pl.col("method") == "szxai")
        n_labelled = int((np.stack(crops["labels"].to_list()).sum(axis=1) > 0).sum())
        frame = pl.read_csv(evaluated.out.plots / f"confusion_{detector}.csv")
        assert frame.columns == ["actual", "predicted"]
        assert frame.height == n_labelled == N_FOLDS * (CROPS_PER_FOLD - 1)


def test_index_links_resolve_and_name_provenance(evaluated):
    index = evaluated.out.index
    text = index.read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(links) == len(evaluated.result.figures) == 10  # 9 results + 1 upstream figure
    for link in links:
        assert (index.parent / link).is_file(), link
    assert "figures/concept_similarity.png" in links
    assert "labels_quality" not in text  # absent upstream figure: not linked
    for key in ("data", "hyper-parameters", "folds", "commit"):
        assert f"- **{key}**:" in text
    assert "lambda1=1.0" in text and "## Methods" in text and "`szxai`" in text


def test_summaries_come_from_the_llm_and_are_listed(evaluated):
    summaries = evaluated.result.summaries
    assert len(summaries) == 2 and evaluated.llm.calls >= 2
    assert all(s.source == "llm" for s in summaries.values())
    text = evaluated.out.index.read_text(encoding="utf-8")
    assert all(s.sentence in text for s in summaries.values())
    assert evaluated.result.line(evaluated.out.index).startswith("evaluate: 12 held-out crops")


def test_missing_szxai_does_not_crash(tmp_path):
    params = make_project(tmp_path, methods=("yan", "patricio"))
    result = run_evaluation(params, StubLLM())
    out = Outputs(tmp_path / "reports")
    assert (out.results / "confusion_deepsoz.png").is_file()
    assert not (out.results / "tsne.png").exists()
    assert any("t-SNE and heatmaps skipped" in n for n in result.notes)
    assert "## Skipped" in out.index.read_text(encoding="utf-8")
    assert "szxai not run" in result.line(out.index)


def test_figure_fold_and_window_helpers():
    per_fold = pl.DataFrame({
        "detector": ["deepsoz"] * 3, "method": ["szxai"] * 3, "fold": [0, 1, 2],
        "recall": [0.5] * 3, "precision": [0.4, float("nan"), 0.6], "specificity": [0.9, 1, 0.7],
    })  # fmt: skip
    assert best_fold(per_fold, "deepsoz") == 0  # 0.65 vs NaN vs 0.65: tie to the lower fold
    assert best_fold(per_fold, "cnnblstm") is None
    aligned = pl.DataFrame({"crop_id": ["a"] * 6, "label": [0, 0, 0, 1, 1, 0]})
    sample = sample_windows(aligned, 4, seed=0)
    assert sample.height == 4 and int(sample["label"].sum()) == 2
    concepts = pl.DataFrame({"side": ["seizure", "seizure", "non-seizure"],
                             "group": ["spiking", "rhythmic", "background"]})  # fmt: skip
    groups = window_groups(aligned, {"a": np.array([0, 1, 0])}, concepts)
    # Seizure windows take the crop's seizure-side group, others its (absent) non-seizure one.
    assert groups.tolist() == ["none", "none", "none", "rhythmic", "rhythmic", "none"]


def test_dvc_plots_render_the_declared_plots(evaluated):
    """``dvc plots show`` on the produced reports, in a scratch git + DVC project."""
    root = evaluated.root
    for name in ("dvc.yaml", "params.yaml"):
        shutil.copy(REPO / name, root / name)
    # The curves' series are ``train.methods``: here the methods this project trained.
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["train"]["methods"] = [m for m in METHODS if m not in REFERENCES]
    (root / "params.yaml").write_text(yaml.safe_dump(params))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], cwd=root, check=True, env=env)
    shown = subprocess.run(
        [sys.executable, "-m", "dvc", "plots", "show", "--json"],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert "failed" not in shown.stderr.lower(), shown.stderr
    plots = json.loads(shown.stdout)["data"]
    assert {"etiology_groups", "detector_roc"} <= set(plots)
    images = {f"reports/results/{p.name}" for p in (root / "reports/results").glob("*.png")}
    curves = {f"reports/plots/{kind}/{d}_fold{f}.csv" for kind in ("training", "validation")
              for d in DETECTORS for f in range(N_FOLDS)}  # fmt: skip
    assert set(plots) == {"etiology_groups", "detector_roc"} | images | curves  # none twice
    assert all(plots[k][0]["type"] == "image" for k in images)
    # One line per method on each fold's training curve.
    values = plots["reports/plots/training/deepsoz_fold0.csv"][0]["content"]["data"]["values"]
    assert {v["field"] for v in values} == {"szxai", "yan", "patricio"}
    roc = plots["detector_roc"][0]["content"]["data"]["values"]
    assert {v["filename"] for v in roc} == {f"roc_{d}.csv" for d in DETECTORS}


def test_heatmap_crops_prefer_distinct_patients():
    aligned = pl.DataFrame(
        {"crop_id": ["a0", "a0", "a1", "a1", "b0", "b0"], "subject": ["a", "a", "a", "a", "b", "b"],
         "label": [1, 1, 1, 1, 1, 0]}
    )  # fmt: skip
    assert heatmap_crops(aligned, 2) == ["a0", "b0"]
    assert heatmap_crops(aligned, 3) == ["a0", "b0", "a1"]


def test_detector_event_scores_are_in_the_index(evaluated):
    index = evaluated.out.index.read_text()
    assert "Detector events (SzCORE)" in index and "events.png" in index
    # Two recordings, each: one seizure found, one false alarm in 1 h -> 24 per 24 h.
    row = next(line for line in index.splitlines() if line.startswith(f"| {DETECTORS[0]} | 2 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[3:9] == ["2", "4", "1.000", "0.500", "0.667", "24.0"]


def test_index_html_is_one_self_contained_page(evaluated):
    page = evaluated.out.index_html.read_text(encoding="utf-8")
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert len(sources) == len(evaluated.result.figures)
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    assert "<table>" in page and "Detector events (SzCORE)" in page
    for href in re.findall(r'href="([^"#]+)"', page):
        assert (evaluated.out.root / href).is_file(), href
