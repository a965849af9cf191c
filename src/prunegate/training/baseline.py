"""The dense baseline: the configured model built for the data, trained (or kept as given)."""

import logging

import numpy as np

from prunegate.data.splits import schema, tokens_of
from prunegate.models import Checkpoint, ModelConfig
from prunegate.training.loop import TrainConfig, accuracy, fit, mean_loss, seed_everything

log = logging.getLogger(__name__)


def train_model(model_config: ModelConfig, train: dict[str, np.ndarray],
                val: dict[str, np.ndarray], config: TrainConfig) -> tuple[Checkpoint, dict]:
    """The model built for the data's sample shape and classes (from ``model.weights`` if set),
    trained with Adam; returns it and its per-epoch curves."""
    seed_everything(config.seed)
    model = model_config.build(*schema(train), tokens_of(train))
    history = fit(model, train, val, config, desc="train")
    if not history["epoch"]:  # train.epochs 0: the given weights, measured as they are
        history = {"epoch": [0.0], "train_loss": [mean_loss(model, train)],
                   "val_accuracy": [accuracy(model, val)], "lr": [0.0]}
    log.info("baseline val accuracy %.4f", history["val_accuracy"][-1])
    return Checkpoint(model), history
