"""Frozen seizure detectors (spec section 5): DeepSOZ and CNN-BLSTM."""

from pipeline.detectors.base import DetectorOutput
from pipeline.detectors.cnnblstm import CNNBLSTM
from pipeline.detectors.deepsoz import DeepSOZ
from pipeline.registry import DETECTOR_NAMES

DETECTORS = {"deepsoz": DeepSOZ, "cnnblstm": CNNBLSTM}
assert tuple(DETECTORS) == DETECTOR_NAMES, "DETECTORS and registry.DETECTOR_NAMES must agree"

__all__ = ["CNNBLSTM", "DETECTORS", "DeepSOZ", "DetectorOutput"]
