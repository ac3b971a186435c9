"""Datasets: the manifest of a corpus (ingest) and its patient-grouped folds."""
