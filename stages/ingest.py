"""DVC stage ``ingest``: validate the corpus; write manifest, notes and issues."""

from __future__ import annotations

from pipeline.config import load_params
from pipeline.ingest import ingest_corpus
from pipeline.io.atomic import atomic_path


def main() -> None:
    params = load_params()
    result = ingest_corpus(
        params.data.root,
        params.data.cohorts,
        params.data.notes_table,
        params.ingest.duration_tolerance_s,
        params.preprocess.channels,
    )
    with atomic_path(params.ingest.manifest_path) as tmp:
        result.manifest.write_parquet(tmp)
    with atomic_path(params.ingest.notes_path) as tmp:
        result.notes.write_parquet(tmp)
    with atomic_path(params.ingest.issues_path) as tmp:
        result.issues.write_csv(tmp)
    print(f"{result.summary()} -> {params.ingest.issues_path}")


if __name__ == "__main__":
    main()
