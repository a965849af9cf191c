"""The whole parameter tree, checked up front.

Every stage's section becomes its dataclass config before the first node runs, so a typo or a bad
value fails in a second with one message instead of halfway through a run.
"""

from dataclasses import dataclass, field
from typing import Any

from prunegate.compression.distill import DistillConfig
from prunegate.compression.prune import PruneConfig
from prunegate.compression.quantize import QuantizeConfig
from prunegate.config import did_you_mean, from_dict, integer
from prunegate.data.splits import SplitConfig
from prunegate.errors import ConfigError
from prunegate.gates import GateConfig, gate_config
from prunegate.models.zoo import ModelConfig
from prunegate.registry import TrackingConfig
from prunegate.training import TrainConfig


@dataclass
class ValidateConfig:
    latency_repeats: int = 3000
    latency_warmup: int = 50
    threads: int = 1  # intra-op threads of the measuring session: the target's core count

    def __post_init__(self) -> None:
        integer(self.latency_repeats, "validate.latency_repeats", low=10)
        integer(self.latency_warmup, "validate.latency_warmup", low=0)
        integer(self.threads, "validate.threads", low=1)


@dataclass
class DistillStageConfig:
    """The KD settings plus the training budget of the distillation stage."""

    kd: DistillConfig = field(default_factory=DistillConfig)
    training: TrainConfig = field(default_factory=TrainConfig)


def distill_config(params: dict[str, Any]) -> DistillStageConfig:
    params = dict(params or {})
    training = params.pop("training", None)
    return DistillStageConfig(kd=from_dict(DistillConfig, params, "distill"),
                              training=from_dict(TrainConfig, training, "distill.training"))


SECTIONS = {
    "model": lambda p: from_dict(ModelConfig, p, "model"),
    "data": lambda p: from_dict(SplitConfig, p, "data"),
    "train": lambda p: from_dict(TrainConfig, p, "train"),
    "prune": lambda p: from_dict(PruneConfig, p, "prune"),
    "finetune": lambda p: from_dict(TrainConfig, p, "finetune"),
    "distill": distill_config,
    "quantize": lambda p: from_dict(QuantizeConfig, p, "quantize"),
    "validate": lambda p: from_dict(ValidateConfig, p, "validate"),
    "gates": gate_config,
    "mlflow": lambda p: from_dict(TrackingConfig, p, "mlflow"),
}
TOP_LEVEL_SCALARS = ("recipe",)


def check_params(params: dict[str, Any]) -> dict[str, Any]:
    """Every section as its config object; raises ConfigError on the first problem."""
    known = [*SECTIONS, *TOP_LEVEL_SCALARS]
    for key in params:
        if key not in known:
            raise ConfigError(f"unknown parameter section '{key}'{did_you_mean(key, known)}. "
                              f"Sections: {', '.join(known)}.")
    configs = {}
    for key, build in SECTIONS.items():
        section = params.get(key)
        if section is not None and not isinstance(section, dict):
            raise ConfigError(f"'{key}' must be a mapping, got {section!r}.")
        configs[key] = build(section)
    return configs


__all__ = ["GateConfig", "ValidateConfig", "check_params", "distill_config"]
