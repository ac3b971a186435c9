"""What every corpus source gives: recordings, seizure annotations and clinical notes.

The sources (:mod:`pipeline.io.tusz`, :mod:`pipeline.io.bids`,
:mod:`pipeline.io.edfplus`) each find their recordings and read their own
annotation format into these types; the ingest validates them all alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipeline.io.problems import FileError, Problem, problem

#: The session of a recording whose layout names none (a plain folder of EDF+ files).
DEFAULT_SESSION = "s001"
#: The label of a seizure event in :class:`Annotations`, whatever the source called it.
SEIZURE = "seiz"


@dataclass(frozen=True)
class RecordingFiles:
    """One recording of a corpus: an EDF and where its seizure marks are.

    The identity fields are what the source's layout gives; a field the layout
    does not have is an empty string (a plain EDF folder has no montage folder).
    """

    recording_id: str  # unique in the corpus: aaaaaool_s004_t001, sub-01_ses-01_task-x_run-01
    subject: str
    session: str  # s004, a BIDS session label, or DEFAULT_SESSION
    session_date: str  # 2013 or 2015_08_24 (TUSZ); empty elsewhere
    montage: str  # 01_tcp_ar (TUSZ), the BIDS acq label, or empty
    token: str  # t001 (TUSZ), the BIDS run label, or empty
    split: str  # the key of data.cohorts this recording belongs to
    edf_path: Path
    #: The ``.csv_bi``, the ``*_events.tsv``, or the EDF+ itself (annotations in the file).
    annotations_path: Path


class AnnotationError(FileError):
    """Seizure annotations (``.csv_bi``, ``events.tsv``, EDF+) that cannot be parsed."""


@dataclass(frozen=True)
class Event:
    channel: str
    start_s: float
    stop_s: float
    label: str
    confidence: float


@dataclass(frozen=True)
class Annotations:
    """The events of one recording; ``label`` is ``seiz`` for a seizure, whatever the source
    called it, and ``duration_s`` the duration the annotations declare (None: not given)."""

    version: str | None
    bname: str | None
    duration_s: float | None
    events: list[Event]


def seizure_intervals(annotations: Annotations, label: str = SEIZURE) -> list[tuple[float, float]]:
    """Sorted, merged (start, stop) intervals of ``label`` events (any channel)."""
    spans = sorted((e.start_s, e.stop_s) for e in annotations.events if e.label == label)
    merged: list[tuple[float, float]] = []
    for start, stop in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged


@dataclass(frozen=True)
class Note:
    subject: str
    session: str
    path: str
    text: str


def decode_note(path: Path, raw: bytes) -> tuple[str | None, list[Problem]]:
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


def read_note_file(path: Path, subject: str, session: str) -> tuple[Note | None, list[Problem]]:
    """One note file of ``subject``'s ``session``: the note, or None and why not."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        return None, [problem(path, "rejected", "unreadable_note", f"cannot read: {err}")]
    text, problems = decode_note(path, raw)
    return (None if text is None else Note(subject, session, str(path), text)), problems


def with_notes_table(
    notes: list[Note], problems: list[Problem], notes_table: str | Path | None
) -> tuple[list[Note], list[Problem]]:
    """``notes`` and the rows of the optional notes table, sorted by subject, session, path;
    ``problems`` and the table's."""
    if notes_table is not None:
        table_notes, table_problems = read_notes_table(Path(notes_table))
        notes, problems = [*notes, *table_notes], [*problems, *table_problems]
    return sorted(notes, key=lambda n: (n.subject, n.session, n.path)), problems


def read_notes_table(path: Path) -> tuple[list[Note], list[Problem]]:
    """Notes from a CSV or Parquet table with columns ``subject, text`` and optionally
    ``session`` (``s004`` or ``s004_2013``; missing or empty: :data:`DEFAULT_SESSION`)."""
    try:
        if path.suffix.lower() == ".parquet":
            table = pl.read_parquet(path)
        else:
            table = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    except Exception as err:  # noqa: BLE001 - any reader failure is reported
        return [], [problem(path, "rejected", "unreadable_notes_table", f"cannot read: {err}")]
    missing = [c for c in ("subject", "text") if c not in table.columns]
    if missing:
        return [], [
            problem(
                path,
                "rejected",
                "bad_notes_table",
                f"missing column(s) {missing}; columns are {table.columns}",
            )
        ]
    if "session" not in table.columns:  # one note per patient
        table = table.with_columns(session=pl.lit(DEFAULT_SESSION))
    notes, problems = [], []
    for i, row in enumerate(table.select("subject", "session", "text").iter_rows(named=True)):
        subject = str(row["subject"] or "").strip()
        session = str(row["session"] or "").strip().split("_")[0] or DEFAULT_SESSION
        text = row["text"]
        where = f"{path}#row{i + 1}"
        if isinstance(text, bytes):
            text, found = decode_note(Path(where), text)
            problems.extend(found)
            if text is None:
                continue
        if not subject:
            problems.append(
                problem(path, "rejected", "bad_notes_table", f"row {i + 1}: empty subject")
            )
        elif not isinstance(text, str) or not text.strip():
            problems.append(
                problem(path, "rejected", "empty_note", f"row {i + 1} ({subject} {session}): empty")
            )
        else:
            notes.append(Note(subject, session, where, text))
    return notes, problems
