"""Fine-tune: recover accuracy after pruning; masks held, or advanced by the prune schedule."""

import logging
from typing import Any

import numpy as np

from prunegate.compression.prune import PruneConfig
from prunegate.compression.quantize import QuantizeConfig
from prunegate.compression.schedules import finetune
from prunegate.config import from_dict
from prunegate.models import Checkpoint
from prunegate.training import TrainConfig

log = logging.getLogger(__name__)


def finetune_model(pruned: Checkpoint, train: dict[str, np.ndarray], val: dict[str, np.ndarray],
                   params: dict[str, Any], prune: dict[str, Any],
                   quantize: dict[str, Any]) -> tuple[Checkpoint, dict]:
    """Train a copy of the pruned model. One-shot: pruned weights stay exactly zero. Iterative,
    gradual and dynamic schedules prune further here (prune.schedule); quantize.mode 'qap'
    makes it quantization-aware."""
    quant = from_dict(QuantizeConfig, quantize, "quantize")
    return finetune(pruned, train, val, from_dict(TrainConfig, params, "finetune"),
                    from_dict(PruneConfig, prune, "prune"), quant_mode=quant.mode,
                    per_channel=quant.per_channel)
