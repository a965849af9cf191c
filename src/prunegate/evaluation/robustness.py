"""Accuracy under the seeded perturbations of perturb.py, per perturbation and per sample.

The per-sample score (the share of a sample's perturbed copies the model gets right) is what
the gate resamples: the copies of one sample are not independent draws, the samples are, so
the paired interval of the robust drop resamples samples, as the clean drop's does. One copy
exists at a time, evaluated by every model, so memory grows by one test split, not five.
"""

import logging

import numpy as np
import onnxruntime as ort

from prunegate.evaluation.metrics import predict_onnx
from prunegate.evaluation.perturb import RobustnessConfig, label, perturb

log = logging.getLogger(__name__)


def robust_scores(sessions: dict[str, ort.InferenceSession], x: np.ndarray, y: np.ndarray,
                  config: RobustnessConfig) -> dict[str, tuple[dict[str, float], np.ndarray]]:
    """Per model: (accuracy on each perturbed copy, per-sample share of copies predicted
    right); empty when no perturbation applies to these inputs."""
    specs = config.for_inputs(x)
    if not specs:
        log.info("robustness: no perturbation applies to %s inputs of shape %s; the "
                 "robustness checks are skipped", x.dtype, tuple(x.shape[1:]))
        return {}
    per_copy: dict[str, dict[str, float]] = {name: {} for name in sessions}
    right = {name: np.zeros(len(y)) for name in sessions}
    for spec in specs:
        copy = perturb(x, spec, config.seed)
        for name, session in sessions.items():
            hits = predict_onnx(session, copy) == y
            per_copy[name][label(spec)] = float(hits.mean())
            right[name] += hits
    return {name: (per_copy[name], right[name] / len(specs)) for name in sessions}
