"""Quantize: export to ONNX, then ONNX Runtime static int8 where it measurably pays."""

import logging
from typing import Any

import numpy as np
import onnx

from prunegate.compression.export import export_onnx
from prunegate.compression.qat import qat_finetune
from prunegate.compression.quantize import QuantizeConfig, quantize_measured
from prunegate.config import from_dict
from prunegate.models import Checkpoint

log = logging.getLogger(__name__)


def export_model(checkpoint: Checkpoint, test: dict[str, np.ndarray]) -> onnx.ModelProto:
    """fp32 ONNX with the input shape of the data."""
    return export_onnx(checkpoint.model, tuple(test["x"].shape[1:]))


def quantize_model(model: onnx.ModelProto, distilled: Checkpoint, train: dict[str, np.ndarray],
                   val: dict[str, np.ndarray],
                   params: dict[str, Any]) -> tuple[onnx.ModelProto, dict]:
    """The deployable model, calibrated on training data, and the measured variants.

    quantize.mode 'qat' first fine-tunes the distilled model under fake int8 and exports that."""
    config = from_dict(QuantizeConfig, params, "quantize")
    qat = None
    if config.mode == "qat":
        tuned, qat = qat_finetune(distilled, train, val, config.qat_epochs, config.qat_lr,
                                  config.per_channel, config.seed)
        model = export_onnx(tuned.model, tuple(train["x"].shape[1:]))
    deployable, report = quantize_measured(model, train["x"], config)
    return deployable, {**report, **({"qat_history": qat} if qat else {})}
