"""Quantize: export to ONNX, then ONNX Runtime static int8 where it measurably pays."""

import logging
from typing import Any

import numpy as np
import onnx

from prunegate.compression.export import export_onnx
from prunegate.compression.quantize import QuantizeConfig, quantize_measured
from prunegate.config import from_dict
from prunegate.models import Checkpoint

log = logging.getLogger(__name__)


def export_model(checkpoint: Checkpoint, test: dict[str, np.ndarray]) -> onnx.ModelProto:
    """fp32 ONNX with the input shape of the data."""
    return export_onnx(checkpoint.model, tuple(test["x"].shape[1:]))


def quantize_model(model: onnx.ModelProto, train: dict[str, np.ndarray],
                   params: dict[str, Any]) -> tuple[onnx.ModelProto, dict]:
    """The deployable model, calibrated on training data, and the measured variants."""
    return quantize_measured(model, train["x"], from_dict(QuantizeConfig, params, "quantize"))
