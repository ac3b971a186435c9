"""Signal processing on numpy arrays: filters, windows, EEG features (no I/O)."""
