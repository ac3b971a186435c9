"""Ingest: validate the corpus and write the manifest, the notes and the issues.

Reads EDF *headers* only (never signal data), the seizure annotations of the
corpus' source (``.csv_bi``, ``events.tsv`` or EDF+) and the clinical notes.
Every problem becomes a row of the issues table; one bad file never stops the
others.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import polars as pl
from tqdm import tqdm

from pipeline.datasets.sources import Source
from pipeline.io.edf import EdfHeader, channel_indices, no_channels_problem, validate_edf
from pipeline.io.problems import Problem, is_rejected, problem
from pipeline.io.recordings import (
    AnnotationError,
    Annotations,
    Note,
    RecordingFiles,
    seizure_intervals,
)
from pipeline.registry import TEN_TEN_ALIASES

MANIFEST_SCHEMA: dict[str, pl.DataType] = {
    "recording_id": pl.Utf8,
    "subject": pl.Utf8,
    "session": pl.Utf8,
    "session_date": pl.Utf8,
    "montage": pl.Utf8,
    "token": pl.Utf8,
    "split": pl.Utf8,
    "cohort": pl.Utf8,
    "edf_path": pl.Utf8,
    "annotations_path": pl.Utf8,
    "sfreq": pl.Float64,
    "n_samples": pl.Int64,
    "duration_s": pl.Float64,
    "start_time": pl.Utf8,
    "n_channels_found": pl.Int64,
    "missing_channels": pl.List(pl.Utf8),
    # The EDF label read for each required channel, in preprocess.channels order (null:
    # missing): the mapping the canonical names gave ("EEG T7-CS2" for T3).
    "channel_labels": pl.List(pl.Utf8),
    "seizure_start_s": pl.List(pl.Float64),
    "seizure_stop_s": pl.List(pl.Float64),
    "n_seizures": pl.Int64,
    "has_note": pl.Boolean,
    "status": pl.Utf8,
}
NOTES_SCHEMA: dict[str, pl.DataType] = {
    "subject": pl.Utf8,
    "session": pl.Utf8,
    "path": pl.Utf8,
    "text": pl.Utf8,
}
ISSUES_SCHEMA: dict[str, pl.DataType] = {
    "path": pl.Utf8,
    "subject": pl.Utf8,
    "recording_id": pl.Utf8,
    "severity": pl.Utf8,
    "problem": pl.Utf8,
    "detail": pl.Utf8,
}


@dataclass
class IngestResult:
    manifest: pl.DataFrame
    notes: pl.DataFrame
    issues: pl.DataFrame
    n_found: int

    def summary(self) -> str:
        status = self.manifest["status"]
        n_repaired = int((status == "repaired").sum())
        n_rejected = self.issues.filter(
            (pl.col("severity") == "rejected") & pl.col("recording_id").is_not_null()
        )["recording_id"].n_unique()
        return (
            f"ingest: {self.n_found} recordings found, {self.manifest.height} accepted "
            f"({n_repaired} repaired), {n_rejected} rejected; {self.notes.height} notes; "
            f"{self.issues.height} issues"
        )


def _issue(p: Problem, subject: str | None = None, recording_id: str | None = None) -> dict:
    return {
        "path": p.path,
        "subject": subject,
        "recording_id": recording_id,
        "severity": p.severity,
        "problem": p.problem,
        "detail": p.detail,
    }


ReadAnnotations = Callable[[RecordingFiles], Annotations]


def _read_annotations(
    rec: RecordingFiles, read: ReadAnnotations, problems: list[Problem]
) -> Annotations | None:
    """The annotations of a recording, or None (and a rejection) when they cannot be parsed."""
    try:
        annotations = read(rec)
    except AnnotationError as err:
        problems.append(problem(rec.annotations_path, "rejected", "bad_annotations", err.detail))
        return None
    if annotations.bname and annotations.bname != rec.recording_id:
        problems.append(
            problem(
                rec.annotations_path,
                "warning",
                "bname_mismatch",
                f"bname {annotations.bname!r} differs from the file name {rec.recording_id!r}",
            )
        )
    return annotations


def _check_channels(
    rec: RecordingFiles,
    header: EdfHeader,
    channels: Sequence[str],
    aliases: Mapping[str, str],
    problems: list[Problem],
) -> tuple[list[int | None], list[str]] | None:
    """(signal index of each channel, channel names missing), or None when none is found."""
    index = channel_indices(header, channels, aliases)
    found = [i for i in index if i is not None]
    missing = [ch for ch, i in zip(channels, index, strict=True) if i is None]
    if not found:
        problems.append(no_channels_problem(rec.edf_path, header, channels))
        return None
    if missing:
        problems.append(
            problem(
                rec.edf_path,
                "warning",
                "missing_channels",
                f"{len(missing)} of {len(channels)} channels missing (zero-filled): {missing}",
            )
        )
    return index, missing


def _check_seizures(
    rec: RecordingFiles, annotations: Annotations, end: float, problems: list[Problem]
) -> list[tuple[float, float]]:
    """Seizure intervals inside the signal (``end`` s): clipped, or rejected past its end."""
    seizures = []
    for start, stop in seizure_intervals(annotations):
        if start >= end:
            problems.append(
                problem(
                    rec.annotations_path,
                    "rejected",
                    "annotation_past_end",
                    f"seizure {start:.2f}-{stop:.2f} s starts at/after the end of the signal "
                    f"({end:.2f} s); the labels cannot be trusted",
                )
            )
        elif stop > end:
            problems.append(
                problem(
                    rec.annotations_path,
                    "repaired",
                    "annotation_clipped",
                    f"seizure {start:.2f}-{stop:.2f} s crosses the end of the signal "
                    f"({end:.2f} s); clipped to {start:.2f}-{end:.2f} s",
                )
            )
            seizures.append((start, end))
        else:
            seizures.append((start, stop))
    return seizures


def _check_duration(
    rec: RecordingFiles,
    annotations: Annotations,
    end: float,
    tolerance_s: float,
    problems: list[Problem],
) -> None:
    """The annotations' declared duration and background intervals against the signal."""
    n_bckg_clipped = sum(
        1 for e in annotations.events if e.label == "bckg" and e.stop_s > end + 1e-9
    )
    declared = annotations.duration_s
    if declared is not None and abs(declared - end) > tolerance_s:
        relation = "exceeds" if declared > end else "is shorter than"
        clipped = f"; {n_bckg_clipped} bckg interval(s) clipped to it" if n_bckg_clipped else ""
        problems.append(
            problem(
                rec.annotations_path,
                "repaired" if n_bckg_clipped else "warning",
                "duration_mismatch",
                f"declared duration {declared:.2f} s {relation} the signal ({end:.2f} s){clipped}",
            )
        )
    elif n_bckg_clipped:
        problems.append(
            problem(
                rec.annotations_path,
                "repaired",
                "duration_mismatch",
                f"{n_bckg_clipped} bckg interval(s) end after the signal ({end:.2f} s); clipped",
            )
        )


def _manifest_row(
    rec: RecordingFiles,
    header: EdfHeader,
    index: list[int | None],
    missing: list[str],
    seizures: list[tuple[float, float]],
    problems: list[Problem],
) -> dict:
    """The manifest row of an accepted recording (without cohort and has_note)."""
    found = [i for i in index if i is not None]
    n_per = int(header.samples_per_record[found[0]])
    return {
        "recording_id": rec.recording_id,
        "subject": rec.subject,
        "session": rec.session,
        "session_date": rec.session_date,
        "montage": rec.montage,
        "token": rec.token,
        "split": rec.split,
        "edf_path": str(rec.edf_path),
        "annotations_path": str(rec.annotations_path),
        "sfreq": float(header.sfreq[found[0]]),
        "n_samples": header.n_usable_records * n_per,
        "duration_s": float(header.duration_s),
        "start_time": header.start.isoformat(),
        "n_channels_found": len(found),
        "missing_channels": missing,
        "channel_labels": [None if i is None else header.labels[i] for i in index],
        "seizure_start_s": [float(s) for s, _ in seizures],
        "seizure_stop_s": [float(s) for _, s in seizures],
        "n_seizures": len(seizures),
        "status": "repaired" if any(p.severity == "repaired" for p in problems) else "ok",
    }


def check_recording(
    rec: RecordingFiles,
    read_annotations: ReadAnnotations,
    channels: Sequence[str],
    duration_tolerance_s: float,
    aliases: Mapping[str, str] = TEN_TEN_ALIASES,
) -> tuple[dict | None, list[Problem]]:
    """Validate one recording; returns (manifest row without cohort/has_note, problems)."""
    header, problems = validate_edf(rec.edf_path, channels, aliases)
    if header is None or is_rejected(problems):
        return None, problems
    annotations = _read_annotations(rec, read_annotations, problems)
    if annotations is None:
        return None, problems
    channels_found = _check_channels(rec, header, channels, aliases, problems)
    if channels_found is None:
        return None, problems
    seizures = _check_seizures(rec, annotations, header.duration_s, problems)
    _check_duration(rec, annotations, header.duration_s, duration_tolerance_s, problems)
    if is_rejected(problems):
        return None, problems
    return _manifest_row(rec, header, *channels_found, seizures, problems), problems


def _unknown_split(rec: RecordingFiles, cohorts: Mapping[str, str]) -> Problem:
    if not rec.split:
        detail = (
            f"no split for subject {rec.subject!r}: name it in data.splits (or the dataset's "
            "split column / layout group); skipped"
        )
    else:
        detail = f"split {rec.split!r} is not in data.cohorts {sorted(cohorts)}; skipped"
    return problem(rec.edf_path, "warning", "unknown_split", detail)


def _validate_recordings(
    recordings: list[RecordingFiles],
    read_annotations: ReadAnnotations,
    cohorts: Mapping[str, str],
    channels: list[str],
    duration_tolerance_s: float,
    aliases: Mapping[str, str],
) -> tuple[list[dict], list[dict]]:
    """(manifest rows of the accepted recordings, issue rows of every problem)."""
    rows, issues = [], []
    for rec in tqdm(recordings, desc="ingest", unit="rec", disable=None):
        if rec.split not in cohorts:
            issues.append(_issue(_unknown_split(rec, cohorts), rec.subject, rec.recording_id))
            continue
        try:
            row, problems = check_recording(
                rec, read_annotations, channels, duration_tolerance_s, aliases
            )
        except Exception as err:  # noqa: BLE001 - one bad file never stops the others
            row, problems = (
                None,
                [
                    problem(
                        rec.edf_path, "rejected", "unexpected_error", f"{type(err).__name__}: {err}"
                    )
                ],
            )
        issues.extend(_issue(p, rec.subject, rec.recording_id) for p in problems)
        if row is not None:
            row["cohort"] = cohorts[rec.split]
            rows.append(row)
    return rows, issues


def _note_issues(rows: list[dict], notes: list[Note]) -> list[dict]:
    """Issue rows of cv patients without a note and of notes without an accepted recording."""
    issues = []
    noted = {n.subject for n in notes}
    accepted_subjects = {r["subject"] for r in rows}
    for subject in sorted({r["subject"] for r in rows if r["cohort"] == "cv"} - noted):
        first_edf = next(r["edf_path"] for r in rows if r["subject"] == subject)
        issues.append(
            _issue(
                Problem(
                    first_edf,
                    "warning",
                    "no_clinical_note",
                    f"patient {subject}: no clinical note: excluded from etiology training, "
                    "still used for detectors",
                ),
                subject,
            )
        )
    for subject in sorted(noted - accepted_subjects):
        paths = sorted(n.path for n in notes if n.subject == subject)
        issues.append(
            _issue(
                Problem(
                    paths[0],
                    "warning",
                    "note_without_recording",
                    f"{len(paths)} note(s) of patient {subject}, who has no accepted recording",
                ),
                subject,
            )
        )
    return issues


def ingest_corpus(
    source: Source,
    cohorts: Mapping[str, str],
    duration_tolerance_s: float,
    channels: Sequence[str],
    aliases: Mapping[str, str] = TEN_TEN_ALIASES,
) -> IngestResult:
    """Validate a corpus.

    Parameters
    ----------
    source : Source
        The readers of the corpus' layout (:func:`pipeline.datasets.sources.open_source`).
    cohorts : mapping
        Split -> cohort (``pretrain`` / ``cv``); other splits are skipped with a
        warning.
    duration_tolerance_s : float
        Allowed |declared - EDF| duration difference.
    channels : sequence of str
        Required channels (missing ones are zero-filled later).
    aliases : mapping of str -> str
        Channel names mapped before matching (``preprocess.channel_aliases``).

    Returns
    -------
    IngestResult
        ``manifest`` (:data:`MANIFEST_SCHEMA`), ``notes`` (:data:`NOTES_SCHEMA`),
        ``issues`` (:data:`ISSUES_SCHEMA`).
    """
    recordings, layout_problems = source.discover()
    issues = [_issue(p, *source.guess_ids(p.path)) for p in layout_problems]
    rows, recording_issues = _validate_recordings(
        recordings, source.read_annotations, cohorts, list(channels), duration_tolerance_s,
        aliases,
    )  # fmt: skip
    issues += recording_issues
    notes, note_problems = source.discover_notes(recordings)
    issues.extend(_issue(p, *source.guess_ids(p.path)) for p in note_problems)
    noted = {n.subject for n in notes}
    for row in rows:
        row["has_note"] = row["subject"] in noted
    issues += _note_issues(rows, notes)

    manifest = pl.DataFrame(rows, schema=MANIFEST_SCHEMA) if rows else _empty(MANIFEST_SCHEMA)
    manifest = manifest.select(list(MANIFEST_SCHEMA))
    notes_df = pl.DataFrame(
        [
            {"subject": n.subject, "session": n.session, "path": n.path, "text": n.text}
            for n in notes
        ],
        schema=NOTES_SCHEMA,
    )
    issues_df = pl.DataFrame(issues, schema=ISSUES_SCHEMA) if issues else _empty(ISSUES_SCHEMA)
    return IngestResult(manifest, notes_df, issues_df, len(recordings))


def _empty(schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=dict(schema))
