"""The compression chain as library calls: prune → fine-tune → distill → export → quantize.

Kedro's stage nodes call one step each, so every stage's model is saved and tracked; a search
trial calls ``compress``, which runs the same steps in one process. Both read one ``ChainConfig``,
parsed once from the recipe's prune, finetune, distill and quantize sections.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx

from prunegate.compression.budget import prune_checkpoint, prune_within_budget
from prunegate.compression.distill import DistillConfig, distill
from prunegate.compression.prune_config import PruneConfig
from prunegate.compression.qat import qat_finetune
from prunegate.compression.quantize import QuantizeConfig, quantize_measured
from prunegate.compression.schedules import finetune
from prunegate.evaluation.targets import TargetProfile
from prunegate.models import Checkpoint
from prunegate.onnx_io.export import export_onnx
from prunegate.onnx_io.graph import describe
from prunegate.training.loop import TrainConfig
from prunegate.validators import from_dict

Split = dict[str, np.ndarray]


@dataclass(frozen=True)
class ChainConfig:
    """Everything the chain reads; each part checked itself when it was built."""

    prune: PruneConfig = field(default_factory=PruneConfig)
    finetune: TrainConfig = field(default_factory=TrainConfig)
    distill: DistillConfig = field(default_factory=DistillConfig)
    distill_training: TrainConfig = field(default_factory=TrainConfig)
    quantize: QuantizeConfig = field(default_factory=QuantizeConfig)


def distill_section(params: dict[str, Any] | None) -> tuple[DistillConfig, TrainConfig]:
    """The distill section: the KD settings, and under ``training`` the stage's budget."""
    params = dict(params or {})
    training = params.pop("training", None)
    return (from_dict(DistillConfig, params, "distill"),
            from_dict(TrainConfig, training, "distill.training"))


def chain_config(params: dict[str, Any]) -> ChainConfig:
    """The chain's sections of a recipe's parameters (absent sections take their defaults)."""
    kd, training = distill_section(params.get("distill"))
    return ChainConfig(prune=from_dict(PruneConfig, params.get("prune"), "prune"),
                       finetune=from_dict(TrainConfig, params.get("finetune"), "finetune"),
                       distill=kd, distill_training=training,
                       quantize=from_dict(QuantizeConfig, params.get("quantize"), "quantize"))


@dataclass(frozen=True)
class AccuracyBudget:
    """prune.accuracy_budget: the largest validation drop a backed-off sparsity may have."""

    max_drop_pp: float
    confidence: float = 0.95


def prune_baseline(baseline: Checkpoint, train: Split, val: Split, chain: ChainConfig,
                   target: TargetProfile | None = None,
                   budget: AccuracyBudget | None = None) -> tuple[Checkpoint, dict[str, Any]]:
    """A pruned copy of the baseline and its report; with a budget, the most compressed
    sparsity of the back-off ladder whose fine-tuned drop fits it (budget.py)."""
    if budget is None:
        return prune_checkpoint(baseline, train, val, chain.prune, target)
    return prune_within_budget(baseline, train, val, chain.prune, chain.finetune,
                               budget.max_drop_pp, budget.confidence, chain.quantize.mode,
                               chain.quantize.per_channel, target)


def finetune_pruned(pruned: Checkpoint, train: Split, val: Split,
                    chain: ChainConfig) -> tuple[Checkpoint, dict]:
    """Masks held (one-shot), or advanced by the prune schedule; fake int8 with mode 'qap'."""
    return finetune(pruned, train, val, chain.finetune, chain.prune,
                    quant_mode=chain.quantize.mode, per_channel=chain.quantize.per_channel)


def distill_finetuned(finetuned: Checkpoint, baseline: Checkpoint, train: Split, val: Split,
                      chain: ChainConfig) -> tuple[Checkpoint, dict]:
    """The fine-tuned model taught by the dense baseline, or a zoo student by the pruned one."""
    return distill(finetuned, baseline, train, val, chain.distill, chain.distill_training,
                   quant_mode=chain.quantize.mode, per_channel=chain.quantize.per_channel)


def export_checkpoint(checkpoint: Checkpoint, split: Split) -> onnx.ModelProto:
    """fp32 ONNX with the sample shape of ``split``."""
    return export_onnx(checkpoint.model, tuple(split["x"].shape[1:]))


def quantize_distilled(fp32: onnx.ModelProto, distilled: Checkpoint, train: Split, val: Split,
                       chain: ChainConfig, target: TargetProfile | None = None
                       ) -> tuple[onnx.ModelProto, dict[str, Any]]:
    """The deployable, calibrated on training data, and every variant that was measured (on
    the target's call path). Mode 'qat' first fine-tunes the distilled model under fake int8
    and exports that."""
    config, qat = chain.quantize, None
    if config.mode == "qat":
        tuned, qat = qat_finetune(distilled, train, val, config.qat_epochs, config.qat_lr,
                                  config.per_channel, config.seed)
        fp32 = export_checkpoint(tuned, train)
    deployable, report = quantize_measured(fp32, train["x"], config,
                                           call=target.call if target else "run",
                                           burst=target.burst if target else 1)
    # the file says what it is: which logit is which class, and what was quantized (a file
    # named model.int8.onnx is fp32 when no int8 variant measured fast enough)
    classes = [str(c) for c in train["classes"]] if "classes" in train else None
    # ... and what its callers must do to an input first (data.normalize), when anything
    normalize = ({"mean": list(map(float, train["normalize"][0])),
                  "std": list(map(float, train["normalize"][1]))}
                 if "normalize" in train else None)
    deployable = describe(deployable, classes=classes, precision=report["chosen"],
                          **({"normalize": normalize} if normalize else {}))
    return deployable, {**report, **({"qat_history": qat} if qat else {})}


@dataclass
class ChainResult:
    pruned: Checkpoint
    finetuned: Checkpoint
    distilled: Checkpoint | None = None     # None when ``keep_going`` stopped the chain
    deployable: onnx.ModelProto | None = None
    reports: dict[str, Any] = field(default_factory=dict)
    stopped: str | None = None              # why the chain stopped after fine-tuning


def compress(baseline: Checkpoint, train: Split, val: Split, chain: ChainConfig,
             target: TargetProfile | None = None,
             keep_going: Callable[[Checkpoint], str | None] | None = None,
             budget: AccuracyBudget | None = None) -> ChainResult:
    """The whole chain in one call. ``keep_going`` reads the fine-tuned model and returns a
    reason to stop (a search trial whose accuracy is already hopeless), or None to go on;
    ``budget``, prune.accuracy_budget's limit, as the prune node computes it."""
    pruned, prune_report = prune_baseline(baseline, train, val, chain, target, budget)
    finetuned, finetune_history = finetune_pruned(pruned, train, val, chain)
    result = ChainResult(pruned, finetuned, reports={"prune": prune_report,
                                                      "finetune": finetune_history})
    result.stopped = keep_going(finetuned) if keep_going else None
    if result.stopped:
        return result
    result.distilled, result.reports["distill"] = distill_finetuned(finetuned, baseline, train,
                                                                    val, chain)
    result.deployable, result.reports["quantize"] = quantize_distilled(
        export_checkpoint(result.distilled, val), result.distilled, train, val, chain, target)
    return result
