"""Frozen seizure detectors (spec section 5): DeepSOZ and CNN-BLSTM."""

from pipeline.detectors.base import DetectorOutput
from pipeline.detectors.cnnblstm import CNNBLSTM
from pipeline.detectors.deepsoz import DeepSOZ

DETECTORS = {"deepsoz": DeepSOZ, "cnnblstm": CNNBLSTM}

__all__ = ["CNNBLSTM", "DETECTORS", "DeepSOZ", "DetectorOutput"]
