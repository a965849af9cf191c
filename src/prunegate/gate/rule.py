"""The deployment gate: measured evidence + thresholds -> a verdict. Pure: no I/O, no MLflow.

Every check has one form: (metric, comparator, threshold, basis).
- ``absolute``: the candidate's own value.
- ``relative_to_baseline`` / ``relative_to_champion``: the candidate against the dense baseline, or
  the current champion, both re-measured in the same run. For metrics where higher is better the
  value is the drop in percentage points, 100 × (reference − candidate); for metrics where lower
  is better it is the ratio candidate / reference.

Noisy metrics (accuracy: the test split is a sample; latency: the machine is shared) decide on
one-sided bootstrap bounds at the gate's confidence c: [lo, hi] holds the lower and the upper
one-sided c bound (a two-sided 2c-1 interval). A "<=" check passes when hi <= threshold (the
chance of passing a candidate that is really over the limit is at most 1 - c), fails when
lo > threshold (the chance of failing one that is really within it is at most 1 - c), and is
otherwise undecided (">=" mirrors it). Undecided latency checks can be re-measured; what is still
undecided then stays undecided: the verdict is "undecided", which promotes nothing and says what
would decide it. Each check carries its resolution (resolution.py) beside its threshold.
"""

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from prunegate.errors import ConfigError, GateFailed, GateUndecided
from prunegate.evaluation import bootstrap, calibration
from prunegate.gate import resolution
from prunegate.gate.config import (
    ABSOLUTE_ONLY,
    DIFFERENCE,
    HIGHER_IS_BETTER,
    LATENCY,
    CheckSpec,
    GateConfig,
)


@dataclass
class Evidence:
    """What was measured for one model: scalar metrics, and raw samples behind the noisy ones."""

    metrics: dict[str, Any]
    correct: np.ndarray | None = None      # per test sample: was the prediction right
    latency_ms: np.ndarray | None = None   # per interleaved round: one call at the gate batch
    batch_latency_ms: dict[int, np.ndarray] = field(default_factory=dict)  # other batch sizes
    # per test sample, for other higher-is-better metrics: robust_accuracy's share of perturbed
    # copies predicted right
    scores: dict[str, np.ndarray] = field(default_factory=dict)
    confidence: np.ndarray | None = None   # per test sample: the top softmax probability (ECE)
    ece_bins: int = 15


def evaluate_gate(candidate: Evidence, baseline: Evidence, champion: Evidence | None,
                  config: GateConfig, final: bool = True, noise: float = 0.0,
                  versus_champion: Evidence | None = None,
                  champion_skip: str = "no champion yet",
                  exact: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The verdict: ``outcome`` pass, fail (a check is outside its limit) or undecided (none
    failed, but the data or the machine could not settle one). ``noise`` is the latency noise
    measured in the same run (a model against itself: its p95 self-ratio bound minus 1).
    ``versus_champion`` is the candidate as the champion checks see it (only the test samples
    the champion never trained on); without a champion they are skipped for ``champion_skip``.
    ``exact`` are rows decided already, without noise (the I/O contract, finite outputs)."""
    checks = []
    for spec in config.specs():
        cand, ref = candidate, baseline
        if spec.basis == "relative_to_champion":
            cand, ref = versus_champion or candidate, champion
        checks.append(_check(spec, cand, ref if spec.basis != "absolute" else None, config,
                             final, noise, champion_skip))
    checks += exact or []
    decisions = {c["decision"] for c in checks}
    outcome = "fail" if "fail" in decisions else "undecided" if "undecided" in decisions else \
        "pass"
    return {"passed": outcome == "pass", "outcome": outcome,
            "undecided": [c["name"] for c in checks if c["decision"] == "undecided"],
            "confidence": config.confidence, "latency_noise": noise, "checks": checks}


def _check(spec: CheckSpec, cand: Evidence, ref: Evidence | None, config: GateConfig,
           final: bool, noise: float, champion_skip: str) -> dict[str, Any]:
    row = {"name": spec.name, "metric": spec.metric, "basis": spec.basis,
           "comparator": spec.comparator, "threshold": float(spec.threshold)}
    if spec.basis == "relative_to_champion" and ref is None:
        detail = ("first run, nothing to compare with" if champion_skip == "no champion yet"
                  else "never compared on samples it learned")
        return _skipped(row, champion_skip, detail)
    if spec.metric in ABSOLUTE_ONLY and spec.metric not in cand.metrics:
        return _skipped(row, "no k-fold results", "they come from a recipe run with "
                        "validate.kfold, not from a stand-alone gate")
    if spec.metric == "robust_accuracy" and spec.metric not in cand.metrics:
        return _skipped(row, "no perturbation applies", "validate.robustness has none for "
                        "these inputs")
    value, low, high = _value(spec, cand, ref, config)
    if not all(math.isfinite(v) for v in (value, low, high)):
        raise ConfigError(f"gate check '{spec.name}' cannot be evaluated: {spec.metric} is "
                          f"{value!r}. Check the validate stage's measurements.")
    resolution = _resolution(spec, cand, ref, value, config, noise)
    if spec.metric in cand.scores or spec.metric in DIFFERENCE:  # bootstrapped here
        resolution = high - value if spec.comparator == "<=" else value - low
    decision = _decide(spec, low, high)
    note = ""
    if decision == "undecided" and final:
        note = _undecided_note(spec, value, low, high, resolution, cand, ref, config)
    return {**row, "value": value, "interval": [low, high], "resolution": resolution,
            "decision": decision, "passed": decision == "pass", "note": note}


def _resolution(spec: CheckSpec, cand: Evidence, ref: Evidence | None, value: float,
                config: GateConfig, noise: float) -> float:
    """How far the one-sided bound lies from the value, in the check's units (0: exact)."""
    c = config.confidence
    if spec.metric == "accuracy" and cand.correct is not None:
        n = len(cand.correct)
        if spec.basis == "absolute":
            return resolution.accuracy_resolution_pp(n, value, c) / 100.0
        if ref is not None and ref.correct is not None:
            return resolution.drop_resolution_pp(n, _disagreement(cand, ref), c)
    if spec.metric in LATENCY and cand.latency_ms is not None:
        return noise * (value if spec.basis == "absolute" else 1.0)
    return 0.0


def _disagreement(cand: Evidence, ref: Evidence) -> float:
    return float(np.mean(np.asarray(cand.correct) != np.asarray(ref.correct)))


def _undecided_note(spec: CheckSpec, value: float, low: float, high: float, res: float,
                    cand: Evidence, ref: Evidence | None, config: GateConfig) -> str:
    """Why the check could not be settled, and what would settle it."""
    bound = high if spec.comparator == "<=" else low
    head = (f"undecided: the one-sided {config.confidence:.0%} bound {bound:.4g} is past "
            f"{spec.threshold:g} though the value {value:.4g} is not")
    if spec.metric == "accuracy" and spec.basis != "absolute" and ref is not None:
        n, d = len(cand.correct), _disagreement(cand, ref)
        margin = resolution.drop_margin_pp(n, d, config.confidence)
        room = spec.threshold - max(value, 0.0)
        need = (f"{resolution.samples_for_margin(room, d, config.confidence):,} test samples"
                if room > 0 else "a candidate closer to its reference")
        return (f"{head}: {n:,} test samples resolve {res:.2f} pp at the measured {d:.1%} "
                f"disagreement (the bound lies {margin:.2f} pp above the drop). To decide: "
                f"{need}, or a limit of at least {value + margin:.2f} pp")
    if spec.metric in LATENCY:
        return (f"{head}: this machine's latency noise is {config.confidence:.0%}-bounded at "
                f"{res:.3g}{' ms' if spec.basis == 'absolute' else ''}. To decide: re-run on a "
                "quiet machine, or more rounds (validate.latency_repeats)")
    return f"{head}: more test samples would decide it"


def _skipped(row: dict[str, Any], reason: str, detail: str) -> dict[str, Any]:
    return {**row, "value": None, "interval": None, "resolution": None, "decision": "skipped",
            "passed": True, "reason": reason, "note": f"{reason} ({detail}): check skipped"}


def _value(spec: CheckSpec, cand: Evidence, ref: Evidence | None,
           config: GateConfig) -> tuple[float, float, float]:
    """The check's value and its one-sided bounds (equal to the value where it is exact)."""
    # a two-sided 2c-1 interval holds the lower and the upper one-sided c bound
    m = spec.metric
    kw = {"samples": config.bootstrap_samples, "level": 2 * config.confidence - 1}
    if spec.basis == "absolute":
        if m in LATENCY and cand.latency_ms is not None:
            value = float(np.percentile(cand.latency_ms, LATENCY[m]))
            return (value, *bootstrap.quantile_ci(cand.latency_ms, LATENCY[m], **kw))
        value = float(cand.metrics[m])
        if m == "accuracy" and cand.correct is not None:
            return (value, *bootstrap.accuracy_ci(cand.correct, **kw))
        if m in cand.scores:
            return (value, *bootstrap.accuracy_ci(cand.scores[m], **kw))
        if m == "ece" and cand.confidence is not None:
            return (value, *calibration.ece_ci(cand.confidence, cand.correct, cand.ece_bins,
                                               **kw))
        return value, value, value
    if m in HIGHER_IS_BETTER:
        value = 100.0 * (float(ref.metrics[m]) - float(cand.metrics[m]))
        if m == "accuracy" and cand.correct is not None and ref.correct is not None:
            return (value, *bootstrap.paired_accuracy_drop_ci(ref.correct, cand.correct, **kw))
        if m in cand.scores and m in ref.scores:  # the same perturbed copies, paired
            return (value, *bootstrap.paired_accuracy_drop_ci(ref.scores[m], cand.scores[m],
                                                              **kw))
        return value, value, value
    if m in DIFFERENCE:  # ece: the increase in percentage points, paired
        value = 100.0 * (float(cand.metrics[m]) - float(ref.metrics[m]))
        if cand.confidence is not None and ref.confidence is not None:
            return (value, *calibration.paired_ece_increase_ci(
                ref.confidence, ref.correct, cand.confidence, cand.correct, cand.ece_bins, **kw))
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
    """One line naming each failing (or undecided) check, its value and its threshold."""
    open_checks = [c for c in verdict["checks"] if not c["passed"]]
    if not open_checks:
        skipped = [c["reason"] for c in verdict["checks"] if c["decision"] == "skipped"]
        return (f"all {len(verdict['checks']) - len(skipped)} gate checks passed"
                + (f", {len(skipped)} skipped ({', '.join(sorted(set(skipped)))})"
                   if skipped else ""))
    return "; ".join(
        f"{c['name']}: {value_label(c)} = {c['value']:.4g}{unit(c)}"
        + (f" [{c['interval'][0]:.4g}, {c['interval'][1]:.4g}]"
           if c["interval"] and c["interval"][0] != c["interval"][1] else "")
        + f", needs {c['comparator']} {c['threshold']:.4g}{unit(c)}"
        + (f" ({c['note']})" if c["note"] else "")
        for c in open_checks)


def raise_unless_passed(verdict: dict[str, Any]) -> None:
    """A failed gate exits 1, an undecided one 3; both with the one-line summary."""
    if verdict["outcome"] == "fail":
        raise GateFailed(failure_line(verdict))
    if verdict["outcome"] == "undecided":
        raise GateUndecided(failure_line(verdict))


def value_label(check: dict[str, Any]) -> str:
    """What a check's value is: the metric, its drop (pp) or its ratio to the reference."""
    if check["basis"] == "absolute":
        return check["metric"]
    reference = check["basis"].removeprefix("relative_to_")
    kind = ("drop" if check["metric"] in HIGHER_IS_BETTER else
            "increase" if check["metric"] in DIFFERENCE else "ratio")
    return f"{check['metric']} {kind} vs {reference}"


def unit(check: dict[str, Any]) -> str:
    if check["basis"] != "absolute" and check["metric"] in (*HIGHER_IS_BETTER, *DIFFERENCE):
        return " pp"
    return " ms" if check["basis"] == "absolute" and check["metric"] in LATENCY else ""


__all__ = ["Evidence", "evaluate_gate", "failure_line", "raise_unless_passed", "remeasurable",
           "unit", "value_label"]
