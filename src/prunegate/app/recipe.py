"""The whole parameter tree, checked up front.

Every stage's section becomes its dataclass config before the first node runs, so a typo or a bad
value fails in a second with one message instead of halfway through a run.
"""

from typing import Any

from prunegate.compression.chain import ChainConfig, distill_section
from prunegate.compression.distill import DistillConfig
from prunegate.compression.hints import require_modules
from prunegate.compression.prune_config import PruneConfig
from prunegate.compression.quantize import QuantizeConfig
from prunegate.data.expectations import DataCheckConfig
from prunegate.data.splits import SplitConfig
from prunegate.errors import ConfigError
from prunegate.evaluation.targets import select_target, target_profiles
from prunegate.gate.config import ABSOLUTE_ONLY, gate_config
from prunegate.gate.measure import ValidateConfig
from prunegate.models.zoo import DROPPABLE, ModelConfig, build_model
from prunegate.registry import TrackingConfig
from prunegate.search.config import SearchConfig
from prunegate.training.loop import TrainConfig
from prunegate.validators import did_you_mean, from_dict

SECTIONS = {
    "model": lambda p: from_dict(ModelConfig, p, "model"),
    "data": lambda p: from_dict(SplitConfig, p, "data"),
    "validate_data": lambda p: from_dict(DataCheckConfig, p, "validate_data"),
    "train": lambda p: from_dict(TrainConfig, p, "train"),
    "prune": lambda p: from_dict(PruneConfig, p, "prune"),
    "finetune": lambda p: from_dict(TrainConfig, p, "finetune"),
    "distill": distill_section,   # (KD settings, the stage's training budget)
    "quantize": lambda p: from_dict(QuantizeConfig, p, "quantize"),
    "validate": lambda p: from_dict(ValidateConfig, p, "validate"),
    "gates": gate_config,
    "targets": target_profiles,
    "mlflow": lambda p: from_dict(TrackingConfig, p, "mlflow"),
    "search": lambda p: from_dict(SearchConfig, p, "search"),
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
    kd, distill_training = configs["distill"]
    configs["chain"] = ChainConfig(configs["prune"], configs["finetune"], kd, distill_training,
                                   configs["quantize"])
    configs["target"] = select_target(configs["targets"], configs["validate"].target)
    _check_epochs(configs)
    if configs["prune"].granularity == "layers" and configs["model"].name not in DROPPABLE:
        raise ConfigError(f"prune.granularity 'layers' drops shape-preserving blocks, and "
                          f"model '{configs['model'].name}' has none. Use a model with residual "
                          f"blocks ({', '.join(DROPPABLE)}) or granularity 'neurons'.")
    _check_hint_layers(kd, configs["model"])
    kfold_checks = [s.name for s in configs["gates"].specs() if s.metric in ABSOLUTE_ONLY]
    if kfold_checks and configs["validate"].kfold == 0:
        raise ConfigError(f"gate check {kfold_checks[0]} needs k-fold results, but "
                          "validate.kfold is 0 (off). Set validate.kfold to 2 or more.")
    return configs


def _check_epochs(configs: dict[str, Any]) -> None:
    """0 epochs means "keep the weights as given": only the baseline has weights to keep."""
    if configs["train"].epochs == 0 and not configs["model"].weights:
        raise ConfigError("train.epochs 0 trains nothing, and there are no model.weights to "
                          "start from. Set train.epochs >= 1, or model.weights to your trained "
                          "weights.")
    for key, config in (("finetune", configs["finetune"]),
                        ("distill.training", configs["chain"].distill_training)):
        if config.epochs == 0:
            raise ConfigError(f"{key}.epochs must be >= 1, got 0.")


def _check_hint_layers(kd: DistillConfig, model: ModelConfig) -> None:
    """Feature KD names modules: check them on the architectures before anything trains."""
    if kd.kind != "feature" or model.name == "custom":
        return  # a custom model's arguments come from the data: distill checks it then
    teacher = build_model(model.name, **model.kwargs)
    student = teacher if kd.student == "pruned" else build_model(kd.student, **kd.student_kwargs)
    require_modules(student, [s for s, _ in kd.features])
    require_modules(teacher, [t for _, t in kd.features])


__all__ = ["check_params"]
