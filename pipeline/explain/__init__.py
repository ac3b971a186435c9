"""Case pages: one recording's detections, EEG excerpts and concepts explained to a clinician."""
