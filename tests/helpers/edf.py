"""Helpers for tests: write a small valid EDF with pyedflib, then damage it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyedflib
from pyedflib import highlevel

from pipeline.io.edf import SIGNAL_FIELDS
from tests.helpers import DATA

#: Real TUSZ-layout fixtures (MIT, epilepsy2bids): white-noise EDF stubs with real headers.
FIXTURES = DATA / "tusz_layout"

LABELS = ["EEG FP1-REF", "EEG FP2-REF", "EEG CZ-REF", "EKG"]


def write_edf(path: Path, seconds: int = 10, sfreq: int = 100, labels=LABELS) -> np.ndarray:
    """Write an EDF+ file with sines; returns the signals written (µV)."""
    t = np.arange(seconds * sfreq) / sfreq
    signals = np.stack([50 * np.sin(2 * np.pi * (i + 1) * t) for i in range(len(labels))])
    headers = highlevel.make_signal_headers(
        list(labels), sample_frequency=sfreq, physical_min=-200.0, physical_max=200.0
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    highlevel.write_edf(str(path), signals, headers, file_type=pyedflib.FILETYPE_EDFPLUS)
    return signals


def n_signals(path: Path) -> int:
    return int(path.read_bytes()[252:256])


def patch(path: Path, offset: int, text: str, width: int) -> None:
    """Overwrite an ASCII header field."""
    raw = bytearray(path.read_bytes())
    raw[offset : offset + width] = text.ljust(width).encode("ascii")
    path.write_bytes(bytes(raw))


def patch_signal_field(path: Path, field: str, signal: int, text: str) -> None:
    """Overwrite a per-signal header field of signal ``signal``."""
    ns = n_signals(path)
    widths = SIGNAL_FIELDS
    offset = 256
    for name, width in widths:
        if name == field:
            patch(path, offset + width * signal, text, width)
            return
        offset += width * ns
    raise KeyError(field)


def truncate(path: Path, n_bytes: int) -> None:
    raw = path.read_bytes()
    path.write_bytes(raw[:-n_bytes])


DAMAGE = {
    # name: (function(path), expected problem code, expected severity)
    "truncated": (lambda p: truncate(p, 100), "truncated_record", "repaired"),
    "too_many_records": (lambda p: patch(p, 236, "50", 8), "record_count_too_large", "repaired"),
    "zero_signals": (lambda p: patch(p, 252, "0", 4), "zero_signals", "rejected"),
    "bad_date": (
        lambda p: (patch(p, 168, "45.13.xx", 8), patch(p, 88, "X", 80)),
        "bad_start_date",
        "rejected",
    ),
    "phys_equal": (
        lambda p: patch_signal_field(p, "physical_max", 0, "-200"),
        "physical_min_equals_max",
        "rejected",
    ),
    "non_numeric": (lambda p: patch(p, 236, "abc", 8), "non_numeric_field", "rejected"),
    "duplicate": (
        lambda p: patch_signal_field(p, "label", 1, "EEG FP1-REF"),
        "duplicate_labels",
        "rejected",
    ),
}
