"""Train: the dense baseline every later stage is compared with."""

import numpy as np

from prunegate.data.expectations import require_valid
from prunegate.models import Checkpoint, ModelConfig
from prunegate.training.baseline import train_model
from prunegate.training.loop import TrainConfig


def train_baseline(train: dict[str, np.ndarray], val: dict[str, np.ndarray], model: ModelConfig,
                   config: TrainConfig, data_validation: dict) -> tuple[Checkpoint, dict]:
    """The configured model trained on data that passed the data gate (the report is also what
    orders this node after the gate); returns it and its per-epoch curves."""
    require_valid(data_validation)
    return train_model(model, train, val, config)
