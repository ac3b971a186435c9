"""Stage ``ingest``: validate the corpus; write the manifest, the notes and the issues."""

from __future__ import annotations

from pipeline.config import Params
from pipeline.datasets.ingest import IngestResult, ingest_corpus
from pipeline.datasets.sources import open_source
from pipeline.io.atomic import atomic_path


def run(params: Params) -> IngestResult:
    """Write ``ingest.manifest_path``, ``ingest.notes_path`` and ``ingest.issues_path``."""
    result = ingest_corpus(
        open_source(params.data),
        params.data.cohorts,
        params.ingest.duration_tolerance_s,
        params.preprocess.channels,
        params.preprocess.channel_aliases,
    )
    with atomic_path(params.ingest.manifest_path) as tmp:
        result.manifest.write_parquet(tmp)
    with atomic_path(params.ingest.notes_path) as tmp:
        result.notes.write_parquet(tmp)
    with atomic_path(params.ingest.issues_path) as tmp:
        result.issues.write_csv(tmp)
    return result
