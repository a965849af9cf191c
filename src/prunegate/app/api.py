"""``prunegate.compress``: the recipe's chain for a user who has their own pipeline.

It calls the library functions the Kedro nodes call, in the same order, without Kedro's run,
the data folder or MLflow: check the config, split the data, run the data gate, check that the
test split can resolve the gate, prune → fine-tune → distill → quantize, then measure every
stage on the recipe's target and gate the deployable. Registering and promoting stay with
``kedro run`` (or ``prunegate gate --candidate`` on the saved file)::

    result = prunegate.compress(model, {"x": x, "y": y}, "mnist_mlp")
    result.passed, result.metrics["stages"]["quantized"]["accuracy"]
    result.save("model.onnx")
"""

import copy
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from torch import nn

from prunegate.app.recipe import check_params
from prunegate.compression.chain import AccuracyBudget, export_checkpoint
from prunegate.compression.chain import compress as run_chain
from prunegate.data.expectations import require_valid, validate_splits
from prunegate.data.splits import split_arrays
from prunegate.errors import ConfigError, DataError
from prunegate.gate.resolution import accuracy_budget_pp, require_resolvable
from prunegate.gate.stability import kfold_stability
from prunegate.gate.stages import measure_stages
from prunegate.models import Checkpoint
from prunegate.reporting.summary import gate_markdown

log = logging.getLogger(__name__)
Split = dict[str, np.ndarray]


@dataclass
class Result:
    """What ``compress`` made: the deployable ONNX bytes, every stage's metrics, the verdict."""

    deployable: bytes
    metrics: dict[str, Any]
    verdict: dict[str, Any]
    reports: dict[str, Any] = field(default_factory=dict)  # prune, finetune, distill, quantize

    @property
    def passed(self) -> bool:
        return bool(self.verdict["passed"])

    def summary(self) -> str:
        """The gate's Markdown summary, as gate.md has it."""
        return gate_markdown(self.metrics, self.verdict)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_bytes(self.deployable)
        return path


def recipe_params(recipe: str, conf_source: str | Path = "conf") -> dict[str, Any]:
    """A shipped recipe's parameters (conf/base, then conf/recipes/<recipe>), as a run merges
    them, without this machine's conf/local."""
    from prunegate.app.config_loader import LOADER_ARGS, RecipeConfigLoader

    if not (Path(conf_source) / "base").is_dir():
        raise ConfigError(f"recipe '{recipe}' needs the project's conf/ folder ({conf_source} "
                          "has no base/): run from the project root, pass conf_source, or "
                          "pass the parameters as a dict.")
    loader = RecipeConfigLoader(str(conf_source), runtime_params={"recipe": recipe},
                                **{**LOADER_ARGS, "default_run_env": "base"})
    return dict(loader["parameters"])


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        merged[key] = _merge(base[key], value) if isinstance(value, dict) and isinstance(
            base.get(key), dict) else value
    return merged


def _splits(data: dict[str, Any], configs: dict[str, Any]) -> tuple[Split, Split, Split]:
    """``{"x", "y"}`` split by the recipe's ``data`` section, or ``{"train", "val", "test"}``."""
    if not isinstance(data, dict):
        raise DataError("data must be a dict: {'x': ..., 'y': ...} or {'train': {...}, "
                        "'val': {...}, 'test': {...}}.")
    if {"train", "val", "test"} <= set(data):
        x = np.asarray(data["train"]["x"])
        classes = np.arange(int(max(np.max(data[s]["y"]) for s in ("train", "val", "test"))) + 1)
        common = {"classes": classes.astype(str), "shape": np.asarray(x.shape[1:])}
        return tuple({**common, **{k: np.asarray(v) for k, v in data[s].items()},
                      "y": np.asarray(data[s]["y"], dtype=np.int64)}
                     for s in ("train", "val", "test"))
    return split_arrays({k: np.asarray(v) for k, v in data.items()}, configs["data"])


def compress(model: nn.Module | Checkpoint, data: dict[str, Any],
             recipe_or_config: str | dict[str, Any] = "mnist_mlp",
             overrides: dict[str, Any] | None = None,
             conf_source: str | Path = "conf") -> Result:
    """Compress a trained model with a recipe (a name under conf/recipes/) or a parameter dict
    (missing sections take their defaults), overrides merged on top. The model is copied, never
    changed. Raises ConfigError or DataError, as a run would, before anything trains."""
    params = (recipe_params(recipe_or_config, conf_source)
              if isinstance(recipe_or_config, str) else dict(recipe_or_config))
    configs = check_params(_merge(params, overrides or {}))
    train, val, test = _splits(data, configs)
    require_valid(validate_splits({"train": train, "val": val, "test": test},
                                  configs["validate_data"]))
    gates, chain, target = configs["gates"], configs["chain"], configs["target"]
    require_resolvable(gates, len(test["y"]), configs["data"].test_fraction)
    baseline = copy.deepcopy(model) if isinstance(model, Checkpoint) else \
        Checkpoint(copy.deepcopy(model).eval())
    budget = (AccuracyBudget(accuracy_budget_pp(gates, len(test["y"])), gates.confidence)
              if chain.prune.accuracy_budget else None)
    log.info("compressing: %d train, %d val, %d test samples", len(train["y"]), len(val["y"]),
             len(test["y"]))
    done = run_chain(baseline, train, val, chain, target, budget=budget)
    validate = configs["validate"]
    kfold = (kfold_stability(done.pruned, baseline, train, test, validate.kfold, chain.finetune,
                             chain.distill, chain.distill_training, chain.prune)
             if validate.kfold else {"k": 0, "note": "off (validate.kfold: 0)"})
    stages = {"baseline": baseline, "pruned": done.pruned, "finetuned": done.finetuned,
              "distilled": done.distilled}
    metrics, verdict, _ = measure_stages(stages, export_checkpoint(baseline, val),
                                         export_checkpoint(done.distilled, val), done.deployable,
                                         test, kfold, validate, target, gates)
    return Result(done.deployable.SerializeToString(), metrics, verdict, done.reports)
