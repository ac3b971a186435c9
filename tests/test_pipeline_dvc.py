"""End to end: the DVC pipeline on a tiny synthetic corpus, in a scratch copy of the repo.

Shows the acceptance behaviour of the foundation: ``dvc repro`` runs
synth -> ingest -> folds -> preprocess, a second ``dvc repro`` is a no-op, and
changing a preprocess parameter reruns only preprocess.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
import yaml

from tests.helpers import REPO
from tests.helpers.edf import FIXTURES

PROJECT_FILES = [
    "pipeline", "stages", "dvc.yaml", "params.yaml", ".dvc/config", ".dvcignore",
    "data/concepts/seed_bank.yaml", "models/README.md", "models/.gitignore",
]  # fmt: skip

SMOKE_PARAMS = {
    "synth": {
        "n_pretrain": 2,
        "n_cv": 3,
        "n_test": 2,
        "sessions_per_patient": [1, 1],
        "duration_s": [150.0, 200.0],
        "seizures_per_recording": [1, 2],
        "seizure_duration_scale": 0.15,
    },
    "preprocess": {"crop_s": 60},
    "folds": {"ids": [0, 1, 2]},
    # Case pages drawn by two worker processes (the browser test redraws them in one).
    "evaluate": {"n_jobs": 2},
    # The smoke run checks the wiring, not the heads: a few epochs keep it well inside the timeout.
    "epochs": 5,
}


def _deep_update(base: dict, update: dict) -> dict:
    for key, value in update.items():
        base[key] = _deep_update(base.get(key, {}), value) if isinstance(value, dict) else value
    return base


def _dvc(project: Path, *args: str) -> str:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        [sys.executable, "-m", "dvc", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _scratch_project(root: Path, overrides: dict) -> Path:
    """A git + DVC copy of the project in ``root`` with ``overrides`` merged into its params."""
    for name in PROJECT_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    (root / "params.yaml").write_text(yaml.safe_dump(_deep_update(params, overrides)))
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return _scratch_project(tmp_path_factory.mktemp("project"), SMOKE_PARAMS)


@pytest.mark.slow
def test_repro_then_noop_then_only_preprocess_reruns(project):
    first = _dvc(project, "repro")
    for stage in ("synth", "ingest", "folds", "preprocess"):
        assert f"Running stage '{stage}'" in first

    manifest = pl.read_parquet(project / "data/interim/manifest.parquet")
    assert set(manifest["cohort"]) == {"pretrain", "cv", "test"}
    crops = pl.read_parquet(project / "data/processed/crops.parquet")
    windows = pq.ParquetFile(project / "data/processed/windows-cv.parquet")
    assert windows.metadata.num_rows == crops.filter(pl.col("cohort") == "cv")["n_windows"].sum()
    assert crops["n_seizure_windows"].sum() > 0
    folds = pl.read_csv(project / "data/interim/folds.csv")
    assert sorted(folds["subject"]) == sorted(
        manifest.filter(pl.col("cohort") == "cv")["subject"].unique()
    )
    assert (project / "reports/ingest_issues.csv").exists()

    second = _dvc(project, "repro")
    assert "Running stage" not in second

    params_path = project / "params.yaml"
    params = yaml.safe_load(params_path.read_text())
    params["preprocess"]["clip_std"] = 3.0
    params_path.write_text(yaml.safe_dump(params))
    third = _dvc(project, "repro")
    assert "Running stage 'preprocess'" in third
    for stage in ("synth", "ingest", "folds"):
        assert f"Running stage '{stage}'" not in third


@pytest.mark.slow
def test_tusz_mode_ingests_an_external_corpus_and_never_touches_it(tmp_path):
    """``data.source: tusz`` on the shared fixtures: the corpus is only read."""
    corpus = tmp_path / "tusz"
    shutil.copytree(FIXTURES, corpus)
    before = sorted((p.relative_to(corpus), p.stat().st_mtime_ns) for p in corpus.rglob("*"))
    project = _scratch_project(
        tmp_path / "project", {"data": {"source": "tusz", "root": str(corpus)}}
    )

    out = _dvc(project, "repro", "ingest")
    # data.root is no synth output here, so synth is not even upstream of ingest.
    assert "Running stage 'ingest'" in out and "Running stage 'synth'" not in out
    assert (
        sorted((p.relative_to(corpus), p.stat().st_mtime_ns) for p in corpus.rglob("*")) == before
    )
    issues = pl.read_csv(project / "reports/ingest_issues.csv")
    assert issues["detail"].str.contains("exceeds the signal").any()
    assert not (project / "data/raw/synth/corpus").exists()


def test_train_stages_follow_the_heads_seed_not_the_global_one():
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    train_params = stages["train"]["params"]
    assert "train" in train_params and "seed" not in train_params
    upstream = [s for s in ("synth", "folds", "detector") if "seed" in stages[s].get("params", [])]
    assert upstream, "the global seed still drives the corpus, folds and detectors"
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    assert isinstance(params["train"]["seed"], int)


def _explain(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.explain.cli", "explain", *args, "--no-progress"],
        cwd=project, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.mark.slow
def test_explain_recordings_the_pipeline_never_saw(project, tmp_path):
    """``szxai explain`` after ``dvc repro``: a new generated recording, a TUSZ file, a bad one."""
    from pipeline.config import load_params
    from pipeline.evaluate.events import EVENTS_TSV_COLUMNS
    from pipeline.synth.corpus import generate_corpus

    _dvc(project, "repro")  # a no-op after the test above
    params = load_params(project / "params.yaml")
    synth = params.synth.model_copy(update={"n_pretrain": 1, "n_cv": 1})
    truth = generate_corpus(synth, tmp_path / "new", seed=params.seed + 1)
    recording = truth["recordings"][-1]
    edf = tmp_path / "new" / recording["edf_path"]
    note = next(edf.parents[1].glob("*.txt"))

    out = tmp_path / "case"
    result = _explain(project, str(edf), "--note", str(note), "--out", str(out))
    assert result.returncode == 0, result.stderr
    case = json.loads((out / "case.json").read_text())
    assert case["duration_s"] == pytest.approx(recording["duration_s"], abs=1)
    assert datetime.fromisoformat(case["generated"]).tzinfo is not None  # when the user asked
    bank = pl.read_parquet(project / params.concepts.bank_path).sort("index")
    assert [c["name"] for c in case["concepts"]] == bank["name"].to_list()
    assert case["note"]["concepts"], "the note's findings and evidence are on the page"
    html = (out / "case.html").read_text()
    assert case["summary"] in html and "http://" not in html and "https://" not in html
    events = (out / f"{edf.stem}_events.tsv").read_text().splitlines()
    assert tuple(events[0].split("\t")) == EVENTS_TSV_COLUMNS
    assert len(events) == 1 + max(1, len(case["events"]))

    fixture = sorted(FIXTURES.rglob("*.edf"))[0]
    result = _explain(project, str(fixture), "--out", str(tmp_path / "tusz"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "tusz" / "case.html").is_file()

    bad = tmp_path / "bad.edf"
    bad.write_bytes(fixture.read_bytes()[:5000])
    result = _explain(project, str(bad), "--out", str(tmp_path / "bad"))
    assert result.returncode == 1
    assert "bad.edf" in result.stderr and "rejected by the ingest checks" in result.stderr
    assert not (tmp_path / "bad").exists()


@pytest.mark.slow
def test_test_cohort_is_scored_once_by_the_final_heads(project):
    """``eval -> test``: latents, one prediction per test crop and head, a Table 1 block."""
    _dvc(project, "repro")  # a no-op after the tests above
    reports = project / "reports"
    test = pl.read_csv(reports / "table1_test.csv")
    szxai = test.filter(pl.col("method") == "szxai")
    assert sorted(szxai["detector"]) == ["cnnblstm", "deepsoz"]
    assert (szxai["n_patients"] == SMOKE_PARAMS["synth"]["n_test"]).all()
    heldout = pl.read_parquet(project / "data/train/deepsoz/heldout/predictions.parquet")
    manifest = pl.read_parquet(project / "data/interim/manifest.parquet")
    test_subjects = set(manifest.filter(pl.col("cohort") == "test")["subject"])
    assert set(heldout["subject"]) == test_subjects and heldout["crop_id"].is_unique().all()
    for k in SMOKE_PARAMS["folds"]["ids"]:  # never trained on, never predicted in a fold
        fold = pl.read_parquet(project / f"data/train/deepsoz/fold{k}/predictions.parquet")
        assert not set(fold["subject"]) & test_subjects
    metrics = json.loads((reports / "metrics.json").read_text())
    assert set(metrics["test"]) == {"deepsoz", "cnnblstm"}
    assert "Held-out test cohort (scored once)" in (reports / "index.md").read_text()


@pytest.mark.slow
def test_index_and_case_pages_open_in_a_browser(project, tmp_path):
    """Every held-out crop has a case page; the index links them and embeds every figure."""
    from tests.helpers.browser import check_page, chromium, screenshot

    _dvc(project, "repro")  # a no-op after the tests above
    reports = project / "reports"
    cases = pl.read_csv(reports / "cases/cases.csv", schema_overrides={"subject": pl.String})
    held_out = sum(
        pl.read_parquet(project / f"data/train/deepsoz/fold{k}/predictions.parquet")
        .filter(pl.col("method") == "szxai").height
        for k in SMOKE_PARAMS["folds"]["ids"]
    )  # fmt: skip
    assert cases.height == held_out > 0
    assert all((reports / "cases" / page).is_file() for page in cases["page"])
    # DVC outputs: a rerun writes the same bytes (no wall-clock time on the pipeline's pages),
    # whether the pages are drawn by worker processes (n_jobs 2, one per fold) or in one.
    before = {path.name: path.read_bytes() for path in (reports / "cases").iterdir()}
    assert json.loads(before[cases["page"][0].replace(".html", ".json")])["generated"] is None
    params_file = project / "params.yaml"
    params = yaml.safe_load(params_file.read_text())
    assert params["evaluate"]["n_jobs"] == 2
    params["evaluate"]["n_jobs"] = 1
    params_file.write_text(yaml.safe_dump(params))
    _dvc(project, "repro", "--force", "--single-item", "cases")
    assert {path.name: path.read_bytes() for path in (reports / "cases").iterdir()} == before
    if chromium() is None:
        pytest.skip("no chromium (make test installs it on Debian as root)")
    for page in (reports / "index.html", reports / "cases" / cases["page"][0]):
        report = check_page(page, tmp_path)
        assert report["images"] > 0 and report["broken"] == [] and report["bad"] == [], report
    assert check_page(reports / "index.html", tmp_path)["links"] >= cases.height
    shot = screenshot(reports / "index.html", tmp_path / "index.png")
    assert shot.stat().st_size > 10_000


def _queue_active(project: Path) -> bool:
    status = _dvc(project, "queue", "status")
    return any(word in status for word in ("Queued", "Running"))


@pytest.mark.slow
def test_a_sweep_queued_on_dvc_runs_only_the_heads(project):
    """README recipe: ``dvc exp run --queue -S 'lambda1=0.5,0.75'``, ``dvc queue start``,
    ``dvc exp show``; each experiment reruns the heads and evaluate, not the detectors."""
    _dvc(project, "repro")  # a no-op after the tests above
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.org"]
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    subprocess.run([*git, "commit", "-qm", "baseline"], cwd=project, check=True)
    _dvc(project, "exp", "run", "--queue", "-S", "lambda1=0.5,0.75")  # the default is 1.0
    _dvc(project, "queue", "start", "-j", "1")
    try:
        deadline = time.monotonic() + 1200
        while _queue_active(project) and time.monotonic() < deadline:
            time.sleep(5)
        assert not _queue_active(project), _dvc(project, "queue", "status")
    finally:
        _dvc(project, "queue", "stop", "--kill")
    shown = pl.read_csv(io.StringIO(_dvc(project, "exp", "show", "--csv")))
    runs = shown.filter(pl.col("Experiment").is_not_null())  # not the workspace or baseline
    assert sorted(runs["lambda1"].cast(pl.Float64)) == [0.5, 0.75], shown
    assert (runs["State"] == "Success").all()
    assert runs["deepsoz.szxai.auroc"].is_not_null().all()
    for name in runs["Experiment"]:
        log = _dvc(project, "queue", "logs", name)
        assert "Running stage 'train@deepsoz-0'" in log and "Running stage 'evaluate'" in log
        assert "Running stage 'detector@" not in log and "Running stage 'preprocess'" not in log
