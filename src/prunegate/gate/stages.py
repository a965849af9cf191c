"""Measure every stage of a recipe run on its target in one run, the champion beside them, then
gate the deployable. The champion is re-measured, never read from stored numbers, and compared
only on the test samples it never trained on."""

from typing import Any

import numpy as np
import onnx

from prunegate.data.splits import unseen_by
from prunegate.evaluation.size import count_macs
from prunegate.evaluation.targets import TargetProfile
from prunegate.gate.config import GateConfig
from prunegate.gate.measure import ValidateConfig, measure_and_gate
from prunegate.models import Checkpoint
from prunegate.onnx_io.export import export_onnx

Split = dict[str, np.ndarray]
# every stage a recipe run measures, in chain order; the reports list them in this order
STAGES = ("baseline", "pruned", "finetuned", "distilled", "quantized", "champion")


def measure_stages(checkpoints: dict[str, Checkpoint], baseline: onnx.ModelProto,
                   distilled: onnx.ModelProto, quantized: onnx.ModelProto, test: Split,
                   kfold: dict[str, Any], validate: ValidateConfig, target: TargetProfile,
                   gates: GateConfig, champion: onnx.ModelProto | None = None,
                   champion_split: dict[str, Any] | None = None
                   ) -> tuple[dict[str, Any], dict[str, Any], dict[str, list[float]]]:
    """``checkpoints`` holds the baseline, pruned, fine-tuned and distilled PyTorch models: the
    pruned and fine-tuned ones are exported here, and every one's MACs are counted (quantizing
    keeps the distilled model's count). Returns the metrics, the verdict and the latency
    samples."""
    shape = tuple(test["x"].shape[1:])
    models = {"baseline": baseline,
              "pruned": export_onnx(checkpoints["pruned"].model, shape),
              "finetuned": export_onnx(checkpoints["finetuned"].model, shape),
              "distilled": distilled, "quantized": quantized}
    if champion is not None:
        models["champion"] = champion
    stability = ({"kfold_accuracy_mean": kfold["test_accuracy"]["mean"],
                  "kfold_accuracy_std": kfold["test_accuracy"]["std"]} if kfold["k"] else {})
    metrics, verdict, samples = measure_and_gate(
        models, test, gates, target, validate.latency_repeats, validate.latency_warmup,
        validate.report_repeats, candidate_metrics=stability,
        champion_unseen=None if champion is None else unseen_by(test, champion_split),
        robustness=validate.robustness)
    metrics["target"] = {"name": validate.target, **metrics["target"]}
    metrics["kfold"] = kfold
    for stage, checkpoint in {**checkpoints, "quantized": checkpoints["distilled"]}.items():
        metrics["stages"][stage]["macs"] = count_macs(checkpoint.model, shape)
    return metrics, verdict, samples


def gate_deployable(candidate: onnx.ModelProto, baseline: onnx.ModelProto, test: Split,
                    gates: GateConfig, target: TargetProfile, validate: ValidateConfig,
                    champion: onnx.ModelProto | None = None,
                    champion_split: dict[str, Any] | None = None
                    ) -> tuple[dict[str, Any], dict[str, Any]]:
    """One deployable against the dense baseline and the champion, all measured now: what
    ``prunegate gate --candidate`` and a search's winner are decided by. K-fold checks are
    skipped (they need a recipe run). Returns the metrics (stage "candidate") and the verdict."""
    models = {"baseline": baseline, "candidate": candidate}
    if champion is not None:
        models["champion"] = champion
    metrics, verdict, _ = measure_and_gate(
        models, test, gates, target, validate.latency_repeats, validate.latency_warmup,
        validate.report_repeats, candidate="candidate",
        champion_unseen=None if champion is None else unseen_by(test, champion_split),
        robustness=validate.robustness)
    return metrics, verdict
