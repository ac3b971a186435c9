"""BIDS-EEG datasets: recordings, ``*_events.tsv`` seizure marks and reports.

Layout (BIDS 1.10, EEG)::

    <root>/participants.tsv                    participant_id + a split column
    <root>/sub-<label>/[ses-<label>/]eeg/sub-<label>[_ses-<label>]_task-<label>[_run-<index>]_eeg.edf
                                                                    ..._events.tsv
                                                                    ..._report.txt (a note)

Paths are found with ``mne_bids`` (:func:`mne_bids.find_matching_paths`,
:class:`mne_bids.BIDSPath`); the EDF itself is checked by our own header
validation like any other source. Seizure events follow the SzCORE /
EpilepsyBench convention (``onset``, ``duration``, ``eventType``, where seizure
types start with ``sz``; ``recordingDuration`` when given); a dataset written by
``mne_bids`` itself names the event column ``trial_type``, which is read too.
"""

from __future__ import annotations

import csv
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

#: Event-type columns, in order of preference (SzCORE's, then the BIDS standard's).
EVENT_COLUMNS = ("eventType", "trial_type")
_ENTITY = re.compile(r"(?:^|_)(sub|ses)-([A-Za-z0-9]+)")


def _participant_splits(root: Path, column: str) -> dict[str, str]:
    """Subject label -> the value of ``column`` in ``participants.tsv`` (empty when absent)."""
    path = root / "participants.tsv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return {
        row["participant_id"].removeprefix("sub-"): (row.get(column) or "").strip()
        for row in rows
        if row.get("participant_id") and (row.get(column) or "").strip() not in ("", "n/a")
    }


def discover_recordings(
    root: str | Path, split_column: str, splits: Mapping[str, str]
) -> tuple[list[RecordingFiles], list[Problem]]:
    """Every ``*_eeg.edf`` of the dataset, with its ``*_events.tsv``.

    Parameters
    ----------
    root : path
        The BIDS root (holding ``dataset_description.json``).
    split_column : str
        Column of ``participants.tsv`` that names each subject's split.
    splits : mapping
        Subject label -> split; overrides the column (``data.splits``).

    Returns
    -------
    recordings : list of RecordingFiles
        ``split`` is empty for a subject the column and the mapping leave out
        (the ingest reports it as an unknown split).
    problems : list of Problem
        ``rejected`` for a recording without events file.
    """
    from mne_bids import find_matching_paths  # heavy import: only for BIDS input

    root = Path(root)
    if not root.is_dir():
        return [], [problem(root, "rejected", "missing_root", f"BIDS root {root} is not a folder")]
    by_subject = {**_participant_splits(root, split_column), **splits}
    recordings, problems = [], []
    paths = find_matching_paths(root, datatypes="eeg", suffixes="eeg", extensions=".edf")
    for bids_path in sorted(paths, key=lambda p: str(p.fpath)):
        events = bids_path.copy().update(suffix="events", extension=".tsv").fpath
        if not events.is_file():
            problems.append(
                problem(
                    bids_path.fpath,
                    "rejected",
                    "missing_annotations",
                    f"no {events.name} next to the EDF",
                )
            )
            continue
        recordings.append(
            RecordingFiles(
                recording_id=bids_path.basename.removesuffix("_eeg.edf"),
                subject=bids_path.subject,
                session=bids_path.session or DEFAULT_SESSION,
                session_date="",
                montage=bids_path.acquisition or "",
                token=bids_path.run or "",
                split=by_subject.get(bids_path.subject, ""),
                edf_path=Path(bids_path.fpath),
                annotations_path=Path(events),
            )
        )
    return recordings, problems


def _number(value: str, what: str, path: Path, row: int) -> float:
    try:
        number = float(value)
    except ValueError:
        raise AnnotationError(path, f"row {row}: {what} {value!r} is not a number") from None
    if number != number:  # NaN
        raise AnnotationError(path, f"row {row}: {what} is NaN")
    return number


def parse_events_tsv(path: str | Path, seizure_pattern: str) -> Annotations:
    """The events of a BIDS ``*_events.tsv``; a type matching ``seizure_pattern``
    (``re.search``) becomes a :data:`~pipeline.io.recordings.SEIZURE` event.

    Raises
    ------
    AnnotationError
        Unreadable file, missing ``onset`` / ``duration`` / event-type column,
        a non-numeric onset, a negative duration, or a seizure whose duration is
        ``n/a`` (its end is unknown).
    """
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f, delimiter="\t")
            columns = list(reader.fieldnames or [])
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise AnnotationError(path, f"cannot read: {err}") from None
    type_column = next((c for c in EVENT_COLUMNS if c in columns), None)
    missing = [c for c in ("onset", "duration") if c not in columns]
    if missing or type_column is None:
        wanted = missing + ([] if type_column else [" or ".join(EVENT_COLUMNS)])
        raise AnnotationError(path, f"missing column(s) {wanted}; header is {columns}")
    is_seizure = re.compile(seizure_pattern)
    events, declared = [], None
    for i, row in enumerate(rows, start=1):
        kind = (row.get(type_column) or "").strip()
        seizure = bool(is_seizure.search(kind))
        onset = _number((row.get("onset") or "").strip(), "onset", path, i)
        raw_duration = (row.get("duration") or "").strip()
        if raw_duration in ("", "n/a"):
            if seizure:
                raise AnnotationError(path, f"row {i}: seizure {kind!r} has no duration")
            duration = 0.0
        else:
            duration = _number(raw_duration, "duration", path, i)
        if duration < 0:
            raise AnnotationError(path, f"row {i}: negative duration {duration} ({kind!r})")
        recording_duration = (row.get("recordingDuration") or "").strip()
        if declared is None and recording_duration not in ("", "n/a"):
            declared = _number(recording_duration, "recordingDuration", path, i)
        channel = (row.get("channels") or "").strip() or "TERM"
        confidence = (row.get("confidence") or "").strip()
        events.append(
            Event(
                channel,
                onset,
                onset + duration,
                SEIZURE if seizure else kind,
                1.0 if confidence in ("", "n/a") else _number(confidence, "confidence", path, i),
            )
        )
    return Annotations(None, None, declared, events)


def discover_notes(
    root: str | Path, notes_table: str | Path | None = None
) -> tuple[list[Note], list[Problem]]:
    """Notes: every ``*_report.txt`` of the dataset (its ``sub-`` / ``ses-`` entities say
    whose) and the rows of the optional notes table."""
    root = Path(root)
    notes, problems = [], []
    for txt in sorted(root.rglob("*_report.txt")) if root.is_dir() else []:
        entities = dict(_ENTITY.findall(txt.name))
        if "sub" not in entities:
            problems.append(
                problem(txt, "warning", "unexpected_path", "report without sub-<label>; not used")
            )
            continue
        note, found = read_note_file(txt, entities["sub"], entities.get("ses", DEFAULT_SESSION))
        problems.extend(found)
        notes.extend([note] if note else [])
    return with_notes_table(notes, problems, notes_table)


def guess_ids(path: str | Path) -> tuple[str | None, str | None]:
    """(subject, recording_id) named by a BIDS file name, for the issues report."""
    name = Path(path).name
    entities = dict(_ENTITY.findall(name))
    subject = entities.get("sub")
    recording = re.sub(r"_(eeg|events|report)\.[a-z]+$", "", name) if subject else None
    return subject, recording if recording != name else None
