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
from prunegate.models import Checkpoint, fresh_copy

log = logging.getLogger(__name__)


def prune_model(baseline: Checkpoint, train: dict[str, np.ndarray], val: dict[str, np.ndarray],
                params: dict[str, Any]) -> tuple[Checkpoint, dict]:
    """A pruned copy of the baseline, its masks, and a per-layer before/after report.

    Criteria read a sample of the training split; layer dropping measures accuracy on the
    validation split instead, since it compares whole networks."""
    config = from_dict(PruneConfig, params, "prune")
    model = fresh_copy(baseline.model, config.seed) if config.at_init else copy.deepcopy(
        baseline.model)
    before = sparsity_report(model)
    # iterative and gradual schedules prune the rest during fine-tuning
    first = replace(config, sparsity=first_step_sparsity(config))
    details: dict[str, Any] = {}
    dropping = config.granularity == "layers"
    batches = importance_batches(val if dropping else train, config, everything=dropping)
    masks = prune_(model, first, torch.from_numpy(train["x"][:1]), batches, details)
    after = sparsity_report(model)
    if details:  # blocks were dropped and renumbered: names no longer pair up
        layers = {"before": before, "after": after}
    else:
        layers = {name: {"before": before[name], "after": after[name]} for name in after}
    return Checkpoint(model, masks), {
        "config": asdict(config), "first_step_sparsity": first.sparsity, "layers": layers,
        **({"blocks": details} if details else {})}
