"""Distill: Hinton KD into the fine-tuned pruned model, or into a smaller zoo student."""

import copy
import logging
from typing import Any

import numpy as np

from prunegate.compression.distill import kd_loss_fn
from prunegate.models import Checkpoint, build_model
from prunegate.params import distill_config
from prunegate.training import fit, seed_everything

log = logging.getLogger(__name__)


def distill_model(finetuned: Checkpoint, baseline: Checkpoint, train: dict[str, np.ndarray],
                  val: dict[str, np.ndarray], params: dict[str, Any]) -> tuple[Checkpoint, dict]:
    """Student "pruned": the fine-tuned model learns from the dense baseline. A zoo name: that
    architecture, freshly built, learns from the fine-tuned pruned model."""
    config = distill_config(params)
    if config.kd.student == "pruned":
        student, teacher, masks = copy.deepcopy(finetuned.model), baseline.model, finetuned.masks
    else:
        seed_everything(config.training.seed)
        student = build_model(config.kd.student, **config.kd.student_kwargs)
        teacher, masks = finetuned.model, {}
    history = fit(student, train, val, config.training, loss_fn=kd_loss_fn(teacher, config.kd),
                  masks=masks, desc="distill")
    return Checkpoint(student, masks), history
