"""The corpus source of ``data.source``: how recordings, annotations and notes are found.

Every source gives the same :class:`~pipeline.io.recordings.RecordingFiles`,
:class:`~pipeline.io.recordings.Annotations` and
:class:`~pipeline.io.recordings.Note`, so the ingest validates them all alike
and writes one manifest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pipeline.config import DataParams
from pipeline.io import bids, edfplus, tusz
from pipeline.io.problems import Problem
from pipeline.io.recordings import Annotations, Note, RecordingFiles


@dataclass(frozen=True)
class Source:
    """The readers of one corpus layout.

    Attributes
    ----------
    discover : callable
        ``() -> (recordings, problems)``.
    read_annotations : callable
        ``(recording) -> Annotations``; raises ``AnnotationError``.
    discover_notes : callable
        ``(recordings) -> (notes, problems)``.
    guess_ids : callable
        ``(path) -> (subject, recording_id)`` of a problem's file, for the issues report.
    """

    discover: Callable[[], tuple[list[RecordingFiles], list[Problem]]]
    read_annotations: Callable[[RecordingFiles], Annotations]
    discover_notes: Callable[[list[RecordingFiles]], tuple[list[Note], list[Problem]]]
    guess_ids: Callable[[str], tuple[str | None, str | None]]


def open_source(data: DataParams) -> Source:
    """The readers of ``data.source`` over ``data.root``."""
    root, pattern = data.root, data.seizure_pattern
    if data.source == "bids":
        return Source(
            discover=lambda: bids.discover_recordings(root, data.split_column, data.splits),
            read_annotations=lambda rec: bids.parse_events_tsv(rec.annotations_path, pattern),
            discover_notes=lambda _: bids.discover_notes(root, data.notes_table),
            guess_ids=bids.guess_ids,
        )
    if data.source == "edf":
        return Source(
            discover=lambda: edfplus.discover_recordings(root, data.edf_layout, data.splits),
            read_annotations=lambda rec: edfplus.read_edf_annotations(rec.edf_path, pattern),
            discover_notes=lambda recs: edfplus.discover_notes(recs, data.notes_table),
            guess_ids=lambda path: edfplus.guess_ids(path, root, data.edf_layout),
        )
    return Source(
        discover=lambda: tusz.discover_recordings(root, data.splits),
        read_annotations=lambda rec: tusz.parse_csv_bi(rec.annotations_path),
        discover_notes=lambda _: tusz.discover_notes(root, data.notes_table),
        guess_ids=lambda path: tusz.guess_ids(path, root),
    )
