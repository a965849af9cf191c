"""Validate: measure every stage's model (and the champion) on the test split, then gate."""

from typing import Any

import numpy as np
import onnx

from prunegate.compression.chain import ChainConfig
from prunegate.evaluation.targets import TargetProfile
from prunegate.gate.config import GateConfig
from prunegate.gate.measure import ValidateConfig
from prunegate.gate.stability import kfold_stability
from prunegate.gate.stages import measure_stages
from prunegate.models import Checkpoint
from prunegate.reporting.html import html_report
from prunegate.reporting.summary import (
    gate_markdown,
    measured_choices,
    pareto_points,
    stage_notes,
)


def kfold_stability_report(pruned: Checkpoint, baseline: Checkpoint,
                           train: dict[str, np.ndarray], test: dict[str, np.ndarray],
                           chain: ChainConfig, validate: ValidateConfig) -> dict[str, Any]:
    """Fine-tune + distill repeated on validate.kfold folds; a note only when it is off."""
    if validate.kfold == 0:
        return {"k": 0, "note": "off (validate.kfold: 0)"}
    return kfold_stability(pruned, baseline, train, test, validate.kfold, chain.finetune,
                           chain.distill, chain.distill_training, chain.prune)


def measure_and_gate_stages(baseline: onnx.ModelProto, baseline_model: Checkpoint,
                            pruned: Checkpoint, finetuned: Checkpoint, distilled: Checkpoint,
                            distilled_onnx: onnx.ModelProto, quantized: onnx.ModelProto,
                            champion: onnx.ModelProto | None,
                            champion_split: dict[str, Any] | None, test: dict[str, np.ndarray],
                            kfold: dict[str, Any], validate: ValidateConfig,
                            target: TargetProfile, gates: GateConfig
                            ) -> tuple[dict[str, Any], dict[str, Any], dict[str, list[float]]]:
    """Every stage measured on the recipe's target in one run, the champion beside them, then
    the gate (gate/stages.py)."""
    stages = {"baseline": baseline_model, "pruned": pruned, "finetuned": finetuned,
              "distilled": distilled}
    return measure_stages(stages, baseline, distilled_onnx, quantized, test, kfold, validate,
                          target, gates, champion, champion_split)


def build_report(metrics: dict[str, Any], verdict: dict[str, Any], prune_report: dict[str, Any],
                 quantize_report: dict[str, Any], latency_samples: dict[str, list[float]]
                 ) -> tuple[str, str, list[dict]]:
    """The Markdown summary (CI step summary, PR comment), the HTML report with plots, and the
    Pareto points as data (for ``dvc plots``). Both name every choice a timing made."""
    choices = measured_choices(prune_report, quantize_report)
    notes = stage_notes(prune_report, quantize_report)
    return (gate_markdown(metrics, verdict, choices, notes),
            html_report(metrics, verdict, prune_report, latency_samples, choices, notes),
            pareto_points(metrics))
