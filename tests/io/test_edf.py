"""Our EDF reader against pyedflib, and the header checks on damaged files."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pyedflib
import pytest

from pipeline.io.edf import ANNOTATION_LABELS, EdfError, normalize_label, read_edf, validate_edf
from tests.helpers.edf import DAMAGE, FIXTURES, LABELS, write_edf

PYEDFLIB_DATA = Path(pyedflib.__file__).parent / "tests" / "data"


@pytest.mark.parametrize("name", ["test_generator.edf", "test_legacy.edf", "test_utf8.edf"])
def test_read_matches_pyedflib(name):
    path = PYEDFLIB_DATA / name
    if not path.exists():
        pytest.skip(f"{path} not shipped with this pyedflib")
    header, problems = validate_edf(path)
    assert header is not None
    assert not [p for p in problems if p.severity == "rejected"]
    with pyedflib.EdfReader(str(path)) as reader:
        labels = reader.getSignalLabels()
        for i, label in enumerate(labels):
            if label in ANNOTATION_LABELS:  # plain-EDF file with such a label: we skip it
                continue
            ours = read_edf(path, [label], header)
            ref = reader.readSignal(i)
            assert ours.missing == []
            assert ours.sfreq == pytest.approx(reader.getSampleFrequency(i))
            np.testing.assert_allclose(ours.data[0], ref, rtol=0, atol=1e-9)


def test_known_sine():
    path = PYEDFLIB_DATA / "test_generator.edf"
    signals = read_edf(path, ["sine 8 Hz", "squarewave"])
    x = signals.data[0]
    assert signals.sfreq == 200.0
    spectrum = np.abs(np.fft.rfft(x))
    freqs = np.fft.rfftfreq(x.size, 1 / signals.sfreq)
    assert freqs[np.argmax(spectrum[1:]) + 1] == pytest.approx(8.0, abs=0.01)
    assert np.max(np.abs(x)) == pytest.approx(100.0, rel=0.01)  # generator amplitude


def test_normalize_label():
    for label in ["EEG FP1-REF", "EEG FP1-LE", "EEG Fp1-Ref", "FP1", " EEG FP1-AR "]:
        assert normalize_label(label) == "FP1"


def test_channel_matching_and_missing(tmp_path):
    path = tmp_path / "a.edf"
    written = write_edf(path)
    out = read_edf(path, ["FP2", "O1", "fp1"])
    assert out.labels == ["EEG FP2-REF", None, "EEG FP1-REF"]
    assert out.missing == ["O1"]
    assert out.data.shape == (3, 1000)
    assert not out.data[1].any()
    np.testing.assert_allclose(out.data[0], written[1], atol=0.01)
    np.testing.assert_allclose(out.data[2], written[0], atol=0.01)


def test_fixture_headers_parse():
    for path in sorted(FIXTURES.rglob("*.edf")):
        header, problems = validate_edf(path, ["FP1", "CZ"])
        assert header is not None and problems == [], (path, problems)
        assert header.duration_s == 2.0
        assert header.edf_type == "EDF+C"
        out = read_edf(path, ["FP1", "CZ"], header)
        assert out.data.shape == (2, int(2 * out.sfreq)) and out.missing == []


@pytest.mark.parametrize("name", sorted(DAMAGE))
def test_damaged_headers(tmp_path, name):
    damage, code, severity = DAMAGE[name]
    path = tmp_path / f"{name}.edf"
    write_edf(path)
    damage(path)
    header, problems = validate_edf(path, ["FP1", "FP2", "CZ"])
    found = [p for p in problems if p.problem == code]
    assert found, problems
    assert found[0].severity == severity
    assert path.name in found[0].detail
    if severity == "rejected":
        with pytest.raises(EdfError):
            read_edf(path, ["FP1"])
    else:
        out = read_edf(path, ["FP1"])
        assert out.data.shape[1] == header.n_usable_records * 100 > 0


def test_truncated_uses_complete_records(tmp_path):
    path = tmp_path / "t.edf"
    written = write_edf(path)
    full = read_edf(path, ["FP1"])
    shutil.copy(path, tmp_path / "copy.edf")
    raw = path.read_bytes()
    path.write_bytes(raw[:-10])
    header, problems = validate_edf(path)
    assert header.n_records == 10 and header.n_usable_records == 9
    assert "10 records" in problems[0].detail and "9 complete" in problems[0].detail
    out = read_edf(path, ["FP1"])
    np.testing.assert_array_equal(out.data, full.data[:, :900])
    np.testing.assert_allclose(out.data[0], written[0, :900], atol=0.01)


def test_bad_date_repaired_from_edfplus_startdate(tmp_path):
    path = tmp_path / "d.edf"
    write_edf(path)
    raw = bytearray(path.read_bytes())
    raw[168:176] = b"45.13.xx"
    path.write_bytes(bytes(raw))
    header, problems = validate_edf(path)
    assert header is not None
    assert [(p.severity, p.problem) for p in problems] == [("repaired", "bad_start_date")]


def test_trailing_bytes_warning(tmp_path):
    path = tmp_path / "x.edf"
    write_edf(path)
    with open(path, "ab") as fh:
        fh.write(b"\0" * 7)
    _, problems = validate_edf(path)
    assert [(p.severity, p.problem) for p in problems] == [("warning", "trailing_bytes")]


def test_short_file_and_discontinuous(tmp_path):
    short = tmp_path / "s.edf"
    short.write_bytes(b"0" * 100)
    assert validate_edf(short)[1][0].problem == "file_too_short"
    disc = tmp_path / "d.edf"
    write_edf(disc)
    raw = bytearray(disc.read_bytes())
    raw[192:197] = b"EDF+D"
    disc.write_bytes(bytes(raw))
    assert "discontinuous_edf" in [p.problem for p in validate_edf(disc)[1]]


def test_unneeded_channel_calibration_only_warns(tmp_path):
    from tests.helpers.edf import patch_signal_field

    path = tmp_path / "w.edf"
    write_edf(path)
    patch_signal_field(path, "physical_max", LABELS.index("EKG"), "-200")
    _, problems = validate_edf(path, ["FP1"])
    assert [(p.severity, p.problem) for p in problems] == [("warning", "physical_min_equals_max")]


def test_any_shared_reference_and_10_10_names(tmp_path):
    """A hospital's referential file: FP1-CS2, T7-CS2, P8-CS2 ... (10-10 names, CS2 reference)."""
    from pipeline.config import STANDARD_CHANNELS

    to_10_10 = {"T3": "T7", "T4": "T8", "T5": "P7", "T6": "P8"}
    labels = [f"{to_10_10.get(c, c).capitalize()}-CS2" for c in STANDARD_CHANNELS] + ["ECG"]
    path = tmp_path / "cs2.edf"
    written = write_edf(path, labels=labels)
    out = read_edf(path, STANDARD_CHANNELS)
    assert out.missing == [] and out.labels[7] == "T7-CS2"  # T3 read from T7
    np.testing.assert_allclose(out.data[7], written[7], atol=0.01)
    # Without the alias table only the four 10-10 names are missing.
    bare = read_edf(path, STANDARD_CHANNELS, aliases={})
    assert bare.missing == ["T3", "T4", "T5", "T6"]
    # A custom alias: the file's ECG read as a requested channel "EKG".
    assert read_edf(path, ["EKG"], aliases={"ECG": "EKG"}).missing == []


def test_a_bipolar_montage_is_rejected_by_name(tmp_path):
    from pipeline.io.edf import is_bipolar, no_channels_problem

    labels = ["EEG FP1-F7", "EEG F7-T3", "EEG T3-T5", "EEG T5-O1"]
    path = tmp_path / "bipolar.edf"
    write_edf(path, labels=labels)
    header, problems = validate_edf(path, ["FP1", "F7"])
    assert header is not None and problems == [] and is_bipolar(header.labels)
    rejection = no_channels_problem(path, header, ["FP1", "F7"])
    assert rejection.problem == "bipolar_montage" and "bipolar montage" in rejection.detail
    assert not is_bipolar(["EEG FP1-REF", "EEG F7-REF"]) and not is_bipolar(["FP1", "F7"])
