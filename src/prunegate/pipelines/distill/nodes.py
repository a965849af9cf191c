"""Distill: Hinton KD into the fine-tuned pruned model, or into a smaller zoo student."""

from typing import Any

import numpy as np

from prunegate.compression.distill import distill
from prunegate.compression.quantize import QuantizeConfig
from prunegate.config import from_dict
from prunegate.models import Checkpoint
from prunegate.params import distill_config


def distill_model(finetuned: Checkpoint, baseline: Checkpoint, train: dict[str, np.ndarray],
                  val: dict[str, np.ndarray], params: dict[str, Any],
                  quantize: dict[str, Any]) -> tuple[Checkpoint, dict]:
    """Student "pruned": the fine-tuned model learns from the dense baseline. A zoo name: that
    architecture, freshly built, learns from the fine-tuned pruned model. quantize.mode 'qap':
    under fake int8."""
    config = distill_config(params)
    quant = from_dict(QuantizeConfig, quantize, "quantize")
    return distill(finetuned, baseline, train, val, config.kd, config.training,
                   quant_mode=quant.mode, per_channel=quant.per_channel)
