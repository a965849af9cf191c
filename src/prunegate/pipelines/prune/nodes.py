"""Prune: neurons/channels removed (tensors shrink) or weights zeroed, by a named criterion;
with prune.accuracy_budget, backed off to the most compressed sparsity the gate can pass."""

from typing import Any

import numpy as np

from prunegate.compression.budget import prune_checkpoint, prune_within_budget
from prunegate.compression.prune import PruneConfig
from prunegate.compression.quantize import QuantizeConfig
from prunegate.config import from_dict
from prunegate.evaluation.targets import select_target, target_profiles
from prunegate.gates import gate_config
from prunegate.models import Checkpoint
from prunegate.params import ValidateConfig
from prunegate.resolution import accuracy_budget_pp
from prunegate.training import TrainConfig


def prune_model(baseline: Checkpoint, train: dict[str, np.ndarray], val: dict[str, np.ndarray],
                test: dict[str, np.ndarray], params: dict[str, Any], validate: dict[str, Any],
                targets: dict[str, Any], finetune: dict[str, Any], quantize: dict[str, Any],
                gates: dict[str, Any]) -> tuple[Checkpoint, dict]:
    """A pruned copy of the baseline and its report; a latency budget is measured on the
    recipe's target, an accuracy budget is the gate's drop limit less the test split's margin."""
    config = from_dict(PruneConfig, params, "prune")
    target = select_target(target_profiles(targets),
                           from_dict(ValidateConfig, validate, "validate").target)
    if not config.accuracy_budget:
        return prune_checkpoint(baseline, train, val, config, target)
    quant, gate = from_dict(QuantizeConfig, quantize, "quantize"), gate_config(gates)
    return prune_within_budget(
        baseline, train, val, config, from_dict(TrainConfig, finetune, "finetune"),
        accuracy_budget_pp(gate, len(test["y"])), gate.confidence, quant.mode,
        quant.per_channel, target)
