"""Train: the dense baseline every later stage is compared with."""

import logging
from typing import Any

import numpy as np

from prunegate.config import from_dict
from prunegate.data.expectations import require_valid
from prunegate.data.splits import schema
from prunegate.models import Checkpoint, ModelConfig
from prunegate.training import TrainConfig, accuracy, fit, mean_loss, seed_everything

log = logging.getLogger(__name__)


def train_baseline(train: dict[str, np.ndarray], val: dict[str, np.ndarray],
                   model_params: dict[str, Any], params: dict[str, Any],
                   data_validation: dict[str, Any]) -> tuple[Checkpoint, dict]:
    """The configured model, built for the data's sample shape and classes (from
    ``model.weights`` if set), trained with Adam; returns it and its per-epoch curves. Data that
    failed the data gate is refused (the report is also what orders this node after the
    gate)."""
    require_valid(data_validation)
    model_config = from_dict(ModelConfig, model_params, "model")
    config = from_dict(TrainConfig, params, "train")
    seed_everything(config.seed)
    model = model_config.build(*schema(train))
    history = fit(model, train, val, config, desc="train")
    if not history["epoch"]:  # train.epochs 0: the given weights, measured as they are
        history = {"epoch": [0.0], "train_loss": [mean_loss(model, train)],
                   "val_accuracy": [accuracy(model, val)], "lr": [0.0]}
    log.info("baseline val accuracy %.4f", history["val_accuracy"][-1])
    return Checkpoint(model), history
