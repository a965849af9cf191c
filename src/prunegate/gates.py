"""The deployment gate: measured evidence + thresholds -> a verdict. Pure: no I/O, no MLflow.

Every check has one form: (metric, comparator, threshold, basis).
- ``absolute``: the candidate's own value.
- ``relative_to_baseline`` / ``relative_to_champion``: the candidate against the dense baseline, or
  the current champion, both re-measured in the same run. For metrics where higher is better the
  value is the drop in percentage points, 100 × (reference − candidate); for metrics where lower
  is better it is the ratio candidate / reference.

Noisy metrics (accuracy: the test split is a sample; latency: the machine is shared) decide on a
bootstrap confidence interval [lo, hi]. A "<=" check passes only when hi <= threshold, fails when
lo > threshold, and is otherwise undecided (">=" mirrors it). Undecided latency checks can be
re-measured; whatever is still undecided when ``final`` is set fails closed.
"""

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from prunegate.config import choose, from_dict, integer, number
from prunegate.errors import ConfigError
from prunegate.evaluation import bootstrap

HIGHER_IS_BETTER = ("accuracy", "f1_macro", "f1_weighted", "precision_macro",
                    "precision_weighted", "recall_macro", "recall_weighted", "min_class_recall",
                    "kfold_accuracy_mean")
LOWER_IS_BETTER = ("latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "size_bytes",
                   "size_compressed_bytes", "size_sparse_bytes", "params", "nonzero_params", "macs",
                   "kfold_accuracy_std")
BASES = ("absolute", "relative_to_baseline", "relative_to_champion")
# measured for the candidate's recipe only (validate.kfold), so there is nothing to compare with
ABSOLUTE_ONLY = ("kfold_accuracy_mean", "kfold_accuracy_std")
LATENCY = {"latency_p50_ms": 50, "latency_p95_ms": 95, "latency_p99_ms": 99}


@dataclass(frozen=True)
class CheckSpec:
    metric: str
    comparator: str
    threshold: float
    basis: str = "absolute"
    name: str = ""

    def __post_init__(self) -> None:
        choose(self.metric, [*HIGHER_IS_BETTER, *LOWER_IS_BETTER], "gates check metric")
        choose(self.comparator, ["<=", ">="], "gates check comparator")
        choose(self.basis, BASES, "gates check basis")
        number(self.threshold, f"gates check '{self.metric}' threshold")
        if self.metric in ABSOLUTE_ONLY and self.basis != "absolute":
            raise ConfigError(f"gates check on '{self.metric}' must use basis: absolute (only "
                              "the candidate's recipe is repeated on k folds).")
        if not self.name:
            # dots, not colons: the name becomes an MLflow tag key
            object.__setattr__(self, "name", f"{self.basis}.{self.metric}")


@dataclass
class GateConfig:
    # shorthands for the common checks; null turns one off
    min_accuracy: float | None = 0.0
    max_accuracy_drop_pp: float | None = 1.0  # vs the dense baseline, same test samples
    max_latency_p95_ms: float | None = None
    max_latency_ratio: float | None = 1.0  # candidate p95 / dense ONNX fp32 p95, same run
    max_size_ratio: float | None = 0.1  # candidate bytes / dense ONNX fp32 bytes
    # any other check, general form: {name: {metric, comparator, threshold, basis}}, so that one
    # threshold can be overridden by name (--params gates.checks.<name>.threshold=0.7) and a
    # recipe can switch a base check off (<name>: null). A plain list is accepted too.
    checks: dict[str, Any] | list[dict[str, Any]] = field(default_factory=dict)
    confidence: float = 0.95
    bootstrap_samples: int = 2000
    remeasure_budget: int = 2  # extra latency measurements before an undecided check fails

    def __post_init__(self) -> None:
        for key in ("min_accuracy", "max_accuracy_drop_pp", "max_latency_p95_ms",
                    "max_latency_ratio", "max_size_ratio"):
            if getattr(self, key) is not None:
                number(getattr(self, key), f"gates.{key}", low=0.0)
        self.checks = _named_checks(self.checks)
        number(self.confidence, "gates.confidence", 0.5, 0.999)
        integer(self.bootstrap_samples, "gates.bootstrap_samples", low=100)
        integer(self.remeasure_budget, "gates.remeasure_budget", low=0)
        self.specs()  # every extra check is valid now, not when the gate runs

    def specs(self) -> list[CheckSpec]:
        shorthand = [("min_accuracy", "accuracy", ">=", "absolute"),
                     ("max_accuracy_drop_pp", "accuracy", "<=", "relative_to_baseline"),
                     ("max_latency_p95_ms", "latency_p95_ms", "<=", "absolute"),
                     ("max_latency_ratio", "latency_p95_ms", "<=", "relative_to_baseline"),
                     ("max_size_ratio", "size_bytes", "<=", "relative_to_baseline")]
        specs = [CheckSpec(metric, comparator, getattr(self, key), basis, key)
                 for key, metric, comparator, basis in shorthand if getattr(self, key) is not None]
        for i, check in enumerate(self.checks):
            if not isinstance(check, dict):
                raise ConfigError(f"gates.checks[{i}] must be a mapping, got {check!r}.")
            specs.append(from_dict(CheckSpec, check, f"gates.checks[{i}]"))
        return specs


def _named_checks(checks: Any) -> list[dict[str, Any]]:
    """The mapping form {name: spec or null} as the list form, each spec carrying its name."""
    if isinstance(checks, list):
        return checks
    if not isinstance(checks, dict):
        raise ConfigError("'gates.checks' must map check names to {metric, comparator, "
                          f"threshold, basis}}, got {checks!r}.")
    named = []
    for name, spec in checks.items():
        if spec is None:  # switched off, e.g. by a recipe over conf/base
            continue
        if not isinstance(spec, dict):
            raise ConfigError(f"gates.checks.{name} must be a mapping of metric, comparator, "
                              f"threshold and basis (or null to switch it off), got {spec!r}.")
        if spec.get("name", name) != name:
            raise ConfigError(f"gates.checks.{name} has name '{spec['name']}': a check's name "
                              "is its key; drop the name field.")
        named.append({**spec, "name": str(name)})
    return named


@dataclass
class Evidence:
    """What was measured for one model: scalar metrics, and raw samples behind the noisy ones."""

    metrics: dict[str, Any]
    correct: np.ndarray | None = None      # per test sample: was the prediction right
    latency_ms: np.ndarray | None = None   # per interleaved round: one call at the gate batch
    batch_latency_ms: dict[int, np.ndarray] = field(default_factory=dict)  # other batch sizes


def evaluate_gate(candidate: Evidence, baseline: Evidence, champion: Evidence | None,
                  config: GateConfig, final: bool = True) -> dict[str, Any]:
    """The verdict; ``final=False`` leaves undecided checks undecided so they can be re-measured."""
    checks = [_check(spec, candidate, {"relative_to_baseline": baseline,
                                       "relative_to_champion": champion}.get(spec.basis),
                     config, final) for spec in config.specs()]
    return {"passed": all(c["decision"] in ("pass", "skipped") for c in checks),
            "undecided": [c["name"] for c in checks if c["decision"] == "undecided"],
            "checks": checks}


def _check(spec: CheckSpec, cand: Evidence, ref: Evidence | None, config: GateConfig,
           final: bool) -> dict[str, Any]:
    row = {"name": spec.name, "metric": spec.metric, "basis": spec.basis,
           "comparator": spec.comparator, "threshold": float(spec.threshold)}
    if spec.basis == "relative_to_champion" and ref is None:
        return _skipped(row, "no champion yet", "first run, nothing to compare with")
    if spec.metric in ABSOLUTE_ONLY and spec.metric not in cand.metrics:
        return _skipped(row, "no k-fold results", "they come from a recipe run with "
                        "validate.kfold, not from a stand-alone gate")
    value, low, high = _value(spec, cand, ref, config)
    if not all(math.isfinite(v) for v in (value, low, high)):
        raise ConfigError(f"gate check '{spec.name}' cannot be evaluated: {spec.metric} is "
                          f"{value!r}. Check the validate stage's measurements.")
    decision = _decide(spec, low, high)
    note = ""
    if decision == "undecided" and final:
        decision, note = "fail", (f"undecided: the {config.confidence:.0%} interval "
                                  f"[{low:.4g}, {high:.4g}] straddles {spec.threshold:g}; "
                                  "failed closed")
    return {**row, "value": value, "interval": [low, high], "decision": decision,
            "passed": decision == "pass", "note": note}


def _skipped(row: dict[str, Any], reason: str, detail: str) -> dict[str, Any]:
    return {**row, "value": None, "interval": None, "decision": "skipped", "passed": True,
            "reason": reason, "note": f"{reason} ({detail}): check skipped"}


def _value(spec: CheckSpec, cand: Evidence, ref: Evidence | None,
           config: GateConfig) -> tuple[float, float, float]:
    """The check's value and its interval (equal to the value where the metric is exact)."""
    m, kw = spec.metric, {"samples": config.bootstrap_samples, "level": config.confidence}
    if spec.basis == "absolute":
        if m in LATENCY and cand.latency_ms is not None:
            value = float(np.percentile(cand.latency_ms, LATENCY[m]))
            return (value, *bootstrap.quantile_ci(cand.latency_ms, LATENCY[m], **kw))
        value = float(cand.metrics[m])
        if m == "accuracy" and cand.correct is not None:
            return (value, *bootstrap.accuracy_ci(cand.correct, **kw))
        return value, value, value
    if m in HIGHER_IS_BETTER:
        value = 100.0 * (float(ref.metrics[m]) - float(cand.metrics[m]))
        if m == "accuracy" and cand.correct is not None and ref.correct is not None:
            return (value, *bootstrap.paired_accuracy_drop_ci(ref.correct, cand.correct, **kw))
        return value, value, value
    if m in LATENCY and cand.latency_ms is not None and ref.latency_ms is not None:
        q = LATENCY[m]
        value = float(np.percentile(cand.latency_ms, q) / np.percentile(ref.latency_ms, q))
        return (value, *bootstrap.paired_ratio_ci(ref.latency_ms, cand.latency_ms, q, **kw))
    value = float(cand.metrics[m]) / float(ref.metrics[m])
    return value, value, value


def _decide(spec: CheckSpec, low: float, high: float) -> str:
    if spec.comparator == "<=":
        return "pass" if high <= spec.threshold else "fail" if low > spec.threshold else "undecided"
    return "pass" if low >= spec.threshold else "fail" if high < spec.threshold else "undecided"


def remeasurable(verdict: dict[str, Any]) -> bool:
    """Whether more latency rounds could settle an undecided check."""
    return any(c["decision"] == "undecided" and c["metric"] in LATENCY
               for c in verdict["checks"])


def failure_line(verdict: dict[str, Any]) -> str:
    """One line naming each failing check, its value and its threshold."""
    failed = [c for c in verdict["checks"] if not c["passed"]]
    if not failed:
        skipped = [c["reason"] for c in verdict["checks"] if c["decision"] == "skipped"]
        return (f"all {len(verdict['checks']) - len(skipped)} gate checks passed"
                + (f", {len(skipped)} skipped ({', '.join(sorted(set(skipped)))})"
                   if skipped else ""))
    return "; ".join(
        f"{c['name']}: {c['metric']} = {c['value']:.4g}"
        + (f" [{c['interval'][0]:.4g}, {c['interval'][1]:.4g}]"
           if c["interval"] and c["interval"][0] != c["interval"][1] else "")
        + f", needs {c['comparator']} {c['threshold']:.4g}" + (f" ({c['note']})" if c["note"]
                                                               else "")
        for c in failed)


def gate_config(params: dict[str, Any] | None) -> GateConfig:
    if params is not None and not isinstance(params, dict):
        raise ConfigError(f"'gates' must be a mapping of thresholds, got {params!r}.")
    return from_dict(GateConfig, params, "gates")


__all__ = ["CheckSpec", "Evidence", "GateConfig", "evaluate_gate", "failure_line",
           "gate_config", "remeasurable"]
