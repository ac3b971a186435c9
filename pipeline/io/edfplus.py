"""A plain folder of EDF+ files whose seizures are marked by annotations in the file.

Where the recordings lie is a regular expression over each EDF's path relative
to the root (``data.edf_layout``), with named groups ``subject`` (required),
``session``, ``split`` and ``recording`` (the recording id; the file stem when
the group is absent)::

    chb01/chb01_03.edf                   (?P<subject>[^/]+)/(?:.*/)?(?P<recording>[^/]+)\\.edf
    train/p001/s001/p001_s001_t000.edf   (?P<split>[^/]+)/(?P<subject>[^/]+)/(?P<session>[^/]+)/...

Annotations are read with :func:`mne.read_annotations`. One whose description
matches ``data.seizure_pattern`` is a seizure: with a duration it is an
interval, without one it opens a seizure that the next matching mark whose
description says end / offset / stop closes ("seizure onset" ... "seizure end").
A note is a ``<stem>.txt`` beside the EDF or a row of the notes table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from pipeline.io.problems import Problem, problem
from pipeline.io.recordings import (
    DEFAULT_SESSION,
    SEIZURE,
    AnnotationError,
    Annotations,
    Event,
    Note,
    RecordingFiles,
    read_note_file,
    with_notes_table,
)

#: The default layout: one folder per subject, any folders below it.
DEFAULT_LAYOUT = r"(?P<subject>[^/]+)/(?:.*/)?(?P<recording>[^/]+)\.edf"
_END_MARK = re.compile(r"(?i)\b(end|offset|off|stop|ends)\b")


def _match(relative: str, layout: re.Pattern) -> dict[str, str] | None:
    m = layout.fullmatch(relative)
    if m is None or not m.groupdict().get("subject"):
        return None
    return {k: v for k, v in m.groupdict().items() if v}


def discover_recordings(
    root: str | Path, layout: str, splits: Mapping[str, str]
) -> tuple[list[RecordingFiles], list[Problem]]:
    """Every EDF under ``root`` whose relative path fits ``layout``.

    Returns
    -------
    recordings : list of RecordingFiles
        ``annotations_path`` is the EDF itself; ``split`` is ``splits[subject]``,
        else the layout's ``split`` group, else empty (an unknown split).
    problems : list of Problem
        ``warning`` for an EDF off the layout (skipped), ``rejected`` for a
        second EDF with the same recording id.
    """
    root = Path(root)
    if not root.is_dir():
        return [], [problem(root, "rejected", "missing_root", f"EDF folder {root} is not a folder")]
    pattern = re.compile(layout)
    recordings: list[RecordingFiles] = []
    problems: list[Problem] = []
    seen: dict[str, Path] = {}
    edfs = sorted(p for p in root.rglob("*") if p.suffix.lower() == ".edf" and p.is_file())
    for edf in edfs:
        relative = edf.relative_to(root).as_posix()
        fields = _match(relative, pattern)
        if fields is None:
            problems.append(
                problem(
                    edf,
                    "warning",
                    "unexpected_path",
                    f"{relative} does not fit data.edf_layout {layout!r}; skipped",
                )
            )
            continue
        rec_id = fields.get("recording", edf.stem)
        if rec_id in seen:
            problems.append(
                problem(
                    edf,
                    "rejected",
                    "duplicate_recording",
                    f"recording id {rec_id!r} is also {seen[rec_id]}; ids must be unique",
                )
            )
            continue
        seen[rec_id] = edf
        subject = fields["subject"]
        recordings.append(
            RecordingFiles(
                recording_id=rec_id,
                subject=subject,
                session=fields.get("session", DEFAULT_SESSION),
                session_date="",
                montage="",
                token="",
                split=splits.get(subject, fields.get("split", "")),
                edf_path=edf,
                annotations_path=edf,
            )
        )
    return recordings, problems


def read_edf_annotations(path: str | Path, seizure_pattern: str) -> Annotations:
    """The annotations of an EDF+ file; matching ones become seizure events.

    Raises
    ------
    AnnotationError
        The annotations cannot be read, a seizure end has no onset before it,
        or an onset has no end.
    """
    import mne  # heavy import: only for EDF+ input

    path = Path(path)
    try:
        annotations = mne.read_annotations(path)
    except Exception as err:  # noqa: BLE001 - any reader failure is reported
        raise AnnotationError(path, f"cannot read the EDF+ annotations: {err}") from None
    is_seizure = re.compile(seizure_pattern)
    events: list[Event] = []
    open_at: tuple[float, str] | None = None
    order = sorted(
        zip(annotations.onset, annotations.duration, annotations.description, strict=True),
        key=lambda a: a[0],
    )
    for onset, duration, description in order:
        onset, duration = float(onset), float(duration) if duration == duration else 0.0
        if not is_seizure.search(description):
            events.append(Event("TERM", onset, onset + duration, description, 1.0))
        elif duration > 0:
            events.append(Event("TERM", onset, onset + duration, SEIZURE, 1.0))
        elif _END_MARK.search(description):
            if open_at is None:
                raise AnnotationError(
                    path, f"seizure end {description!r} at {onset:.2f} s has no onset before it"
                )
            events.append(Event("TERM", open_at[0], onset, SEIZURE, 1.0))
            open_at = None
        elif open_at is not None:
            raise AnnotationError(
                path,
                f"seizure onset {description!r} at {onset:.2f} s while the one at "
                f"{open_at[0]:.2f} s ({open_at[1]!r}) has no end",
            )
        else:
            open_at = (onset, description)
    if open_at is not None:
        raise AnnotationError(
            path, f"seizure onset {open_at[1]!r} at {open_at[0]:.2f} s has no end mark"
        )
    return Annotations(None, None, None, events)


def discover_notes(
    recordings: list[RecordingFiles], notes_table: str | Path | None = None
) -> tuple[list[Note], list[Problem]]:
    """Notes: a ``<stem>.txt`` beside a recording's EDF, and the optional notes table."""
    notes, problems = [], []
    for rec in recordings:
        txt = rec.edf_path.with_suffix(".txt")
        if not txt.is_file():
            continue
        note, found = read_note_file(txt, rec.subject, rec.session)
        problems.extend(found)
        notes.extend([note] if note else [])
    return with_notes_table(notes, problems, notes_table)


def guess_ids(path: str | Path, root: str | Path, layout: str) -> tuple[str | None, str | None]:
    """(subject, recording_id) of a path under ``root`` by the layout, for the issues report."""
    try:
        relative = Path(path).relative_to(root).as_posix()
    except ValueError:
        return None, None
    fields = _match(relative, re.compile(layout))
    if fields is None:
        return None, None
    return fields["subject"], fields.get("recording", Path(path).stem)
