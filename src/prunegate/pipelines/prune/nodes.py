"""Prune: structured (tensors shrink) or unstructured (weights zeroed) by magnitude."""

import copy
import logging
from typing import Any

import numpy as np
import torch

from prunegate.compression.prune import PruneConfig, prune_, sparsity_report
from prunegate.config import from_dict
from prunegate.models import Checkpoint

log = logging.getLogger(__name__)


def prune_model(baseline: Checkpoint, train: dict[str, np.ndarray],
                params: dict[str, Any]) -> tuple[Checkpoint, dict]:
    """A pruned copy of the baseline, its masks, and a per-layer before/after report."""
    config = from_dict(PruneConfig, params, "prune")
    model = copy.deepcopy(baseline.model)
    before = sparsity_report(model)
    masks = prune_(model, config, torch.from_numpy(train["x"][:1]))
    after = sparsity_report(model)
    report = {"method": config.method, "sparsity": config.sparsity,
              "layers": {name: {"before": before[name], "after": after[name]} for name in after}}
    return Checkpoint(model, masks), report
