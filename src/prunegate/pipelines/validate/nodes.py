"""Validate: measure every stage's model (and the champion) on the test split, then gate."""

import logging
from typing import Any

import numpy as np
import onnx

from prunegate.compression.export import export_onnx
from prunegate.compression.prune import PruneConfig
from prunegate.config import from_dict
from prunegate.data.splits import unseen_by
from prunegate.evaluation.measure import measure_and_gate
from prunegate.evaluation.size import count_macs
from prunegate.evaluation.stability import kfold_stability
from prunegate.evaluation.targets import select_target, target_profiles
from prunegate.gates import gate_config
from prunegate.models import Checkpoint
from prunegate.params import ValidateConfig, distill_config
from prunegate.report import gate_markdown, html_report, measured_choices, pareto_points
from prunegate.training import TrainConfig

log = logging.getLogger(__name__)


def kfold_stability_report(pruned: Checkpoint, baseline: Checkpoint,
                           train: dict[str, np.ndarray], test: dict[str, np.ndarray],
                           finetune: dict[str, Any], distill: dict[str, Any],
                           params: dict[str, Any], prune: dict[str, Any]) -> dict[str, Any]:
    """Fine-tune + distill repeated on validate.kfold folds; a note only when it is off."""
    k = from_dict(ValidateConfig, params, "validate").kfold
    if k == 0:
        return {"k": 0, "note": "off (validate.kfold: 0)"}
    config = distill_config(distill)
    return kfold_stability(pruned, baseline, train, test, k,
                           from_dict(TrainConfig, finetune, "finetune"), config.kd,
                           config.training, from_dict(PruneConfig, prune, "prune"))


def measure_and_gate_stages(baseline: onnx.ModelProto, baseline_model: Checkpoint,
                            pruned: Checkpoint, finetuned: Checkpoint, distilled: Checkpoint,
                            distilled_onnx: onnx.ModelProto, quantized: onnx.ModelProto,
                            champion: onnx.ModelProto | None,
                            champion_split: dict[str, Any] | None, test: dict[str, np.ndarray],
                            kfold: dict[str, Any], params: dict[str, Any],
                            targets: dict[str, Any], gates: dict[str, Any]
                            ) -> tuple[dict[str, Any], dict[str, Any], dict[str, list[float]]]:
    """Every stage as ONNX in ONNX Runtime on the recipe's target profile, in one run, so their
    figures are comparable; the champion (when there is one) is re-measured beside them, never
    read from stored numbers, and compared only on the test samples it never trained on."""
    config = from_dict(ValidateConfig, params, "validate")
    target = select_target(target_profiles(targets), config.target)
    gate = gate_config(gates)  # a bad threshold fails before anything is measured
    shape = tuple(test["x"].shape[1:])
    models = {"baseline": baseline, "pruned": export_onnx(pruned.model, shape),
              "finetuned": export_onnx(finetuned.model, shape), "distilled": distilled_onnx,
              "quantized": quantized}
    if champion is not None:
        models["champion"] = champion
    stability = ({"kfold_accuracy_mean": kfold["test_accuracy"]["mean"],
                  "kfold_accuracy_std": kfold["test_accuracy"]["std"]} if kfold["k"] else {})
    metrics, verdict, samples = measure_and_gate(
        models, test, gate, target, config.latency_repeats, config.latency_warmup,
        config.report_repeats, candidate_metrics=stability,
        champion_unseen=None if champion is None else unseen_by(test, champion_split))
    metrics["target"] = {"name": config.target, **metrics["target"]}
    metrics["kfold"] = kfold
    macs = {"baseline": baseline_model, "pruned": pruned, "finetuned": finetuned,
            "distilled": distilled, "quantized": distilled}  # quantizing keeps the MAC count
    for stage, checkpoint in macs.items():
        metrics["stages"][stage]["macs"] = count_macs(checkpoint.model, shape)
    return metrics, verdict, samples


def build_report(metrics: dict[str, Any], verdict: dict[str, Any], prune_report: dict[str, Any],
                 quantize_report: dict[str, Any], latency_samples: dict[str, list[float]]
                 ) -> tuple[str, str, list[dict]]:
    """The Markdown summary (CI step summary, PR comment), the HTML report with plots, and the
    Pareto points as data (for ``dvc plots``). Both name every choice a timing made."""
    choices = measured_choices(prune_report, quantize_report)
    return (gate_markdown(metrics, verdict, choices),
            html_report(metrics, verdict, prune_report, latency_samples, choices),
            pareto_points(metrics))
