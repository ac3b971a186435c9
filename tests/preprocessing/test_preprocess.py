"""Preprocessing of real EDF files into Parquet windows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pyedflib
import pytest

from pipeline.config import STANDARD_CHANNELS, PreprocessParams
from pipeline.io.windows import METADATA_KEY
from pipeline.preprocessing.preprocess import preprocess_corpus

SFREQ = 256
COLUMNS = ["crop_id", "window_index", "label", "is_pad"]
# TUH order and extra channels: preprocessing must pick and reorder by label.
TUH_LABELS = [f"EEG {ch}-REF" for ch in reversed(STANDARD_CHANNELS)] + ["EKG1", "EEG A1-REF"]


def write_edf(path: Path, seconds: int, seizures: list[tuple[float, float]], seed: int) -> None:
    rng = np.random.default_rng(seed)
    t = np.arange(seconds * SFREQ) / SFREQ
    signals = []
    for i, _ in enumerate(TUH_LABELS):
        x = 20 * rng.standard_normal(t.size) + 10 * np.sin(2 * np.pi * (8 + i % 4) * t)
        for start, stop in seizures:
            inside = (t >= start) & (t < stop)
            x[inside] += 150 * np.sin(2 * np.pi * 3 * t[inside])
        signals.append(x)
    headers = [
        {
            "label": label,
            "dimension": "uV",
            "sample_frequency": SFREQ,
            "physical_max": 1000.0,
            "physical_min": -1000.0,
            "digital_max": 32767,
            "digital_min": -32768,
        }
        for label in TUH_LABELS
    ]
    with pyedflib.EdfWriter(str(path), len(TUH_LABELS), file_type=pyedflib.FILETYPE_EDFPLUS) as w:
        w.setSignalHeaders(headers)
        w.writeSamples(signals)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("edf")
    specs = [
        ("aaaaaaaa_s001_t000", "aaaaaaaa", "cv", 150, [(40.0, 55.5), (100.2, 112.0)]),
        ("aaaaaaab_s001_t000", "aaaaaaab", "cv", 90, []),
        ("aaaaaaac_s001_t000", "aaaaaaac", "pretrain", 45, [(10.0, 20.0)]),  # shorter than a crop
    ]
    rows = []
    for i, (rec, subject, cohort, seconds, seizures) in enumerate(specs):
        path = root / f"{rec}.edf"
        write_edf(path, seconds, seizures, seed=i)
        rows.append(
            {
                "recording_id": rec,
                "subject": subject,
                "cohort": cohort,
                "edf_path": str(path),
                "duration_s": float(seconds),
                "seizure_start_s": [s for s, _ in seizures],
                "seizure_stop_s": [e for _, e in seizures],
            }
        )
    return pl.DataFrame(
        rows,
        schema_overrides={
            "seizure_start_s": pl.List(pl.Float64),
            "seizure_stop_s": pl.List(pl.Float64),
        },
    )


@pytest.fixture(scope="module")
def params():
    return PreprocessParams(crop_s=60, n_jobs=2)


def test_outputs_shapes_labels_and_metadata(corpus, params, tmp_path):
    crops = preprocess_corpus(corpus, params, seed=1, out_dir=tmp_path / "out")
    assert crops["kind"].to_list() == ["seizure", "seizure", "background", "seizure"]
    assert (crops["n_windows"] == 60).all()

    table = pq.read_table(tmp_path / "out" / "windows-cv.parquet")
    assert table.num_rows == 3 * 60
    eeg = np.asarray(table["eeg"].combine_chunks().flatten()).reshape(-1, 19, 200)
    assert eeg.dtype == np.float32
    meta = json.loads(table.schema.metadata[METADATA_KEY])
    assert meta["sfreq"] == 200.0 and meta["l_freq"] == 1.6 and meta["clip_std"] == 2.0

    windows = pl.from_arrow(table.drop(["eeg"]))
    for crop in crops.filter(pl.col("cohort") == "cv").iter_rows(named=True):
        rows = windows.filter(pl.col("crop_id") == crop["crop_id"])
        assert rows["start_s"][0] == crop["start_s"]
        assert rows["label"].sum() == crop["n_seizure_windows"]
    # The first seizure (40-55.5 s) covers windows 40..54 fully and 55 by half -> 15 windows.
    first = crops.row(0, named=True)
    assert first["n_seizure_windows"] == 15
    # Seizure windows carry the planted 3 Hz, 150 uV discharge: larger after z-scoring.
    labelled = windows.filter(pl.col("crop_id") == first["crop_id"])["label"].to_numpy() == 1
    crop_eeg = eeg[:60]
    assert np.abs(crop_eeg[labelled]).mean() > 2 * np.abs(crop_eeg[~labelled]).mean()


def test_short_recording_is_padded(corpus, params, tmp_path):
    crops = preprocess_corpus(corpus, params, seed=1, out_dir=tmp_path / "out")
    short = crops.filter(pl.col("recording_id") == "aaaaaaac_s001_t000").row(0, named=True)
    assert short["start_s"] == 0 and short["n_pad_windows"] == 15
    table = pl.read_parquet(tmp_path / "out" / "windows-pretrain.parquet", columns=COLUMNS)
    assert table["is_pad"].sum() == 15
    assert table.filter(pl.col("is_pad"))["label"].sum() == 0
    assert table.filter(pl.col("label") == 1)["window_index"].to_list() == list(range(10, 20))


def test_deterministic_and_independent_of_worker_count(corpus, params, tmp_path):
    preprocess_corpus(corpus, params, seed=3, out_dir=tmp_path / "a")
    serial = params.model_copy(update={"n_jobs": 1})
    preprocess_corpus(corpus, serial, seed=3, out_dir=tmp_path / "b")
    for name in ("windows-cv.parquet", "windows-pretrain.parquet", "crops.parquet"):
        a = pq.read_table(tmp_path / "a" / name)
        b = pq.read_table(tmp_path / "b" / name)
        assert a.equals(b)


def test_failed_run_leaves_no_partial_output(corpus, params, tmp_path):
    broken = corpus.with_columns(
        pl.when(pl.col("recording_id") == "aaaaaaab_s001_t000")
        .then(pl.lit(str(tmp_path / "missing.edf")))
        .otherwise(pl.col("edf_path"))
        .alias("edf_path")
    )
    out = tmp_path / "out"
    with pytest.raises(Exception, match="missing.edf"):
        preprocess_corpus(broken, params, seed=1, out_dir=out)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
