"""The deployment gate: measured metrics + thresholds -> a verdict. Pure: no I/O, no MLflow.

Every check has one form, (metric, comparator, threshold, basis), where the basis says what the
value is: the candidate's own measurement (``absolute``) or its relation to the dense baseline
measured in the same run (``relative_to_baseline``). A threshold set to null turns its check off.
"""

import math
import operator
from dataclasses import asdict, dataclass, fields
from typing import Any

from prunegate.config import number
from prunegate.errors import ConfigError

_COMPARE = {">=": operator.ge, "<=": operator.le}


@dataclass
class GateConfig:
    min_accuracy: float | None = 0.0
    max_accuracy_drop_pp: float | None = 1.0  # percentage points below the dense baseline
    max_latency_p95_ms: float | None = None
    max_latency_ratio: float | None = 1.0  # candidate p95 / dense ONNX fp32 p95, same run
    max_size_ratio: float | None = 0.1  # candidate bytes / dense ONNX fp32 bytes

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                number(value, f"gates.{f.name}", low=0.0)


@dataclass(frozen=True)
class Check:
    name: str
    metric: str
    comparator: str
    threshold: float
    basis: str
    value: float
    passed: bool


def _checks(config: GateConfig) -> list[tuple[str, str, str, str]]:
    """(config key, metric, comparator, basis) for every gate key."""
    return [("min_accuracy", "accuracy", ">=", "absolute"),
            ("max_accuracy_drop_pp", "accuracy_drop_pp", "<=", "relative_to_baseline"),
            ("max_latency_p95_ms", "latency_p95_ms", "<=", "absolute"),
            ("max_latency_ratio", "latency_p95_ratio", "<=", "relative_to_baseline"),
            ("max_size_ratio", "size_ratio", "<=", "relative_to_baseline")]


def derived_metrics(candidate: dict[str, float], baseline: dict[str, float]) -> dict[str, float]:
    """The candidate's metrics plus the ones that only exist relative to the baseline."""
    return {**candidate,
            "accuracy_drop_pp": 100.0 * (baseline["accuracy"] - candidate["accuracy"]),
            "latency_p95_ratio": candidate["latency_p95_ms"] / baseline["latency_p95_ms"],
            "size_ratio": candidate["size_bytes"] / baseline["size_bytes"]}


def evaluate_gate(candidate: dict[str, float], baseline: dict[str, float],
                  config: GateConfig) -> dict[str, Any]:
    """The verdict: passed only when every enabled check passed."""
    values = derived_metrics(candidate, baseline)
    checks = []
    for key, metric, comparator, basis in _checks(config):
        threshold = getattr(config, key)
        if threshold is None:
            continue
        value = values.get(metric)
        if value is None or not math.isfinite(value):
            raise ConfigError(f"gate check '{key}' cannot be evaluated: metric '{metric}' is "
                              f"{value!r}. Check the validate stage's measurements.")
        checks.append(Check(key, metric, comparator, float(threshold), basis, float(value),
                            bool(_COMPARE[comparator](value, threshold))))
    return {"passed": all(c.passed for c in checks), "checks": [asdict(c) for c in checks]}


def failure_line(verdict: dict[str, Any]) -> str:
    """One line naming each failing check, its value and its threshold."""
    failed = [c for c in verdict["checks"] if not c["passed"]]
    if not failed:
        return f"all {len(verdict['checks'])} gate checks passed"
    return "; ".join(f"{c['name']}: {c['metric']} = {c['value']:.4g}, needs {c['comparator']} "
                     f"{c['threshold']:.4g}" for c in failed)


def gate_config(params: dict[str, Any] | None) -> GateConfig:
    from prunegate.config import from_dict
    if params is not None and not isinstance(params, dict):
        raise ConfigError(f"'gates' must be a mapping of thresholds, got {params!r}.")
    return from_dict(GateConfig, params, "gates")
