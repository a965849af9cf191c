"""A candidate that is as good as the baseline on clean data but fragile under noise fails the
robustness check; its calibration is gated the same way. Real ONNX models on a table."""

import numpy as np
import onnx
import pytest
import torch
from torch import nn

from prunegate.evaluation.perturb import RobustnessConfig
from prunegate.gate.config import GateConfig
from prunegate.gate.measure import measure_and_gate
from prunegate.onnx_io.export import export_onnx
from prunegate.reporting.summary import gate_markdown

GATE = GateConfig(min_accuracy=None, max_latency_ratio=None, max_size_ratio=None,
                  max_accuracy_drop_pp=1.0, max_robust_drop_pp=2.0, max_ece_increase_pp=5.0)
NOISE = RobustnessConfig(perturbations=[{"kind": "feature_noise", "scale": 0.3}])


def classifier(weights: list[list[float]]) -> onnx.ModelProto:
    layer = nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(weights))
    return export_onnx(layer, (2,))


@pytest.fixture(scope="module")
def table():
    """Column 0 is N(0, 1) and its sign is the class: a rule with no margin near 0. Column 1
    is the class ±3 with noise 0.3: the same rule with a wide margin. Both are exact on clean
    data; noise at 0.3 of each column's spread flips column 0's rule for ~10% of samples."""
    rng = np.random.default_rng(0)
    x0 = rng.normal(0, 1, 3000)
    y = (x0 > 0).astype(np.int64)
    x1 = np.where(y == 1, 3.0, -3.0) + rng.normal(0, 0.3, 3000)
    return {"x": np.stack([x0, x1], axis=1).astype(np.float32), "y": y}


def gate(table, candidate, robustness=NOISE):
    models = {"baseline": classifier([[0, -1], [0, 1]]), "quantized": candidate}
    return measure_and_gate(models, table, GATE, repeats=50, report_repeats=10,
                            robustness=robustness)


def checks(verdict):
    return {c["name"]: c for c in verdict["checks"]}


def test_a_model_fine_on_clean_data_but_fragile_under_noise_fails(table):
    metrics, verdict, _ = gate(table, classifier([[-50, 0], [50, 0]]))
    by_name = checks(verdict)
    assert by_name["max_accuracy_drop_pp"]["decision"] == "pass"        # clean: both exact
    assert metrics["stages"]["quantized"]["accuracy"] == 1.0
    robust = by_name["max_robust_drop_pp"]
    assert robust["decision"] == "fail" and robust["interval"][0] > 2.0
    assert verdict["outcome"] == "fail"
    assert metrics["robustness"]["perturbations"] == NOISE.perturbations
    summary = gate_markdown(metrics, verdict)
    assert "feature_noise:0.3" in summary and "robust accuracy" in summary
    assert "max_robust_drop_pp" in summary


def test_the_robust_rule_passes_and_the_same_rule_unsure_of_itself_fails_calibration(table):
    _, verdict, _ = gate(table, classifier([[0, -1], [0, 1]]))
    assert verdict["outcome"] == "pass"
    # the same predictions at a tenth of the logits: always right, but ~65% sure
    metrics, verdict, _ = gate(table, classifier([[0, -0.1], [0, 0.1]]))
    by_name = checks(verdict)
    assert by_name["max_robust_drop_pp"]["decision"] == "pass"
    assert by_name["max_ece_increase_pp"]["decision"] == "fail"
    assert by_name["max_ece_increase_pp"]["interval"][0] > 20      # pp, vs ~0.3 for the baseline
    assert metrics["stages"]["quantized"]["ece"] > 0.2 > metrics["stages"]["baseline"]["ece"]


def test_token_inputs_skip_the_robustness_check_and_say_why():
    from prunegate.gate.rule import Evidence, evaluate_gate

    ev = Evidence({"accuracy": 0.9, "ece": 0.01}, np.ones(10, bool))
    verdict = evaluate_gate(ev, ev, None, GateConfig(
        min_accuracy=None, max_latency_ratio=None, max_size_ratio=None,
        max_accuracy_drop_pp=None, max_robust_drop_pp=1.0))
    row = checks(verdict)["max_robust_drop_pp"]
    assert row["decision"] == "skipped" and "no perturbation applies" in row["note"]
