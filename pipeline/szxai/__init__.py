"""SzXAI: concept heads on frozen seizure detectors, their losses and per-fold training."""
