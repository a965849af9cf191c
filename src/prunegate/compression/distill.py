"""Knowledge distillation: the student learns the teacher's soft outputs (Hinton et al. 2015,
``kind: logit``), and with ``kind: feature`` also its intermediate outputs (hints.py)."""

import copy
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from prunegate.compression.hints import hint_loss, projections, tapped
from prunegate.compression.qat import quant_aware_context
from prunegate.data.splits import schema, tokens_of
from prunegate.errors import ConfigError
from prunegate.models import Checkpoint, ModelConfig
from prunegate.models.zoo import ZOO
from prunegate.training.loop import LossFn, TrainConfig, accuracy, fit, mean_loss, seed_everything
from prunegate.validators import choose, number

log = logging.getLogger(__name__)

KINDS = ("logit", "feature")
TEACHERS = ("auto", "baseline", "finetuned")


@dataclass
class DistillConfig:
    # false: the fine-tuned model goes on unchanged (the search turns KD on and off)
    enabled: bool = True
    kind: str = "logit"  # Hinton logit KD
    temperature: float = 4.0
    # weight of the soft-target term; (1 - alpha) goes to the hard labels
    alpha: float = 0.7
    # "pruned": the fine-tuned pruned model learns from the dense baseline. A zoo name instead
    # trains that (smaller) architecture from scratch with the pruned model as its teacher.
    student: str = "pruned"
    student_kwargs: dict[str, Any] = field(default_factory=dict)
    # which earlier stage's model teaches: "auto" is the dense baseline for the pruned student
    # and the fine-tuned model for a zoo student
    teacher: str = "auto"
    # feature: [student module, teacher module] pairs whose outputs are matched (default: the
    # zoo models' penultimate output, [[features, features]]), and the weight of that term
    features: list[list[str]] | None = None
    beta: float | None = None
    # student "pruned": keep the fine-tuned model when distillation lowers validation accuracy
    # (a teacher no better than the student only pulls it back towards the teacher)
    keep_if_better: bool = False

    def __post_init__(self) -> None:
        choose(self.kind, KINDS, "distill.kind")
        if not isinstance(self.enabled, bool):
            raise ConfigError(f"distill.enabled must be true or false, not {self.enabled!r}.")
        if not isinstance(self.keep_if_better, bool):
            raise ConfigError(f"distill.keep_if_better must be true or false, not "
                              f"{self.keep_if_better!r}.")
        if self.kind == "feature":
            self.features = [["features", "features"]] if self.features is None else self.features
            self.beta = 1.0 if self.beta is None else self.beta
            if not isinstance(self.features, list) or not self.features or not all(
                    isinstance(p, list) and len(p) == 2 and all(isinstance(n, str) for n in p)
                    for p in self.features):
                raise ConfigError("distill.features must be a non-empty list of [student module, "
                                  "teacher module] pairs, e.g. [[features, features]].")
            number(self.beta, "distill.beta", 0.0, 1e6)
        elif self.features is not None or self.beta is not None:
            raise ConfigError("distill.features and distill.beta are only read with distill.kind "
                              f"'feature' (this one is '{self.kind}').")
        number(self.temperature, "distill.temperature", 0.05, 100.0)
        number(self.alpha, "distill.alpha", 0.0, 1.0)
        choose(self.student, ["pruned", *ZOO], "distill.student")
        choose(self.teacher, TEACHERS, "distill.teacher")


def kd_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, targets: torch.Tensor,
            temperature: float, alpha: float) -> torch.Tensor:
    """alpha·T²·KL(p_T ‖ q_T) + (1 − alpha)·CE(q, y).

    T² keeps the soft term's gradients on the same scale as the hard term's when T changes.
    """
    soft = F.kl_div(F.log_softmax(student_logits / temperature, dim=1),
                    F.softmax(teacher_logits / temperature, dim=1), reduction="batchmean")
    hard = F.cross_entropy(student_logits, targets)
    return alpha * temperature**2 * soft + (1.0 - alpha) * hard


def kd_loss_fn(teacher: nn.Module, config: DistillConfig) -> LossFn:
    teacher.eval()

    def loss(student: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            teacher_logits = teacher(x)
        return kd_loss(student(x), teacher_logits, y, config.temperature, config.alpha)

    return loss


def feature_kd_loss_fn(teacher: nn.Module, config: DistillConfig,
                       student_taps: dict[str, torch.Tensor], teacher_taps: dict[str, torch.Tensor],
                       project: nn.ModuleList) -> LossFn:
    """The logit KD loss + beta · the hint loss of the tapped layer pairs."""
    teacher.eval()
    pairs = config.features

    def loss(student: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            teacher_logits = teacher(x)
        logits = kd_loss(student(x), teacher_logits, y, config.temperature, config.alpha)
        hints = hint_loss([student_taps[s] for s, _ in pairs],
                          [teacher_taps[t] for _, t in pairs], project)
        return logits + config.beta * hints

    return loss


def teacher_of(config: DistillConfig, finetuned: Checkpoint, baseline: Checkpoint) -> nn.Module:
    name = config.teacher
    if name == "auto":
        name = "baseline" if config.student == "pruned" else "finetuned"
    return {"baseline": baseline.model, "finetuned": finetuned.model}[name]


def distill(finetuned: Checkpoint, baseline: Checkpoint, train: dict[str, np.ndarray],
            val: dict[str, np.ndarray], config: DistillConfig, training: TrainConfig,
            quant_mode: str = "static",
            per_channel: bool = False) -> tuple[Checkpoint, dict[str, list[float]]]:
    """Student "pruned": a copy of the fine-tuned model, masks held. A zoo name: that
    architecture, freshly built. The teacher is ``config.teacher`` (see ``teacher_of``).
    With ``quant_mode`` 'qap' the student trains under fake int8. Disabled: the fine-tuned
    model, unchanged, with its validation accuracy as a one-point history."""
    if not config.enabled:
        log.info("distillation is off (distill.enabled: false): the fine-tuned model goes on")
        return Checkpoint(copy.deepcopy(finetuned.model), finetuned.masks), {
            "epoch": [0.0], "train_loss": [mean_loss(finetuned.model, train)],
            "val_accuracy": [accuracy(finetuned.model, val)], "lr": [0.0]}
    if config.student == "pruned":
        student, masks = copy.deepcopy(finetuned.model), finetuned.masks
    else:
        seed_everything(training.seed)
        student = ModelConfig(config.student, config.student_kwargs).build(
            *schema(train), tokens_of(train))
        masks = {}
    teacher = teacher_of(config, finetuned, baseline)
    with quant_aware_context(student, quant_mode, per_channel):
        distilled, history = _distill(student, masks, teacher, train, val, config, training)
    if config.keep_if_better and config.student == "pruned":
        before, after = accuracy(finetuned.model, val), accuracy(distilled.model, val)
        if after < before:
            log.warning("distillation lowered validation accuracy (%.4f -> %.4f): keeping the "
                        "fine-tuned model (distill.keep_if_better)", before, after)
            return Checkpoint(copy.deepcopy(finetuned.model), finetuned.masks), history
        log.info("distillation: validation accuracy %.4f -> %.4f", before, after)
    return distilled, history


def _distill(student: nn.Module, masks, teacher: nn.Module, train, val, config: DistillConfig,
             training: TrainConfig) -> tuple[Checkpoint, dict[str, list[float]]]:
    if config.kind == "logit":
        history = fit(student, train, val, training, loss_fn=kd_loss_fn(teacher, config),
                      masks=masks, desc="distill")
        return Checkpoint(student, masks), history
    pairs = config.features
    project = projections(student, teacher, pairs, torch.from_numpy(train["x"][:2]))
    with tapped(student, [s for s, _ in pairs]) as s_taps, \
            tapped(teacher, [t for _, t in pairs]) as t_taps:
        loss = feature_kd_loss_fn(teacher, config, s_taps, t_taps, project)
        history = fit(student, train, val, training, loss_fn=loss, masks=masks, desc="distill",
                      extra_params=list(project.parameters()))
    return Checkpoint(student, masks), history
