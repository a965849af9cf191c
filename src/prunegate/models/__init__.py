"""The model zoo and the safe checkpoint format."""

from prunegate.models.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from prunegate.models.zoo import ZOO, ModelConfig, build_model, fresh_copy

__all__ = ["Checkpoint", "ZOO", "ModelConfig", "build_model", "fresh_copy", "load_checkpoint",
           "save_checkpoint"]
