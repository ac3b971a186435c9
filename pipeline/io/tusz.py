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
from collections.abc import Mapping
from pathlib import Path

from pipeline.io.problems import Problem, problem
from pipeline.io.recordings import (
    AnnotationError,
    Annotations,
    Event,
    Note,
    RecordingFiles,
    read_note_file,
    with_notes_table,
)

_SESSION_DIR = re.compile(r"(s\d{3})_(\d{4}(?:_\d{2}_\d{2})?)")
_STEM = re.compile(r"(?P<subject>[a-z0-9]+)_(?P<session>s\d{3})_(?P<token>t\d{3})")
CSV_BI_COLUMNS = ("channel", "start_time", "stop_time", "label", "confidence")
CSV_BI_LABELS = frozenset({"seiz", "bckg"})


def recording_id(subject: str, session: str, token: int) -> str:
    """``<subject>_s<NNN>_t<NNN>``: the file stem of a recording, as :func:`discover_recordings`
    parses it (``session`` is ``s<NNN>``, ``token`` the recording's number)."""
    return f"{subject}_{session}_t{token:03d}"


def discover_recordings(
    root: str | Path, splits: Mapping[str, str] | None = None
) -> tuple[list[RecordingFiles], list[Problem]]:
    """Find every recording under ``root``.

    ``splits`` (subject -> split) overrides the split folder of the subjects it names.

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
        parsed["split"] = (splits or {}).get(parsed["subject"], parsed["split"])
        recordings.append(RecordingFiles(**parsed, edf_path=edf, annotations_path=csv_bi))
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


# --------------------------------------------------------------------------- notes


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
            note, found = read_note_file(txt, parts[1], session_match[1])
            problems.extend(found)
            notes.extend([note] if note else [])
    return with_notes_table(notes, problems, notes_table)
