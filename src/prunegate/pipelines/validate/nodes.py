"""Validate: measure every stage's model on the test split, then gate the deployable one."""

import logging
from typing import Any

import numpy as np
import onnx

from prunegate.compression.export import export_onnx
from prunegate.config import from_dict
from prunegate.evaluation.measure import measure_models
from prunegate.gates import evaluate_gate, gate_config
from prunegate.models import Checkpoint
from prunegate.params import ValidateConfig

log = logging.getLogger(__name__)


def measure_stages(baseline: onnx.ModelProto, pruned: Checkpoint, finetuned: Checkpoint,
                   distilled: onnx.ModelProto, quantized: onnx.ModelProto,
                   test: dict[str, np.ndarray], params: dict[str, Any]) -> dict[str, Any]:
    """Every stage as ONNX in ONNX Runtime, in one run, so their figures are comparable."""
    config = from_dict(ValidateConfig, params, "validate")
    shape = tuple(test["x"].shape[1:])
    models = {"baseline": baseline, "pruned": export_onnx(pruned.model, shape),
              "finetuned": export_onnx(finetuned.model, shape), "distilled": distilled,
              "quantized": quantized}
    stages = measure_models(models, test, config.latency_repeats, config.latency_warmup,
                            config.threads)
    return {"stages": stages, "candidate": "quantized", "baseline": "baseline"}


def gate(metrics: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The verdict on the deployable model against the thresholds in ``gates``."""
    config = gate_config(params)
    stages = metrics["stages"]
    verdict = evaluate_gate(stages[metrics["candidate"]], stages[metrics["baseline"]], config)
    return {**verdict, "candidate": metrics["candidate"], "baseline": metrics["baseline"]}
