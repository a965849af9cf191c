"""Prune: neurons/channels removed (tensors shrink) or weights zeroed, by a named criterion;
with prune.accuracy_budget, backed off to the most compressed sparsity the gate can pass."""

import numpy as np

from prunegate.compression.chain import AccuracyBudget, ChainConfig, prune_baseline
from prunegate.evaluation.targets import TargetProfile
from prunegate.gate.config import GateConfig
from prunegate.gate.resolution import accuracy_budget_pp
from prunegate.models import Checkpoint


def prune_model(baseline: Checkpoint, train: dict[str, np.ndarray], val: dict[str, np.ndarray],
                test: dict[str, np.ndarray], chain: ChainConfig, target: TargetProfile,
                gates: GateConfig) -> tuple[Checkpoint, dict]:
    """A pruned copy of the baseline and its report. A latency budget is measured on the
    recipe's target; an accuracy budget is the gate's drop limit less the test split's margin."""
    budget = (AccuracyBudget(accuracy_budget_pp(gates, len(test["y"])), gates.confidence)
              if chain.prune.accuracy_budget else None)
    return prune_baseline(baseline, train, val, chain, target, budget)
