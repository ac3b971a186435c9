"""TUSZ v2 corpus layout, ``.csv_bi`` annotations and clinical notes.

Layout (spec section 3)::

    <root>/<split>/<subject>/s<NNN>_<YYYY>[_MM_DD]/<montage>/<subject>_s<NNN>_t<NNN>.edf
                                                                                   .csv_bi

Everything here reports :class:`~pipeline.io.problems.Problem` rows instead of
failing, except :func:`parse_csv_bi`, which raises :class:`AnnotationError`
(the caller turns it into a problem row).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipeline.io.problems import FileError, Problem, problem

_SESSION_DIR = re.compile(r"(s\d{3})_(\d{4}(?:_\d{2}_\d{2})?)")
_STEM = re.compile(r"(?P<subject>[a-z0-9]+)_(?P<session>s\d{3})_(?P<token>t\d{3})")
CSV_BI_COLUMNS = ("channel", "start_time", "stop_time", "label", "confidence")
CSV_BI_LABELS = frozenset({"seiz", "bckg"})


@dataclass(frozen=True)
class RecordingFiles:
    """One recording of the corpus: an EDF and its ``.csv_bi``."""

    recording_id: str  # file stem, e.g. aaaaaool_s004_t001
    subject: str
    session: str  # s004
    session_date: str  # 2013 or 2015_08_24
    montage: str  # 01_tcp_ar
    token: str  # t001
    split: str  # first path component under the root
    edf_path: Path
    csv_bi_path: Path


def recording_id(subject: str, session: str, token: int) -> str:
    """``<subject>_s<NNN>_t<NNN>``: the file stem of a recording, as :func:`discover_recordings`
    parses it (``session`` is ``s<NNN>``, ``token`` the recording's number)."""
    return f"{subject}_{session}_t{token:03d}"


def discover_recordings(root: str | Path) -> tuple[list[RecordingFiles], list[Problem]]:
    """Find every recording under ``root``.

    Returns
    -------
    recordings : list of RecordingFiles
        Sorted by (split, subject, session, token, montage).
    problems : list of Problem
        ``warning`` for an EDF whose path does not fit the layout (skipped),
        ``rejected`` for an EDF without ``.csv_bi``, ``warning`` for a
        ``.csv_bi`` without EDF.
    """
    root = Path(root)
    problems: list[Problem] = []
    if not root.is_dir():
        return [], [
            problem(root, "rejected", "missing_root", f"corpus root {root} is not a folder")
        ]
    recordings: list[RecordingFiles] = []
    for edf in sorted(root.rglob("*.edf")):
        rel = edf.relative_to(root).parts
        parsed = _parse_layout(rel)
        if isinstance(parsed, str):
            problems.append(
                problem(edf, "warning", "unexpected_path", f"{'/'.join(rel)}: {parsed}; skipped")
            )
            continue
        csv_bi = edf.with_suffix(".csv_bi")
        if not csv_bi.is_file():
            problems.append(
                problem(edf, "rejected", "missing_annotations", f"no {csv_bi.name} next to the EDF")
            )
            continue
        recordings.append(RecordingFiles(**parsed, edf_path=edf, csv_bi_path=csv_bi))
    for csv_bi in sorted(root.rglob("*.csv_bi")):
        if not csv_bi.with_suffix(".edf").is_file():
            problems.append(
                problem(
                    csv_bi, "warning", "missing_edf", "annotation file without its EDF; skipped"
                )
            )
    recordings.sort(key=lambda r: (r.split, r.subject, r.session, r.token, r.montage))
    return recordings, problems


def _parse_layout(parts: tuple[str, ...]) -> dict[str, str] | str:
    """Fields of a path relative to the root, or a sentence saying what is wrong."""
    if len(parts) != 5:
        return (
            f"expected <split>/<subject>/<session>/<montage>/<file>, got {len(parts)} "
            "path components"
        )
    split, subject, session_dir, montage, name = parts
    session_match = _SESSION_DIR.fullmatch(session_dir)
    if not session_match:
        return f"session folder {session_dir!r} is not s<NNN>_<YYYY>[_MM_DD]"
    stem = Path(name).stem
    stem_match = _STEM.fullmatch(stem)
    if not stem_match:
        return f"file name {name!r} is not <subject>_s<NNN>_t<NNN>.edf"
    if stem_match["subject"] != subject or stem_match["session"] != session_match[1]:
        return f"file name {name!r} does not match its folders {subject}/{session_dir}"
    return {
        "recording_id": stem,
        "subject": subject,
        "session": session_match[1],
        "session_date": session_match[2],
        "montage": montage,
        "token": stem_match["token"],
        "split": split,
    }


def guess_ids(path: str | Path, root: str | Path) -> tuple[str | None, str | None]:
    """(subject, recording_id) of a path under ``root`` that may not fit the layout.

    For the issues report: a file rejected for its path still names its patient
    when the folder above it looks like one. None where nothing fits.
    """
    try:
        parts = Path(path).relative_to(root).parts
    except ValueError:
        return None, None
    subject = parts[1] if len(parts) >= 3 else None
    recording_id = Path(parts[-1]).stem if len(parts) == 5 and subject else None
    if recording_id and not recording_id.startswith(f"{subject}_"):
        recording_id = None
    return subject, recording_id


# --------------------------------------------------------------------------- annotations


class AnnotationError(FileError):
    """A ``.csv_bi`` file that cannot be parsed."""


@dataclass(frozen=True)
class Event:
    channel: str
    start_s: float
    stop_s: float
    label: str
    confidence: float


@dataclass(frozen=True)
class Annotations:
    version: str | None
    bname: str | None
    duration_s: float | None
    events: list[Event]


def parse_csv_bi(path: str | Path, labels: frozenset[str] = CSV_BI_LABELS) -> Annotations:
    """Parse a TUSZ ``.csv_bi`` file; columns are found by header name.

    Raises
    ------
    AnnotationError
        Missing column, non-numeric time, stop < start, unknown label, bad encoding.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise AnnotationError(path, f"cannot read: {err}") from None
    meta: dict[str, str] = {}
    body: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            key, sep, value = stripped[1:].partition("=")
            if sep:
                meta[key.strip().lower()] = value.strip()
        elif stripped:
            body.append(stripped)
    if not body:
        raise AnnotationError(path, "no column header line")
    reader = csv.DictReader(io.StringIO("\n".join(body)))
    columns = [c.strip() for c in reader.fieldnames or []]
    reader.fieldnames = columns
    missing = [c for c in CSV_BI_COLUMNS if c not in columns]
    if missing:
        raise AnnotationError(path, f"missing column(s) {missing}; header is {columns}")
    duration = None
    if "duration" in meta:
        m = re.match(r"([-+0-9.eE]+)", meta["duration"])
        try:
            duration = float(m[1]) if m else None
        except ValueError:
            duration = None
        if duration is None:
            raise AnnotationError(path, f"duration {meta['duration']!r} is not a number")
    events = []
    for line_no, row in enumerate(reader, start=2):
        where = f"data row {line_no - 1}"
        values = {k: (row.get(k) or "").strip() for k in CSV_BI_COLUMNS}
        try:
            start, stop = float(values["start_time"]), float(values["stop_time"])
        except ValueError:
            raise AnnotationError(
                path,
                f"{where}: non-numeric time start={values['start_time']!r} "
                f"stop={values['stop_time']!r}",
            ) from None
        if stop < start:
            raise AnnotationError(path, f"{where}: stop {stop} < start {start}")
        if values["label"] not in labels:
            raise AnnotationError(
                path, f"{where}: unknown label {values['label']!r} (expected {sorted(labels)})"
            )
        try:
            confidence = float(values["confidence"]) if values["confidence"] else 1.0
        except ValueError:
            raise AnnotationError(
                path, f"{where}: non-numeric confidence {values['confidence']!r}"
            ) from None
        events.append(Event(values["channel"], start, stop, values["label"], confidence))
    return Annotations(meta.get("version"), meta.get("bname"), duration, events)


def seizure_intervals(annotations: Annotations, label: str = "seiz") -> list[tuple[float, float]]:
    """Sorted, merged (start, stop) intervals of ``label`` events (any channel)."""
    spans = sorted((e.start_s, e.stop_s) for e in annotations.events if e.label == label)
    merged: list[tuple[float, float]] = []
    for start, stop in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged


# --------------------------------------------------------------------------- notes


@dataclass(frozen=True)
class Note:
    subject: str
    session: str
    path: str
    text: str


def _decode(path: Path, raw: bytes) -> tuple[str | None, list[Problem]]:
    try:
        text = raw.decode("utf-8-sig")
        problems = []
    except UnicodeDecodeError as err:
        text = raw.decode("latin-1")
        problems = [
            problem(
                path,
                "repaired",
                "note_encoding",
                f"not valid UTF-8 (byte {err.start}); decoded as latin-1",
            )
        ]
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t\f")
    if "\x00" in text or controls > max(5, len(text) // 100):
        return None, [
            problem(
                path, "rejected", "undecodable_note", f"binary content ({controls} control chars)"
            )
        ]
    if not text.strip():
        return None, [*problems, problem(path, "rejected", "empty_note", "note is empty")]
    return text, problems


def discover_notes(
    root: str | Path, notes_table: str | Path | None = None
) -> tuple[list[Note], list[Problem]]:
    """Clinical notes: ``.txt`` files in session folders and rows of a notes table.

    A ``.txt`` directly in ``<split>/<subject>/<session>/`` or in its montage
    folder is a note of that session. The optional table (CSV or Parquet) has
    columns ``subject, session, text``; ``session`` may be ``s004`` or
    ``s004_2013``.
    """
    root = Path(root)
    notes: list[Note] = []
    problems: list[Problem] = []
    if root.is_dir():
        for txt in sorted(root.rglob("*.txt")):
            parts = txt.relative_to(root).parts
            session_match = _SESSION_DIR.fullmatch(parts[2]) if len(parts) in (4, 5) else None
            if session_match is None:
                problems.append(
                    problem(
                        txt,
                        "warning",
                        "unexpected_path",
                        f"{'/'.join(parts)} is not in a session folder; not used as a note",
                    )
                )
                continue
            try:
                raw = txt.read_bytes()
            except OSError as err:
                problems.append(problem(txt, "rejected", "unreadable_note", f"cannot read: {err}"))
                continue
            text, found = _decode(txt, raw)
            problems.extend(found)
            if text is not None:
                notes.append(Note(parts[1], session_match[1], str(txt), text))
    if notes_table is not None:
        table_notes, table_problems = _read_notes_table(Path(notes_table))
        notes.extend(table_notes)
        problems.extend(table_problems)
    notes.sort(key=lambda n: (n.subject, n.session, n.path))
    return notes, problems


def _read_notes_table(path: Path) -> tuple[list[Note], list[Problem]]:
    try:
        if path.suffix.lower() == ".parquet":
            table = pl.read_parquet(path)
        else:
            table = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    except Exception as err:  # noqa: BLE001 - any reader failure is reported
        return [], [problem(path, "rejected", "unreadable_notes_table", f"cannot read: {err}")]
    missing = [c for c in ("subject", "session", "text") if c not in table.columns]
    if missing:
        return [], [
            problem(
                path,
                "rejected",
                "bad_notes_table",
                f"missing column(s) {missing}; columns are {table.columns}",
            )
        ]
    notes, problems = [], []
    for i, row in enumerate(table.select("subject", "session", "text").iter_rows(named=True)):
        subject = str(row["subject"] or "").strip()
        session = str(row["session"] or "").strip().split("_")[0]
        text = row["text"]
        where = f"{path}#row{i + 1}"
        if isinstance(text, bytes):
            text, found = _decode(Path(where), text)
            problems.extend(found)
            if text is None:
                continue
        if not subject or not session:
            problems.append(
                problem(path, "rejected", "bad_notes_table", f"row {i + 1}: empty subject/session")
            )
        elif not isinstance(text, str) or not text.strip():
            problems.append(
                problem(path, "rejected", "empty_note", f"row {i + 1} ({subject} {session}): empty")
            )
        else:
            notes.append(Note(subject, session, where, text))
    return notes, problems
