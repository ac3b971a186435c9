"""Preprocessing: EDF crops to window Parquet, and per-window EEG feature tables."""
