"""Train: the dense baseline every later stage is compared with."""

import logging
from typing import Any

import numpy as np

from prunegate.config import from_dict
from prunegate.data.expectations import require_valid
from prunegate.models import Checkpoint, ModelConfig, build_model
from prunegate.training import TrainConfig, fit, seed_everything

log = logging.getLogger(__name__)


def train_baseline(train: dict[str, np.ndarray], val: dict[str, np.ndarray],
                   model_params: dict[str, Any], params: dict[str, Any],
                   data_validation: dict[str, Any]) -> tuple[Checkpoint, dict]:
    """A freshly built zoo model trained with Adam; returns it and its per-epoch curves.
    Data that failed the data gate is refused (the report is also what orders this node
    after the gate)."""
    require_valid(data_validation)
    model_config = from_dict(ModelConfig, model_params, "model")
    config = from_dict(TrainConfig, params, "train")
    seed_everything(config.seed)
    model = build_model(model_config.name, **model_config.kwargs)
    history = fit(model, train, val, config, desc="train")
    log.info("baseline val accuracy %.4f", history["val_accuracy"][-1])
    return Checkpoint(model), history
