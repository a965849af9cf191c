"""Prune: neurons/channels removed (tensors shrink) or weights zeroed, by a named criterion."""

import copy
import logging
from dataclasses import asdict, replace
from typing import Any

import numpy as np
import torch

from prunegate.compression.prune import PruneConfig, importance_batches, prune_, sparsity_report
from prunegate.compression.schedules import first_step_sparsity
from prunegate.config import from_dict
from prunegate.evaluation.targets import select_target, target_profiles
from prunegate.models import Checkpoint, fresh_copy
from prunegate.params import ValidateConfig

log = logging.getLogger(__name__)


def prune_model(baseline: Checkpoint, train: dict[str, np.ndarray], val: dict[str, np.ndarray],
                params: dict[str, Any], validate: dict[str, Any] | None = None,
                targets: dict[str, Any] | None = None) -> tuple[Checkpoint, dict]:
    """A pruned copy of the baseline, its masks, and a per-layer before/after report.

    Criteria read a sample of the training split; layer dropping measures accuracy on the
    validation split instead, since it compares whole networks. A latency budget is measured
    on the recipe's target (validate.target)."""
    config = from_dict(PruneConfig, params, "prune")
    model = fresh_copy(baseline.model, config.seed) if config.at_init else copy.deepcopy(
        baseline.model)
    before = sparsity_report(model)
    # iterative and gradual schedules prune the rest during fine-tuning
    first = replace(config, sparsity=first_step_sparsity(config))
    details: dict[str, Any] = {}
    dropping = config.granularity == "layers"
    batches = importance_batches(val if dropping else train, config, everything=dropping)
    target = select_target(target_profiles(targets),
                           from_dict(ValidateConfig, validate, "validate").target)
    masks = prune_(model, first, torch.from_numpy(train["x"][:1]), batches, details, target)
    after = sparsity_report(model)
    if "dropped" in details:  # the kept blocks were renumbered: report them by their old names
        after = {_original_name(n, details): v for n, v in after.items()}
    gone = {"shape": [0], "params": 0, "sparsity": 0.0}
    layers = {name: {"before": before[name], "after": after.get(name, gone)} for name in before}
    return Checkpoint(model, masks), {
        "config": asdict(config), "first_step_sparsity": first.sparsity, "layers": layers,
        **({"blocks": details} if "dropped" in details else {}),
        **({"latency": details} if "budget_ms" in details else {})}


def _original_name(name: str, dropped: dict) -> str:
    """``blocks.j.…`` after dropping → the name that block had before."""
    if not name.startswith("blocks."):
        return name
    kept = [i for i in range(dropped["blocks_before"]) if f"blocks.{i}" not in dropped["dropped"]]
    _, index, rest = name.split(".", 2)
    return f"blocks.{kept[int(index)]}.{rest}"
