"""Accuracy under the seeded perturbations of perturb.py, per perturbation and per sample.

The per-sample score (the share of a sample's perturbed copies the model gets right) is what
the gate resamples: the copies of one sample are not independent draws, the samples are, so
the paired interval of the robust drop resamples samples, as the clean drop's does.
"""

import logging

import numpy as np
import onnxruntime as ort

from prunegate.evaluation.metrics import predict_onnx
from prunegate.evaluation.perturb import RobustnessConfig, label, perturb

log = logging.getLogger(__name__)


def perturbed_copies(x: np.ndarray, config: RobustnessConfig) -> dict[str, np.ndarray]:
    """{label: perturbed copy of x}; empty when no perturbation applies to these inputs."""
    specs = config.for_inputs(x)
    if not specs:
        log.info("robustness: no perturbation applies to %s inputs; the robustness checks "
                 "are skipped", x.dtype)
    return {label(spec): perturb(x, spec, config.seed) for spec in specs}


def robust_scores(session: ort.InferenceSession, copies: dict[str, np.ndarray],
                  y: np.ndarray) -> tuple[dict[str, float], np.ndarray]:
    """(accuracy on each perturbed copy, per-sample share of copies predicted right)."""
    hits = {name: predict_onnx(session, x) == y for name, x in copies.items()}
    score = np.mean(np.stack(list(hits.values())), axis=0)
    return {name: float(h.mean()) for name, h in hits.items()}, score
