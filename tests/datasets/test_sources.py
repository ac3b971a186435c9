"""BIDS-EEG and EDF+ input: the same corpus in three layouts gives one manifest; bad
annotations of one recording become issue rows while its neighbours are ingested."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pyedflib
import pytest
from pyedflib import highlevel

from pipeline.config import STANDARD_CHANNELS, DataParams
from pipeline.datasets.export import EDF_EXPORT_LAYOUT, export_bids, export_edfplus
from pipeline.datasets.ingest import IngestResult, ingest_corpus
from pipeline.datasets.sources import open_source

COHORTS = {"train": "pretrain", "dev": "cv"}
#: What the manifest says of a recording, whatever the layout (ids and paths aside).
SAME = [
    "subject", "session", "split", "cohort", "sfreq", "n_samples", "duration_s", "start_time",
    "n_channels_found", "missing_channels", "channel_labels", "seizure_start_s",
    "seizure_stop_s", "n_seizures", "has_note", "status",
]  # fmt: skip


def _ingest(**data) -> IngestResult:
    return ingest_corpus(open_source(DataParams(**data)), COHORTS, 1.0, STANDARD_CHANNELS)


@pytest.fixture(scope="module")
def layouts(tmp_path_factory):
    """A tiny synthetic corpus in the TUSZ layout, exported to BIDS and to EDF+."""
    from pipeline.config import SynthParams
    from pipeline.synth.corpus import generate_corpus

    root = tmp_path_factory.mktemp("layouts")
    tiny = SynthParams(
        n_pretrain=2, n_cv=3, n_test=0, duration_s=(60.0, 90.0), seizures_per_recording=(1, 2),
        sessions_per_patient=(1, 2), seizure_duration_scale=0.3,
    )  # fmt: skip
    generate_corpus(tiny, root / "tusz", seed=11)
    assert export_bids(root / "tusz", root / "bids") == export_edfplus(root / "tusz", root / "edf")
    return root


def _bids_copy(layouts: Path, tmp_path: Path) -> Path:
    target = tmp_path / "bids"
    shutil.copytree(layouts / "bids", target)
    return target


def _rows(result: IngestResult) -> pl.DataFrame:
    return result.manifest.select(SAME).sort("subject", "session", "start_time")


def _notes(result: IngestResult) -> pl.DataFrame:
    return result.notes.select("subject", "session", "text").sort("subject", "session")


def test_bids_and_edfplus_exports_give_the_tusz_manifest(layouts):
    tusz = _ingest(source="tusz", root=layouts / "tusz")
    bids = _ingest(source="bids", root=layouts / "bids")
    edf = _ingest(
        source="edf", root=layouts / "edf", edf_layout=EDF_EXPORT_LAYOUT,
        notes_table=layouts / "edf" / "notes.csv",
    )  # fmt: skip
    assert tusz.manifest.height >= 5 and tusz.manifest["n_seizures"].sum() >= 5
    assert tusz.issues.height == 0
    for other in (bids, edf):
        assert other.issues.height == 0, other.issues
        ours, theirs = _rows(other), _rows(tusz)
        exact = [c for c in SAME if not c.startswith("seizure_")]
        assert ours.select(exact).equals(theirs.select(exact))
        for column in ("seizure_start_s", "seizure_stop_s"):  # onset + duration: float sums
            got, want = ours[column].to_list(), theirs[column].to_list()
            assert [len(g) for g in got] == [len(w) for w in want]
            assert np.allclose(sum(got, []), sum(want, []), rtol=0, atol=1e-9)
        assert _notes(other).equals(_notes(tusz))
    # Each source points at its own annotations: the events file, the EDF+ itself.
    assert all(p.endswith("_events.tsv") for p in bids.manifest["annotations_path"])
    assert edf.manifest["annotations_path"].to_list() == edf.manifest["edf_path"].to_list()
    assert all(r.startswith("sub-") and "_task-" in r for r in bids.manifest["recording_id"])


def _events(bids: Path) -> list[Path]:
    return sorted(bids.rglob("*_events.tsv"))


@pytest.mark.parametrize(
    ("damage", "code", "needle"),
    [
        (lambda t: t.replace("eventType", "type"), "bad_annotations", "eventType or trial_type"),
        (lambda t: t.replace("onset\t", "start\t", 1), "bad_annotations", "['onset']"),
        (lambda t: t.replace("\tsz\t", "\tsz_foc_ia\t"), None, None),
        (lambda t: _row_with(t, "-5.0000", "sz"), "bad_annotations", "negative duration"),
        (lambda t: _row_with(t, "n/a", "sz"), "bad_annotations", "has no duration"),
        (lambda t: t + "5000.0000\t10.0000\tsz\t1.00\tn/a\t60.0000\n", "annotation_past_end", ""),
    ],
    ids=["no-type-column", "no-onset", "szcore-subtype", "negative", "na-duration", "past-end"],
)
def test_bad_events_tsv_is_an_issue_row_and_neighbours_stay(
    layouts, tmp_path, damage, code, needle
):
    bids = _bids_copy(layouts, tmp_path)
    damaged = _events(bids)[0]
    assert "\tsz\t" in damaged.read_text()
    damaged.write_text(damage(damaged.read_text()))
    result = _ingest(source="bids", root=bids)
    recording = damaged.name.removesuffix("_events.tsv")
    accepted = set(result.manifest["recording_id"])
    assert len(accepted - {recording}) == len(_events(bids)) - 1  # neighbours all ingested
    if code is None:  # an SzCORE seizure subtype is a seizure like "sz"
        assert recording in accepted and result.issues.height == 0
        return
    rows = result.issues.filter(pl.col("recording_id") == recording)
    assert rows["problem"].to_list() == [code], rows
    assert rows["severity"][0] == "rejected" and recording not in accepted
    assert needle in rows["detail"][0] and damaged.name in rows["detail"][0]
    assert rows["subject"][0] == recording.split("_")[0].removeprefix("sub-")


def _row_with(tsv: str, duration: str, kind: str) -> str:
    return tsv + f"1.0000\t{duration}\t{kind}\t1.00\tn/a\t60.0000\n"


def test_bids_splits_from_the_column_the_mapping_or_nowhere(layouts, tmp_path):
    bids = _bids_copy(layouts, tmp_path)
    subjects = sorted(_ingest(source="bids", root=bids).manifest["subject"].unique())
    moved = subjects[0]
    result = _ingest(source="bids", root=bids, splits={moved: "eval"})
    unknown = result.issues.filter(pl.col("problem") == "unknown_split")
    assert (
        set(unknown["subject"]) == {moved}
        and "'eval' is not in data.cohorts" in unknown["detail"][0]
    )
    (bids / "participants.tsv").unlink()
    lost = _ingest(source="bids", root=bids)
    assert lost.manifest.height == 0
    assert "name it in data.splits" in lost.issues["detail"][0]
    named = _ingest(source="bids", root=bids, splits=dict.fromkeys(subjects, "dev"))
    assert set(named.manifest["cohort"]) == {"cv"} and named.issues.height == 0


def test_bids_recording_without_events_is_rejected(layouts, tmp_path):
    bids = _bids_copy(layouts, tmp_path)
    gone = _events(bids)[-1]
    gone.unlink()
    result = _ingest(source="bids", root=bids)
    rows = result.issues.filter(pl.col("problem") == "missing_annotations")
    assert rows.height == 1 and gone.name in rows["detail"][0]
    assert result.manifest.height == len(_events(bids))


# --------------------------------------------------------------------------- EDF+


def _edfplus(path: Path, annotations: list[tuple[float, float, str]], seconds: int = 60) -> None:
    """A 19-channel EDF+ of ``seconds`` s at 100 Hz with the given annotations."""
    labels = [f"EEG {ch}-REF" for ch in STANDARD_CHANNELS]
    signals = np.zeros((len(labels), seconds * 100))
    headers = highlevel.make_signal_headers(
        labels, sample_frequency=100, physical_min=-200.0, physical_max=200.0
    )
    header = highlevel.make_header(patientname="X")
    header["annotations"] = [[onset, duration, text] for onset, duration, text in annotations]
    path.parent.mkdir(parents=True, exist_ok=True)
    highlevel.write_edf(str(path), signals, headers, header, file_type=pyedflib.FILETYPE_EDFPLUS)


def test_edfplus_annotations_intervals_and_onset_end_pairs(tmp_path):
    _edfplus(tmp_path / "chb01" / "chb01_01.edf", [(10.0, 5.0, "Seizure"), (30.0, -1, "eyes open")])
    _edfplus(
        tmp_path / "chb01" / "chb01_02.edf",
        [(12.0, -1, "sz onset"), (20.5, -1, "sz end"), (40.0, -1, "SEIZURE START"),
         (44.0, -1, "seizure stop")],
    )  # fmt: skip
    _edfplus(tmp_path / "chb02" / "chb02_01.edf", [(5.0, -1, "seizure onset")])  # no end
    _edfplus(tmp_path / "chb02" / "chb02_02.edf", [])
    _edfplus(tmp_path / "loose.edf", [])  # off the layout: no subject folder
    (tmp_path / "chb01" / "chb01_01.txt").write_text("Impression: abnormal, seizures.")
    result = _ingest(source="edf", root=tmp_path, splits={"chb01": "dev", "chb02": "train"})
    by_id = {r["recording_id"]: r for r in result.manifest.iter_rows(named=True)}
    assert sorted(by_id) == ["chb01_01", "chb01_02", "chb02_02"]
    assert by_id["chb01_01"]["seizure_start_s"] == [10.0]
    assert by_id["chb01_01"]["seizure_stop_s"] == [15.0]
    assert by_id["chb01_02"]["seizure_start_s"] == [12.0, 40.0]
    assert by_id["chb01_02"]["seizure_stop_s"] == [20.5, 44.0]
    assert by_id["chb02_02"]["n_seizures"] == 0 and by_id["chb02_02"]["cohort"] == "pretrain"
    assert by_id["chb01_01"]["has_note"] and not by_id["chb02_02"]["has_note"]
    problems = {r["problem"]: r for r in result.issues.iter_rows(named=True)}
    assert problems["bad_annotations"]["recording_id"] == "chb02_01"
    assert "'seizure onset' at 5.00 s has no end mark" in problems["bad_annotations"]["detail"]
    assert problems["unexpected_path"]["severity"] == "warning"
    assert "loose.edf" in problems["unexpected_path"]["detail"]


def test_edfplus_seizure_pattern_is_a_parameter(tmp_path):
    _edfplus(tmp_path / "p1" / "p1_01.edf", [(10.0, 5.0, "ictal"), (30.0, 2.0, "Seizure")])
    default = _ingest(source="edf", root=tmp_path, splits={"p1": "dev"})
    assert default.manifest["seizure_start_s"][0].to_list() == [30.0]
    own = _ingest(source="edf", root=tmp_path, splits={"p1": "dev"}, seizure_pattern="(?i)ictal")
    assert own.manifest["seizure_start_s"][0].to_list() == [10.0]


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [
        ("edf_layout", r"(?P<patient>[^/]+)/.*\.edf", "(?P<subject>...)"),
        ("edf_layout", r"([", "not a regular expression"),
        ("seizure_pattern", r"(?i)sz(", "not a regular expression"),
    ],
)
def test_bad_layout_or_pattern_fails_when_params_load(key, value, needle):
    with pytest.raises(ValueError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        DataParams(source="edf", **{key: value})
