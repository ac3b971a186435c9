"""TUSZ layout discovery, .csv_bi parsing and notes."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipeline.io.recordings import AnnotationError, seizure_intervals
from pipeline.io.tusz import discover_notes, discover_recordings, parse_csv_bi
from tests.helpers.edf import FIXTURES

T001 = FIXTURES / "dev/aaaaaool/s004_2013/01_tcp_ar/aaaaaool_s004_t001.csv_bi"
T002 = FIXTURES / "dev/aaaaaool/s004_2013/01_tcp_ar/aaaaaool_s004_t002.csv_bi"
BCKG = FIXTURES / "dev/aaaaahln/s001_2008/02_tcp_le/aaaaahln_s001_t000.csv_bi"


def test_parse_fixture_csv_bi():
    ann = parse_csv_bi(T001)
    assert ann.version == "csv_v1.0.0"
    assert ann.bname == "aaaaaool_s004_t001"
    assert ann.duration_s == 1831.0
    assert seizure_intervals(ann) == [(733.9656, 818.0202)]
    assert parse_csv_bi(T002).duration_s == 720.0
    assert seizure_intervals(parse_csv_bi(T002)) == [(224.0071, 258.9804), (408.9508, 430.9425)]
    bckg = parse_csv_bi(BCKG)
    assert [(e.channel, e.start_s, e.stop_s, e.label) for e in bckg.events] == [
        ("TERM", 0.0, 1275.0, "bckg")
    ]
    assert seizure_intervals(bckg) == []


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "x_s001_t000.csv_bi"
    path.write_text("# version = csv_v1.0.0\n# duration = 100.00 secs\n#\n" + body)
    return path


def test_shuffled_columns_parse(tmp_path):
    path = _write(
        tmp_path,
        "label,stop_time,confidence,channel,start_time\nseiz,20.5,1.0,TERM,10\n"
        "seiz,25,1.0,TERM,20\nbckg,100,1.0,TERM,0\n",
    )
    ann = parse_csv_bi(path)
    assert ann.duration_s == 100.0
    assert seizure_intervals(ann) == [(10.0, 25.0)]  # merged


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("channel,start_time,label,confidence\nTERM,1,seiz,1\n", "stop_time"),
        ("channel,start_time,stop_time,label,confidence\nTERM,a,2,seiz,1\n", "non-numeric"),
        ("channel,start_time,stop_time,label,confidence\nTERM,5,2,seiz,1\n", "stop 2.0 < start"),
        ("channel,start_time,stop_time,label,confidence\nTERM,1,2,fnsz,1\n", "unknown label"),
    ],
)
def test_bad_csv_bi(tmp_path, body, needle):
    path = _write(tmp_path, body)
    with pytest.raises(AnnotationError) as err:
        parse_csv_bi(path)
    assert needle in str(err.value)
    assert str(path) in str(err.value)


def test_discover_fixture_layout():
    recs, problems = discover_recordings(FIXTURES)
    assert problems == []
    assert [r.recording_id for r in recs] == [
        "aaaaahln_s001_t000",
        "aaaaahln_s002_t000",
        "aaaaaool_s004_t001",
        "aaaaaool_s004_t002",
        "aaaaaool_s005_t003",
        "aaaaaool_s005_t004",
    ]
    r = recs[1]
    assert (r.split, r.subject, r.session, r.session_date, r.montage, r.token) == (
        "dev",
        "aaaaahln",
        "s002",
        "2008",
        "03_tcp_ar_a",
        "t000",
    )


def test_discover_problems(tmp_path):
    good = tmp_path / "train/abc/s003_2015_08_24/01_tcp_ar"
    good.mkdir(parents=True)
    (good / "abc_s003_t001.edf").write_bytes(b"")
    (good / "abc_s003_t001.csv_bi").write_text("")
    (good / "abc_s003_t002.edf").write_bytes(b"")  # no csv_bi
    (tmp_path / "train/stray.edf").write_bytes(b"")
    recs, problems = discover_recordings(tmp_path)
    assert [(r.recording_id, r.session_date) for r in recs] == [("abc_s003_t001", "2015_08_24")]
    codes = {(p.problem, p.severity) for p in problems}
    assert codes == {("missing_annotations", "rejected"), ("unexpected_path", "warning")}
    assert any("stray.edf" in p.detail for p in problems)


def test_notes(tmp_path):
    session = tmp_path / "dev/abc/s001_2010"
    session.mkdir(parents=True)
    (session / "report.txt").write_text("CLINICAL HISTORY: seizures. é", encoding="utf-8")
    (session / "latin.txt").write_bytes("IMPRESSION: abnormal é".encode("latin-1"))
    (session / "empty.txt").write_text("  \n")
    table = tmp_path / "notes.csv"
    pl.DataFrame({"subject": ["xyz"], "session": ["s002_2011"], "text": ["HR: 80"]}).write_csv(
        table
    )
    notes, problems = discover_notes(tmp_path, table)
    assert [(n.subject, n.session) for n in notes] == [
        ("abc", "s001"),
        ("abc", "s001"),
        ("xyz", "s002"),
    ]
    assert any(n.text.endswith("é") and "latin" in n.path for n in notes)
    codes = sorted((p.problem, p.severity) for p in problems)
    assert codes == [("empty_note", "rejected"), ("note_encoding", "repaired")]


def test_the_recording_id_the_generator_writes_is_one_discovery_parses(tmp_path):
    from pipeline.io.tusz import discover_recordings, recording_id

    stem = recording_id("aaaaaaac", "s002", 7)
    folder = tmp_path / "dev" / "aaaaaaac" / "s002_2003" / "01_tcp_ar"
    folder.mkdir(parents=True)
    (folder / f"{stem}.edf").write_bytes(b"")
    (folder / f"{stem}.csv_bi").write_text("")
    recordings, problems = discover_recordings(tmp_path)
    assert problems == [] and [r.recording_id for r in recordings] == ["aaaaaaac_s002_t007"]
    assert (recordings[0].session, recordings[0].token) == ("s002", "t007")
