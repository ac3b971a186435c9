"""Export a TUSZ-layout corpus as a BIDS-EEG dataset or as a folder of EDF+ files.

The same recordings, seizures and notes in the two other layouts the ingest
reads (``data.source: bids`` / ``edf``): to try those sources on the embedded
synthetic corpus, and to hand a TUSZ-layout corpus to tools that read BIDS.
(For the real TUSZ, the SzCORE project's ``epilepsy2bids`` is the reference
converter.) Signals are copied sample for sample (digital values), never
resampled or rescaled.

* BIDS: written with ``mne_bids.write_raw_bids`` (EDF kept as EDF), then a
  SzCORE ``*_events.tsv`` per recording (``onset, duration, eventType,
  confidence, channels, recordingDuration``; seizures ``sz``, the rest
  ``bckg``), the split in a ``split`` column of ``participants.tsv``, and each
  session's note as ``sub-<s>_ses-<t>_report.txt`` (listed in ``.bidsignore``).
* EDF+: ``<split>/<subject>/<session>/<recording>.edf`` with the seizures as
  EDF+ annotations ``seizure`` (onset, duration), and the notes in
  ``notes.csv`` (``subject, session, text``); read it back with
  :data:`EDF_EXPORT_LAYOUT` as ``data.edf_layout``.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pyedflib
from tqdm import tqdm

from pipeline.io.atomic import atomic_path
from pipeline.io.recordings import Note, RecordingFiles, seizure_intervals
from pipeline.io.tusz import discover_notes, discover_recordings, parse_csv_bi

#: ``data.edf_layout`` of a folder written by :func:`export_edfplus`.
EDF_EXPORT_LAYOUT = (
    r"(?P<split>[^/]+)/(?P<subject>[^/]+)/(?P<session>[^/]+)/(?P<recording>[^/]+)\.edf"
)
#: The BIDS task of every exported recording (SzCORE's name for long-term monitoring).
BIDS_TASK = "szMonitoring"
_EVENT_COLUMNS = ("onset", "duration", "eventType", "confidence", "channels", "recordingDuration")


def _label(value: str) -> str:
    """A BIDS label: alphanumeric only (``01_tcp_ar`` -> ``01tcpar``)."""
    return re.sub(r"[^A-Za-z0-9]", "", value)


def _seizures(rec: RecordingFiles) -> list[tuple[float, float]]:
    return seizure_intervals(parse_csv_bi(rec.annotations_path))


def _corpus(tusz_root: Path) -> tuple[list[RecordingFiles], list[Note]]:
    recordings, _ = discover_recordings(tusz_root)
    notes, _ = discover_notes(tusz_root)
    if not recordings:
        raise ValueError(f"{tusz_root}: no TUSZ-layout recording to export")
    return recordings, notes


def _duration_s(edf: Path) -> float:
    with pyedflib.EdfReader(str(edf)) as reader:
        return float(reader.getFileDuration())


def _events_tsv(seizures: list[tuple[float, float]], duration_s: float) -> str:
    """SzCORE events: the seizures and the background between them."""
    rows, t = [], 0.0
    for start, stop in seizures:
        if start > t:
            rows.append((t, start - t, "bckg"))
        rows.append((start, stop - start, "sz"))
        t = stop
    if duration_s > t:
        rows.append((t, duration_s - t, "bckg"))
    lines = ["\t".join(_EVENT_COLUMNS)]
    lines += [
        f"{onset:.4f}\t{length:.4f}\t{kind}\t1.00\tn/a\t{duration_s:.4f}"
        for onset, length, kind in rows
    ]
    return "\n".join(lines) + "\n"


def _add_split_column(participants: Path, split_of: dict[str, str]) -> None:
    with participants.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    columns = [*rows[0].keys(), "split"] if rows else ["participant_id", "split"]
    for row in rows:
        row["split"] = split_of.get(row["participant_id"].removeprefix("sub-"), "n/a")
    with participants.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, columns, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def export_bids(tusz_root: str | Path, out: str | Path) -> int:
    """Write the corpus under ``tusz_root`` as a BIDS-EEG dataset at ``out`` (replaced
    as a whole, atomically); returns the number of recordings written."""
    import mne
    from mne_bids import BIDSPath, write_raw_bids

    recordings, notes = _corpus(Path(tusz_root))
    with atomic_path(out) as tmp:
        tmp.mkdir()
        for rec in tqdm(recordings, desc="export bids", unit="rec", disable=None):
            bids_path = BIDSPath(
                subject=rec.subject, session=rec.session, task=BIDS_TASK,
                acquisition=_label(rec.montage) or None, run=int(rec.token[1:]),
                datatype="eeg", root=tmp,
            )  # fmt: skip
            raw = mne.io.read_raw_edf(rec.edf_path, preload=False, verbose="error")
            write_raw_bids(raw, bids_path, overwrite=True, verbose="error")
            events = bids_path.copy().update(suffix="events", extension=".tsv").fpath
            Path(events).write_text(
                _events_tsv(_seizures(rec), _duration_s(rec.edf_path)), encoding="utf-8"
            )
        for note in notes:
            folder = tmp / f"sub-{note.subject}" / f"ses-{note.session}"
            report = folder / f"sub-{note.subject}_ses-{note.session}_report.txt"
            report.write_text(note.text, encoding="utf-8")
        (tmp / ".bidsignore").write_text("*_report.txt\n", encoding="utf-8")
        _add_split_column(tmp / "participants.tsv", {r.subject: r.split for r in recordings})
    return len(recordings)


def _copy_with_annotations(source: Path, target: Path, seizures: list[tuple[float, float]]):
    """``source``'s signals, digital values unchanged, into an EDF+ with seizure annotations."""
    with pyedflib.EdfReader(str(source)) as reader:
        headers = reader.getSignalHeaders()
        samples = [reader.readSignal(i, digital=True) for i in range(reader.signals_in_file)]
        start, patient = reader.getStartdatetime(), reader.getPatientCode()
    writer = pyedflib.EdfWriter(str(target), len(headers), file_type=pyedflib.FILETYPE_EDFPLUS)
    try:
        writer.setSignalHeaders(headers)
        writer.setStartdatetime(start)
        writer.setPatientCode(patient)
        digital = [np.ascontiguousarray(s, dtype=np.int32) for s in samples]
        writer.writeSamples(digital, digital=True)
        for onset, stop in seizures:
            writer.writeAnnotation(onset, stop - onset, "seizure")
    finally:
        writer.close()


def export_edfplus(tusz_root: str | Path, out: str | Path) -> int:
    """Write the corpus under ``tusz_root`` as EDF+ files with seizure annotations and
    a notes table at ``out`` (replaced as a whole, atomically); returns the number of
    recordings written."""
    recordings, notes = _corpus(Path(tusz_root))
    with atomic_path(out) as tmp:
        tmp.mkdir()
        for rec in tqdm(recordings, desc="export edf+", unit="rec", disable=None):
            folder = tmp / rec.split / rec.subject / rec.session
            folder.mkdir(parents=True, exist_ok=True)
            _copy_with_annotations(rec.edf_path, folder / f"{rec.recording_id}.edf", _seizures(rec))
        with (tmp / "notes.csv").open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(["subject", "session", "text"])
            writer.writerows([n.subject, n.session, n.text] for n in notes)
    return len(recordings)
