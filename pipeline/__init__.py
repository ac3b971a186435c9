"""SzXAI: explainable seizure detection from EEG, as a staged DVC pipeline."""

__version__ = "0.1.0"
