"""EDF / EDF+ header validation and fast signal reading, done by hand.

Why not a library: pyedflib is strict (it refuses a file whose last data record
is truncated or whose header declares more records than the file holds, which
happens in real clinical exports) and mne / edfio are lenient (they silently
truncate or pad). Neither lets us *decide* and *report*. So this module parses
the 256-byte fixed header and the ``256 * ns`` signal header itself (all ASCII
fields), reports every anomaly as a :class:`~pipeline.io.problems.Problem` with
an explicit decision (rejected / repaired / warning), and reads the data
records with numpy (little-endian int16, memory-mapped), using only the complete
records and only the requested signals.

The repair rule, shared by :func:`validate_edf` and :func:`read_edf`: when the
header declares more records than the file holds (or the last record is cut
short), the complete records are used if there is at least one of them
(``repaired``), otherwise the file is rejected.

Validation never reads the signal data: it reads the header and the file size.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from pipeline.io.problems import FileError, Problem, is_rejected, problem
from pipeline.registry import ELECTRODES, TEN_TEN_ALIASES

ANNOTATION_LABELS = frozenset({"EDF Annotations", "BDF Annotations"})
_SUFFIXES = ("-REF", "-LE", "-AR")
#: An electrode pair label: "FP1-CS2", "T7 - A1", "FP1-F7".
_PAIR = re.compile(r"^([A-Z0-9]+)\s*-\s*([A-Z0-9]+)$")
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    )
}


#: The per-signal header fields of EDF, in file order, with their widths in bytes.
SIGNAL_FIELDS: tuple[tuple[str, int], ...] = (
    ("label", 16),
    ("transducer", 80),
    ("physical_dim", 8),
    ("physical_min", 8),
    ("physical_max", 8),
    ("digital_min", 8),
    ("digital_max", 8),
    ("prefilter", 80),
    ("samples_per_record", 8),
    ("reserved", 32),
)


class EdfError(FileError):
    """An EDF file that cannot be read; ``detail`` says why."""


@dataclass(frozen=True, eq=False)
class EdfHeader:
    """The parsed header of an EDF/EDF+ file (no signal data).

    ``n_records`` is the *declared* record count; :attr:`n_usable_records` is
    the number of complete records the file really holds (the repair rule).
    """

    path: str
    version: str
    patient: str
    recording: str
    start: datetime
    header_bytes: int
    n_records: int
    record_duration_s: float
    labels: tuple[str, ...]
    transducers: tuple[str, ...]
    physical_dims: tuple[str, ...]
    physical_min: np.ndarray
    physical_max: np.ndarray
    digital_min: np.ndarray
    digital_max: np.ndarray
    prefilters: tuple[str, ...]
    samples_per_record: np.ndarray
    reserved: str
    file_size: int
    signal_reserved: tuple[str, ...] = field(default=())

    @property
    def n_signals(self) -> int:
        return len(self.labels)

    @property
    def edf_type(self) -> str:
        """``"EDF+C"``, ``"EDF+D"`` or ``"EDF"`` (from the reserved field)."""
        head = self.reserved.strip()[:5]
        return head if head in ("EDF+C", "EDF+D") else "EDF"

    @property
    def record_bytes(self) -> int:
        return int(self.samples_per_record.sum()) * 2

    @property
    def sfreq(self) -> np.ndarray:
        """Sampling rate of each signal (Hz)."""
        return self.samples_per_record / self.record_duration_s

    @property
    def n_available_records(self) -> int:
        """Complete records present in the file (from its size)."""
        if self.record_bytes <= 0:
            return 0
        return max(self.file_size - self.header_bytes, 0) // self.record_bytes

    @property
    def n_usable_records(self) -> int:
        """Records that are both declared (if declared) and complete."""
        if self.n_records < 0:
            return self.n_available_records
        return min(self.n_records, self.n_available_records)

    @property
    def duration_s(self) -> float:
        """Duration of the usable complete records (s)."""
        return self.n_usable_records * self.record_duration_s

    @property
    def declared_duration_s(self) -> float:
        return self.n_records * self.record_duration_s

    @property
    def signal_indices(self) -> list[int]:
        """Indices of the ordinary (non-annotation) signals."""
        return [i for i, lab in enumerate(self.labels) if lab not in ANNOTATION_LABELS]


@dataclass
class EdfSignals:
    """Signals read by :func:`read_edf`.

    Attributes
    ----------
    data : ndarray, shape (n_channels, n_samples), float64
        Physical units (µV for EEG); missing channels are zeros.
    sfreq : float
    labels : list of str or None
        Original EDF label of each requested channel, None when missing.
    missing : list of str
        Requested channels not found (zero-filled).
    """

    data: np.ndarray
    sfreq: float
    labels: list[str | None]
    missing: list[str]


def normalize_label(label: str) -> str:
    """TUH-style label to a bare channel name: ``"EEG Fp1-REF"`` -> ``"FP1"``."""
    name = label.strip().upper()
    if name.startswith("EEG "):
        name = name[4:].strip()
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return name.strip()


def _pairs(labels: Sequence[str]) -> list[tuple[str, str]]:
    """The (electrode, second part) of every label of the form ``E-X`` with E an electrode."""
    found = []
    for label in labels:
        name = label.strip().upper().removeprefix("EEG ").strip()
        match = _PAIR.match(name)
        if match and match.group(1) in ELECTRODES:
            found.append((match.group(1), match.group(2)))
    return found


def reference_suffix(labels: Sequence[str]) -> str | None:
    """The reference of a referential recording: the suffix most electrode labels share.

    ``EEG FP1-CS2``, ``EEG T7-CS2``, ... -> ``"CS2"``. None when fewer than two
    electrode labels carry a suffix or no suffix is shared by half of them (a
    bipolar montage, or bare names).
    """
    pairs = _pairs(labels)
    if len(pairs) < 2:
        return None
    suffix, count = Counter(second for _, second in pairs).most_common(1)[0]
    return suffix if count >= len(pairs) / 2 else None


def is_bipolar(labels: Sequence[str]) -> bool:
    """Whether the labels are electrode pairs without a shared reference ("FP1-F7", "F7-T3")."""
    pairs = [(a, b) for a, b in _pairs(labels) if b in ELECTRODES]
    return len(pairs) >= 2 and reference_suffix(labels) is None


def canonical_names(
    labels: Sequence[str], aliases: Mapping[str, str] = TEN_TEN_ALIASES
) -> list[str]:
    """The channel name of every label: prefix and reference removed, 10-10 names mapped.

    ``EEG Fp1-REF`` -> ``FP1``; in a file referenced to CS2, ``EEG T7-CS2`` -> ``T3``
    (with the default ``aliases``); bipolar labels stay as they are (``FP1-F7``).
    """
    reference = reference_suffix(labels)
    names = []
    for label in labels:
        name = normalize_label(label)
        if reference is not None:
            match = _PAIR.match(name)
            if match and match.group(2) == reference:
                name = match.group(1)
        names.append(aliases.get(name, name))
    return names


def no_channels_problem(path: str | Path, header: EdfHeader, channels: Sequence[str]) -> Problem:
    """The rejection of a file where none of ``channels`` is found, naming a bipolar montage."""
    labels = [header.labels[i] for i in header.signal_indices]
    if is_bipolar(labels):
        return problem(path, "rejected", "bipolar_montage",
                       f"the channels form a bipolar montage ({', '.join(labels[:4])}, ...); the "
                       f"pipeline reads the {len(channels)} referential channels (each electrode "
                       "against one reference)")  # fmt: skip
    return problem(path, "rejected", "no_eeg_channels",
                   f"none of the {len(channels)} required channels found; labels are "
                   f"{list(header.labels)}")  # fmt: skip


def channel_indices(
    header: EdfHeader, channels: Sequence[str], aliases: Mapping[str, str] = TEN_TEN_ALIASES
) -> list[int | None]:
    """Signal index of each requested channel (None when absent), by canonical name."""
    names = canonical_names(header.labels, aliases)
    lookup: dict[str, int] = {}
    for i in header.signal_indices:
        lookup.setdefault(names[i], i)
    return [lookup.get(aliases.get(normalize_label(ch), normalize_label(ch))) for ch in channels]


# --------------------------------------------------------------------------- header


def _fields(raw: bytes, width: int, ns: int) -> tuple[list[str], bytes]:
    n = width * ns
    chunk, rest = raw[:n], raw[n:]
    return [chunk[i * width : (i + 1) * width].decode("latin-1").strip() for i in range(ns)], rest


def _parse_start(date: str, time: str, recording: str) -> tuple[datetime | None, str | None]:
    """Start datetime from ``dd.mm.yy`` / ``hh.mm.ss`` (or EDF+ ``Startdate``).

    Returns (start, note): note is None when the standard fields were fine, a
    sentence when the EDF+ ``Startdate`` had to be used; start is None when
    nothing valid was found.
    """
    hms = None
    m = re.fullmatch(r"(\d\d)\.(\d\d)\.(\d\d)", time)
    if m and int(m[1]) < 24 and int(m[2]) < 60 and int(m[3]) < 60:
        hms = (int(m[1]), int(m[2]), int(m[3]))
    if hms is None:
        return None, None
    m = re.fullmatch(r"(\d\d)\.(\d\d)\.(\d\d)", date)
    if m:
        yy = int(m[3])
        year = 1900 + yy if yy >= 85 else 2000 + yy
        try:
            return datetime(year, int(m[2]), int(m[1]), *hms), None
        except ValueError:
            pass
    m = re.match(r"Startdate (\d\d)-([A-Z]{3})-(\d{4})", recording)
    if m and m[2] in _MONTHS:
        try:
            start = datetime(int(m[3]), _MONTHS[m[2]], int(m[1]), *hms)
        except ValueError:
            return None, None
        return start, f"invalid start date {date!r}; used the EDF+ Startdate {m[0][10:]!r}"
    return None, None


@dataclass
class _Report:
    """The problems found in one file, in the order they were found."""

    path: Path
    problems: list[Problem] = field(default_factory=list)

    def __call__(self, severity: str, code: str, detail: str) -> None:
        self.problems.append(problem(self.path, severity, code, detail))

    def number(self, value: str, kind: type, what: str) -> float | int | None:
        """``value`` as ``kind``; None (and a rejection) when it is not a number."""
        try:
            return kind(value)
        except ValueError:
            self("rejected", "non_numeric_field", f"{what} is {value!r}, not a number")
            return None


def _read_header_bytes(path: Path, report: _Report) -> tuple[bytes, bytes, int, int] | None:
    """(fixed 256-byte header, signal headers, number of signals, file size), or None.

    None when the file is unreadable, too short, not EDF or declares no signals.
    """
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            fixed = fh.read(256)
            if size < 256:
                report(
                    "rejected", "file_too_short", f"{size} bytes, shorter than the 256-byte header"
                )
                return None
            version = fixed[0:8].decode("latin-1")
            if fixed[0:1] == b"\xff" or version.strip() != "0":
                report(
                    "rejected", "unsupported_format", f"version field {version!r} is not EDF '0'"
                )
                return None
            ns_text = fixed[252:256].decode("latin-1").strip()
            try:
                ns = int(ns_text)
            except ValueError:
                report("rejected", "non_numeric_field", f"number of signals is {ns_text!r}")
                return None
            if ns <= 0:
                report("rejected", "zero_signals", f"header declares {ns} signals")
                return None
            if size < 256 * (ns + 1):
                report(
                    "rejected",
                    "file_too_short",
                    f"{size} bytes, shorter than the {256 * (ns + 1)}-byte header of {ns} signals",
                )
                return None
            return fixed, fh.read(256 * ns), ns, size
    except OSError as err:
        report("rejected", "unreadable_file", f"cannot read: {err}")
        return None


def _text_fields(fixed: bytes, signal_raw: bytes, ns: int) -> tuple[dict, dict[str, list[str]]]:
    """The fixed header's and every signal header's fields, as stripped text."""
    text = {
        "patient": fixed[8:88],
        "recording": fixed[88:168],
        "date": fixed[168:176],
        "time": fixed[176:184],
        "header_bytes": fixed[184:192],
        "reserved": fixed[192:236],
        "n_records": fixed[236:244],
        "record_duration": fixed[244:252],
    }
    text = {k: v.decode("latin-1").strip() for k, v in text.items()}
    rest = signal_raw
    sig: dict[str, list[str]] = {}
    for name, width in SIGNAL_FIELDS:
        sig[name], rest = _fields(rest, width, ns)
    return text, sig


def _signal_numbers(sig: dict[str, list[str]], report: _Report) -> dict[str, list]:
    """The numeric signal fields, per signal (None where a field is not a number)."""
    arrays: dict[str, list] = {}
    for name, kind in (
        ("physical_min", float),
        ("physical_max", float),
        ("digital_min", int),
        ("digital_max", int),
        ("samples_per_record", int),
    ):
        arrays[name] = [
            report.number(v, kind, f"{name.replace('_', ' ')} of signal {lab!r}")
            for v, lab in zip(sig[name], sig["label"], strict=True)
        ]
    return arrays


def _start_time(text: dict, report: _Report) -> datetime | None:
    """The recording start, repaired where possible (see :func:`_parse_start`)."""
    start, note = _parse_start(text["date"], text["time"], text["recording"])
    if start is None:
        report(
            "rejected",
            "bad_start_date",
            f"start date/time {text['date']!r} {text['time']!r} is not a valid dd.mm.yy hh.mm.ss",
        )
    elif note:
        report("repaired", "bad_start_date", note)
    return start


def validate_edf(
    path: str | Path,
    channels: Sequence[str] | None = None,
    aliases: Mapping[str, str] = TEN_TEN_ALIASES,
) -> tuple[EdfHeader | None, list[Problem]]:
    """Parse and check the header of an EDF/EDF+ file without reading its data.

    Parameters
    ----------
    path : str or Path
    channels : sequence of str, optional
        The channels the pipeline needs. Anomalies of a needed channel (or of
        any signal when None) reject the file; those of other signals only warn.
    aliases : mapping of str -> str
        Channel names mapped before matching (10-10 to 10-20 names by default;
        ``preprocess.channel_aliases``), see :func:`canonical_names`.

    Returns
    -------
    header : EdfHeader or None
        None when the header could not be parsed at all.
    problems : list of Problem
        Empty for a clean file. The file is usable unless one is ``rejected``.
    """
    path = Path(path)
    report = _Report(path)
    raw = _read_header_bytes(path, report)
    if raw is None:
        return None, report.problems
    fixed, signal_raw, ns, size = raw
    text, sig = _text_fields(fixed, signal_raw, ns)
    header_bytes = report.number(text["header_bytes"], int, "header bytes field")
    n_records = report.number(text["n_records"], int, "number of data records")
    record_duration = report.number(text["record_duration"], float, "record duration")
    arrays = _signal_numbers(sig, report)
    start = _start_time(text, report)
    if is_rejected(report.problems):
        return None, report.problems

    header = EdfHeader(
        path=str(path),
        version=fixed[0:8].decode("latin-1"),
        patient=text["patient"],
        recording=text["recording"],
        start=start,
        header_bytes=header_bytes,
        n_records=n_records,
        record_duration_s=record_duration,
        labels=tuple(sig["label"]),
        transducers=tuple(sig["transducer"]),
        physical_dims=tuple(sig["physical_dim"]),
        physical_min=np.asarray(arrays["physical_min"], dtype=float),
        physical_max=np.asarray(arrays["physical_max"], dtype=float),
        digital_min=np.asarray(arrays["digital_min"], dtype=np.int64),
        digital_max=np.asarray(arrays["digital_max"], dtype=np.int64),
        prefilters=tuple(sig["prefilter"]),
        samples_per_record=np.asarray(arrays["samples_per_record"], dtype=np.int64),
        reserved=text["reserved"],
        file_size=size,
        signal_reserved=tuple(sig["reserved"]),
    )
    return header, report.problems + _check_header(header, channels, aliases)


def _check_layout(h: EdfHeader, report: _Report) -> None:
    """Header size, continuity, record duration and samples per record."""
    expected = 256 * (h.n_signals + 1)
    if h.header_bytes != expected:
        report(
            "rejected",
            "header_size_mismatch",
            f"header declares {h.header_bytes} header bytes but {h.n_signals} signals "
            f"need {expected}",
        )
    if h.edf_type == "EDF+D":
        report("rejected", "discontinuous_edf", "EDF+D (discontinuous) files are not supported")
    if not h.record_duration_s > 0:
        report("rejected", "bad_record_duration", f"record duration is {h.record_duration_s} s")
    if np.any(h.samples_per_record <= 0):
        bad = [h.labels[i] for i in np.flatnonzero(h.samples_per_record <= 0)]
        report("rejected", "bad_samples_per_record", f"signals {bad} have <= 0 samples per record")


def _check_calibration(
    h: EdfHeader, names: list[str], needed: set[str] | None, report: _Report
) -> None:
    """Per signal: physical and digital ranges that cannot scale samples."""
    for i in h.signal_indices:
        lab = h.labels[i]
        bad = []
        if h.physical_min[i] == h.physical_max[i]:
            bad.append(f"physical min == max == {h.physical_min[i]:g}")
        if h.digital_min[i] >= h.digital_max[i]:
            bad.append(f"digital min {h.digital_min[i]} >= digital max {h.digital_max[i]}")
        if bad:
            severity = "rejected" if _is_needed(names[i], needed) else "warning"
            code = "physical_min_equals_max" if "physical" in bad[0] else "bad_digital_range"
            report(severity, code, f"signal {lab!r}: {'; '.join(bad)}")


def _check_duplicates(
    h: EdfHeader, names: list[str], needed: set[str] | None, report: _Report
) -> None:
    """Duplicate channels, after normalisation (so FP1-REF and FP1-LE also clash)."""
    seen: dict[str, list[str]] = {}
    for i in h.signal_indices:
        seen.setdefault(names[i], []).append(h.labels[i])
    for name, labs in seen.items():
        if len(labs) > 1:
            severity = "rejected" if needed is None or name in needed else "warning"
            report(severity, "duplicate_labels", f"channel {name!r} appears {len(labs)}x: {labs}")


def _check_sampling_rates(
    h: EdfHeader, names: list[str], needed: set[str] | None, report: _Report
) -> None:
    """One sampling rate over the EEG channels (the needed ones, or all ``EEG *``)."""
    if needed is None:
        eeg = [i for i in h.signal_indices if h.labels[i].upper().startswith("EEG")]
    else:
        eeg = [i for i in h.signal_indices if _is_needed(names[i], needed)]
    rates = sorted({float(h.sfreq[i]) for i in eeg})
    if len(rates) > 1:
        report("rejected", "mixed_sampling_rates", f"EEG channels have sampling rates {rates} Hz")


def _check_record_count(h: EdfHeader, report: _Report) -> None:
    """The declared record count against the file size (repaired where possible)."""
    data_bytes = h.file_size - h.header_bytes
    available = h.n_available_records
    partial = data_bytes - available * h.record_bytes
    if h.n_records == 0:
        report("rejected", "no_records", "header declares 0 data records")
    elif h.n_records == -1:
        if available >= 1:
            report(
                "repaired",
                "unknown_record_count",
                f"header declares -1 (unknown) records; using the {available} complete records "
                f"in the file",
            )
        else:
            report("rejected", "unknown_record_count", "record count -1 and no complete record")
    elif h.n_records < 0:
        report("rejected", "non_numeric_field", f"number of data records is {h.n_records}")
    elif h.n_records > available:
        code = "truncated_record" if partial else "record_count_too_large"
        what = (
            f"header declares {h.n_records} records of {h.record_bytes} bytes but the file "
            f"holds {available} complete records"
            + (f" and a truncated one of {partial} bytes" if partial else "")
        )
        if available >= 1:
            report(
                "repaired",
                code,
                f"{what}; using the {available} complete records "
                f"({available * h.record_duration_s:g} s of {h.declared_duration_s:g} s)",
            )
        else:
            report("rejected", code, f"{what}; nothing usable")
    else:
        extra = data_bytes - h.n_records * h.record_bytes
        if extra > 0:
            report(
                "warning",
                "trailing_bytes",
                f"{extra} bytes after the {h.n_records} declared records; ignored",
            )


def _is_needed(name: str, needed: set[str] | None) -> bool:
    """Whether a channel is one the pipeline reads (every one when ``needed`` is None)."""
    return needed is None or name in needed


def _check_header(
    h: EdfHeader, channels: Sequence[str] | None, aliases: Mapping[str, str]
) -> list[Problem]:
    """Every check of a parsed header; the layout checks first, the rest only if they pass."""
    report = _Report(Path(h.path))
    _check_layout(h, report)
    if report.problems:
        return report.problems
    names = canonical_names(h.labels, aliases)
    needed = (
        None if channels is None else {aliases.get(n, n) for n in map(normalize_label, channels)}
    )
    _check_calibration(h, names, needed, report)
    _check_duplicates(h, names, needed, report)
    _check_sampling_rates(h, names, needed, report)
    _check_record_count(h, report)
    return report.problems


# --------------------------------------------------------------------------- data


def read_edf(
    path: str | Path,
    channels: Sequence[str],
    header: EdfHeader | None = None,
    dtype: np.dtype | type = np.float64,
    aliases: Mapping[str, str] = TEN_TEN_ALIASES,
) -> EdfSignals:
    """Read the requested channels of an EDF file in physical units.

    Parameters
    ----------
    path : str or Path
    channels : sequence of str
        Wanted channels, matched by canonical name (see :func:`canonical_names`:
        any shared reference suffix, 10-10 names through ``aliases``). Channels
        not present are zero-filled and listed in ``missing``.
    header : EdfHeader, optional
        A header already validated; otherwise the file is validated here and an
        :class:`EdfError` is raised when it is rejected.
    dtype : numpy dtype
        Of the returned samples; float32 halves memory for preprocessing.
    aliases : mapping of str -> str
        As for :func:`validate_edf`.

    Returns
    -------
    EdfSignals
    """
    if header is None:
        header, problems = validate_edf(path, channels, aliases)
        rejected = [p for p in problems if p.severity == "rejected"]
        if header is None or rejected:
            raise EdfError(path, "; ".join(p.detail for p in rejected) or "unreadable header")
    index = channel_indices(header, channels, aliases)
    spr = header.samples_per_record
    found = [i for i in index if i is not None]
    per_record = {int(spr[i]) for i in found}
    if len(per_record) > 1:
        rates = sorted({float(header.sfreq[i]) for i in found})
        raise EdfError(path, f"requested channels have different sampling rates {rates} Hz")
    if found:
        n_per = per_record.pop()
    else:
        ordinary = header.signal_indices
        n_per = int(spr[ordinary[0]]) if ordinary else 1
    n_rec = header.n_usable_records
    data = np.zeros((len(channels), n_rec * n_per), dtype=dtype)
    if found and n_rec > 0:
        raw = np.memmap(
            path,
            dtype="<i2",
            mode="r",
            offset=header.header_bytes,
            shape=(n_rec, header.record_bytes // 2),
        )
        offsets = np.concatenate([[0], np.cumsum(spr)])
        dmin = header.digital_min.astype(float)
        gain = (header.physical_max - header.physical_min) / (header.digital_max - dmin)
        shift = header.physical_min - dmin * gain
        for row, i in enumerate(index):
            if i is None:
                continue
            out = data[row].reshape(n_rec, n_per)
            np.multiply(raw[:, offsets[i] : offsets[i] + n_per], gain[i], out=out)
            out += shift[i]
        del raw
    return EdfSignals(
        data=data,
        sfreq=float(n_per / header.record_duration_s),
        labels=[None if i is None else header.labels[i] for i in index],
        missing=[ch for ch, i in zip(channels, index, strict=True) if i is None],
    )
