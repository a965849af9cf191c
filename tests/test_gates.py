import math

import pytest

from prunegate.errors import ConfigError
from prunegate.gates import GateConfig, evaluate_gate, failure_line, gate_config

BASELINE = {"accuracy": 0.95, "latency_p95_ms": 0.050, "size_bytes": 1000}


def candidate(**overrides):
    return {"accuracy": 0.945, "latency_p95_ms": 0.030, "size_bytes": 80, **overrides}


def by_name(verdict):
    return {c["name"]: c for c in verdict["checks"]}


def test_a_good_candidate_passes_every_check():
    verdict = evaluate_gate(candidate(), BASELINE, GateConfig(min_accuracy=0.9))
    assert verdict["passed"]
    checks = by_name(verdict)
    assert checks["max_accuracy_drop_pp"]["value"] == pytest.approx(0.5)
    assert checks["max_latency_ratio"]["value"] == pytest.approx(0.6)
    assert checks["max_size_ratio"]["value"] == pytest.approx(0.08)


@pytest.mark.parametrize("overrides, failing", [
    ({"accuracy": 0.93}, "max_accuracy_drop_pp"),          # 2 pp below the baseline
    ({"latency_p95_ms": 0.060}, "max_latency_ratio"),      # slower than dense
    ({"size_bytes": 200}, "max_size_ratio"),               # only 5x smaller
])
def test_each_regression_fails_exactly_its_check(overrides, failing):
    verdict = evaluate_gate(candidate(**overrides), BASELINE, GateConfig())
    assert not verdict["passed"]
    assert [c["name"] for c in verdict["checks"] if not c["passed"]] == [failing]
    assert failure_line(verdict).startswith(f"{failing}: ")


def test_absolute_thresholds():
    verdict = evaluate_gate(candidate(), BASELINE, GateConfig(min_accuracy=0.999,
                                                              max_latency_p95_ms=0.01))
    failed = {c["name"] for c in verdict["checks"] if not c["passed"]}
    assert failed == {"min_accuracy", "max_latency_p95_ms"}
    line = failure_line(verdict)
    assert "accuracy = 0.945, needs >= 0.999" in line and "latency_p95_ms" in line


def test_null_threshold_turns_a_check_off():
    verdict = evaluate_gate(candidate(size_bytes=900), BASELINE, GateConfig(max_size_ratio=None))
    assert verdict["passed"] and "max_size_ratio" not in by_name(verdict)


def test_bad_threshold_and_nan_metric_are_clear_errors():
    with pytest.raises(ConfigError, match="gates.min_accuracy"):
        gate_config({"min_accuracy": "high"})
    with pytest.raises(ConfigError, match="did you mean 'max_size_ratio'"):
        gate_config({"max_size_ration": 0.1})
    with pytest.raises(ConfigError, match="cannot be evaluated"):
        evaluate_gate(candidate(accuracy=math.nan), BASELINE, GateConfig())
