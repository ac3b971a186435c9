"""Ingest on damaged files and on the real TUSZ-layout fixtures."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipeline.config import STANDARD_CHANNELS, DataParams
from pipeline.datasets.ingest import ISSUES_SCHEMA, MANIFEST_SCHEMA, ingest_corpus
from pipeline.datasets.sources import Source, open_source
from tests.helpers import REPO
from tests.helpers.edf import DAMAGE, FIXTURES, write_edf

COHORTS = {"train": "pretrain", "dev": "cv", "eval": "cv"}
CSV_BI = (
    "# version = csv_v1.0.0\n# bname = {bname}\n# duration = 10.00 secs\n#\n"
    "channel,start_time,stop_time,label,confidence\n"
    "TERM,0.0000,2.0000,bckg,1.0000\nTERM,2.0000,4.0000,seiz,1.0000\n"
    "TERM,4.0000,10.0000,bckg,1.0000\n"
)


def _tusz(root: Path) -> Source:
    return open_source(DataParams(source="tusz", root=root))


def _recording(root: Path, subject: str, token: str, split: str = "train") -> Path:
    folder = root / split / subject / "s001_2020" / "01_tcp_ar"
    stem = f"{subject}_s001_{token}"
    write_edf(folder / f"{stem}.edf")
    (folder / f"{stem}.csv_bi").write_text(CSV_BI.format(bname=stem))
    return folder / f"{stem}.edf"


def test_damaged_files_reported_and_good_ones_kept(tmp_path):
    good = _recording(tmp_path, "good", "t000")
    damaged = {}
    for k, name in enumerate(sorted(DAMAGE)):
        edf = _recording(tmp_path, "bad", f"t{k:03d}")
        DAMAGE[name][0](edf)
        damaged[name] = edf
    result = ingest_corpus(_tusz(tmp_path), COHORTS, 1.0, STANDARD_CHANNELS)
    assert result.manifest.schema == pl.Schema(MANIFEST_SCHEMA)
    assert result.issues.schema == pl.Schema(ISSUES_SCHEMA)
    ids = set(result.manifest["recording_id"])
    assert good.stem in ids
    issues = result.issues
    for name, edf in damaged.items():
        _, code, severity = DAMAGE[name]
        rows = issues.filter((pl.col("recording_id") == edf.stem) & (pl.col("problem") == code))
        assert rows.height >= 1, (name, issues)
        assert rows["severity"][0] == severity
        assert edf.name in rows["detail"][0]
        assert (edf.stem in ids) == (severity != "rejected")
    row = result.manifest.filter(pl.col("recording_id") == good.stem).row(0, named=True)
    assert row["sfreq"] == 100.0 and row["n_samples"] == 1000 and row["duration_s"] == 10.0
    assert row["n_channels_found"] == 3 and len(row["missing_channels"]) == 16
    # The manifest records which EDF label each required channel was read from.
    read = [label for label in row["channel_labels"] if label is not None]
    assert sorted(read) == ["EEG CZ-REF", "EEG FP1-REF", "EEG FP2-REF"]
    assert row["channel_labels"].count(None) == 16
    assert row["seizure_start_s"] == [2.0] and row["seizure_stop_s"] == [4.0]
    assert row["cohort"] == "pretrain" and row["status"] == "ok"
    # Truncated file: 9 complete records; the 10 s declared duration is now a mismatch.
    trunc = result.manifest.filter(pl.col("recording_id") == damaged["truncated"].stem)
    assert trunc["status"][0] == "repaired" and trunc["duration_s"][0] == 9.0
    assert issues.filter(pl.col("problem") == "missing_channels").height >= 1


def test_seizure_crossing_end_clipped_and_unknown_split(tmp_path):
    edf = _recording(tmp_path, "pat", "t000", split="dev")
    edf.with_suffix(".csv_bi").write_text(
        CSV_BI.replace("4.0000,seiz", "12.0000,seiz").format(bname=edf.stem)
    )
    _recording(tmp_path, "other", "t000", split="weird")
    (edf.parents[1] / "note.txt").write_text("CLINICAL HISTORY: none")
    result = ingest_corpus(_tusz(tmp_path), COHORTS, 1.0, ["FP1", "CZ"])
    row = result.manifest.row(0, named=True)
    assert result.manifest.height == 1
    assert row["seizure_stop_s"] == [10.0] and row["status"] == "repaired" and row["has_note"]
    problems = set(result.issues["problem"])
    assert {"annotation_clipped", "unknown_split"} <= problems
    assert "no_clinical_note" not in problems
    assert result.notes.height == 1


def test_fixture_ingest_reports_duration():
    result = ingest_corpus(_tusz(FIXTURES), COHORTS, 1.0, STANDARD_CHANNELS)
    issues = result.issues
    details = issues.filter(pl.col("recording_id") == "aaaaaool_s004_t001")["detail"].to_list()
    assert any("declared duration 1831.00 s exceeds the signal (2.00 s)" in d for d in details)
    assert any("733.97" in d for d in details)  # the seizure past the stub's end
    assert "aaaaaool_s004_t001" not in set(result.manifest["recording_id"])
    assert result.manifest.height == 2  # the two bckg-only recordings
    assert "no_clinical_note" in set(issues["problem"])


def test_stage_writes_outputs(tmp_path, monkeypatch):
    import yaml

    root = tmp_path / "corpus"
    _recording(root, "good", "t000", split="dev")
    params = {
        "data": {"source": "tusz", "root": str(root)},
        "ingest": {
            "manifest_path": str(tmp_path / "m.parquet"),
            "notes_path": str(tmp_path / "n.parquet"),
            "issues_path": str(tmp_path / "i.csv"),
        },
    }
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.argv", ["ingest.py"])
    import runpy

    runpy.run_path(str(REPO / "stages" / "ingest.py"), run_name="__main__")
    assert pl.read_parquet(tmp_path / "m.parquet").height == 1
    assert pl.read_parquet(tmp_path / "n.parquet").height == 0
    assert "no_clinical_note" in pl.read_csv(tmp_path / "i.csv")["problem"].to_list()
