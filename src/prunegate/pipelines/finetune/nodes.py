"""Fine-tune: recover accuracy after pruning, with the masks held fixed."""

import copy
import logging
from typing import Any

import numpy as np

from prunegate.config import from_dict
from prunegate.models import Checkpoint
from prunegate.training import TrainConfig, fit

log = logging.getLogger(__name__)


def finetune_model(pruned: Checkpoint, train: dict[str, np.ndarray], val: dict[str, np.ndarray],
                   params: dict[str, Any]) -> tuple[Checkpoint, dict]:
    """Train a copy of the pruned model; pruned weights stay exactly zero."""
    model = copy.deepcopy(pruned.model)
    history = fit(model, train, val, from_dict(TrainConfig, params, "finetune"),
                  masks=pruned.masks, desc="finetune")
    return Checkpoint(model, pruned.masks), history
