import math

import numpy as np
import pytest

from prunegate.errors import ConfigError
from prunegate.gates import (
    CheckSpec,
    Evidence,
    GateConfig,
    evaluate_gate,
    failure_line,
    gate_config,
)

RNG = np.random.default_rng(0)


def evidence(accuracy=0.95, p95=0.050, size=1000, n=1000, flips=0, base=None, jitter=0.02):
    """A model that is right on ``accuracy`` of n samples; ``flips`` samples differ from base."""
    if base is None:
        correct = np.arange(n) < round(accuracy * n)
    else:
        correct = base.correct.copy()
        idx = RNG.choice(n, size=flips, replace=False)
        correct[idx] = ~correct[idx]
    latency = p95 / 1.1 * (1 + jitter * RNG.standard_normal(400))
    metrics = {"accuracy": float(correct.mean()), "size_bytes": size,
               "latency_p95_ms": float(np.percentile(latency, 95)),
               "f1_macro": float(correct.mean())}
    return Evidence(metrics, correct, latency)


BASE = evidence()


def by_name(verdict):
    return {c["name"]: c for c in verdict["checks"]}


def test_a_clearly_good_candidate_passes_every_check():
    cand = evidence(p95=0.030, size=80, flips=4, base=BASE)
    verdict = evaluate_gate(cand, BASE, None, GateConfig(min_accuracy=0.9))
    assert verdict["passed"], failure_line(verdict)
    checks = by_name(verdict)
    low, high = checks["max_accuracy_drop_pp"]["interval"]
    assert low <= checks["max_accuracy_drop_pp"]["value"] <= high and high < 1.0
    assert checks["max_latency_ratio"]["value"] == pytest.approx(0.6, abs=0.05)
    assert checks["max_size_ratio"]["value"] == pytest.approx(0.08)


def test_an_interval_that_shows_a_regression_fails():
    # 30 samples lost net: a 3 pp drop whose whole interval is above the 1 pp budget
    cand = Evidence({**BASE.metrics}, BASE.correct.copy(), BASE.latency_ms.copy())
    cand.correct[np.flatnonzero(BASE.correct)[:30]] = False
    cand.metrics["accuracy"] = float(cand.correct.mean())
    check = by_name(evaluate_gate(cand, BASE, None, GateConfig()))["max_accuracy_drop_pp"]
    assert check["decision"] == "fail" and check["interval"][0] > 1.0


def test_an_interval_straddling_the_budget_fails_closed_and_says_so():
    # 8 lost, 2 gained: 0.6 pp, but with so few discordant samples the interval crosses 1 pp
    cand = Evidence({**BASE.metrics}, BASE.correct.copy(), BASE.latency_ms.copy())
    cand.correct[np.flatnonzero(BASE.correct)[:12]] = False
    cand.correct[np.flatnonzero(~BASE.correct)[:6]] = True
    cand.metrics["accuracy"] = float(cand.correct.mean())
    provisional = evaluate_gate(cand, BASE, None, GateConfig(), final=False)
    assert by_name(provisional)["max_accuracy_drop_pp"]["decision"] == "undecided"
    final = by_name(evaluate_gate(cand, BASE, None, GateConfig()))["max_accuracy_drop_pp"]
    assert final["decision"] == "fail" and "failed closed" in final["note"]


def test_latency_ratio_decides_on_paired_rounds():
    slow = evidence(p95=0.0625, base=BASE)            # 25% slower
    check = by_name(evaluate_gate(slow, BASE, None, GateConfig()))["max_latency_ratio"]
    assert check["decision"] == "fail" and check["interval"][0] > 1.0


def test_champion_checks_are_skipped_on_a_first_run_and_applied_after():
    config = GateConfig(checks=[{"metric": "accuracy", "comparator": "<=", "threshold": 0.5,
                                 "basis": "relative_to_champion"}])
    cand = evidence(p95=0.030, size=80, flips=2, base=BASE)
    first = evaluate_gate(cand, BASE, None, config)
    check = by_name(first)["relative_to_champion.accuracy"]
    assert first["passed"] and check["decision"] == "skipped" and "no champion" in check["note"]
    assert "1 skipped (no champion yet)" in failure_line(first)
    better_champion = evidence(accuracy=0.99, p95=0.030, size=80)
    after = evaluate_gate(cand, BASE, better_champion, config)
    assert not after["passed"]
    assert by_name(after)["relative_to_champion.accuracy"]["value"] == pytest.approx(4.0, abs=0.3)


def test_general_form_covers_f1_floor_and_absolute_latency():
    config = GateConfig(checks=[{"metric": "f1_macro", "comparator": ">=", "threshold": 0.97,
                                 "basis": "absolute", "name": "f1_floor"}],
                        max_latency_p95_ms=0.001)
    verdict = evaluate_gate(evidence(p95=0.030, size=80, flips=2, base=BASE), BASE, None, config)
    failed = {c["name"] for c in verdict["checks"] if not c["passed"]}
    assert failed == {"f1_floor", "max_latency_p95_ms"}
    line = failure_line(verdict)
    assert "f1_floor: f1_macro = 0.9" in line and "needs >= 0.97" in line


def test_null_threshold_turns_a_check_off():
    verdict = evaluate_gate(evidence(size=900, flips=1, base=BASE), BASE, None,
                            GateConfig(max_size_ratio=None, max_latency_ratio=None))
    assert "max_size_ratio" not in by_name(verdict)


def test_bad_config_and_nan_metric_are_clear_errors():
    with pytest.raises(ConfigError, match="gates.min_accuracy"):
        gate_config({"min_accuracy": "high"})
    with pytest.raises(ConfigError, match="did you mean 'max_size_ratio'"):
        gate_config({"max_size_ration": 0.1})
    with pytest.raises(ConfigError, match="unknown gates check basis 'relative_to_boss'"):
        gate_config({"checks": [{"metric": "accuracy", "comparator": ">=", "threshold": 0.9,
                                 "basis": "relative_to_boss"}]})
    with pytest.raises(ConfigError, match="gates check metric"):
        CheckSpec("speed", "<=", 1.0)
    broken = Evidence({**BASE.metrics, "accuracy": math.nan})
    with pytest.raises(ConfigError, match="cannot be evaluated"):
        evaluate_gate(broken, Evidence(BASE.metrics), None, GateConfig())


def test_checks_by_name_can_be_overridden_one_threshold_at_a_time_or_switched_off():
    floor = {"metric": "min_class_recall", "comparator": ">=", "threshold": 0.8}
    config = gate_config({"checks": {"recall_floor": floor, "gone": None}})
    assert [(s.name, s.threshold) for s in config.specs()
            if s.name == "recall_floor"] == [("recall_floor", 0.8)]
    assert "gone" not in {s.name for s in config.specs()}
    # what kedro makes of --params gates.checks.recall_floor.threshold=0.5 over the recipe
    merged = gate_config({"checks": {"recall_floor": {**floor, "threshold": 0.5}}})
    assert {s.name: s.threshold for s in merged.specs()}["recall_floor"] == 0.5
    with pytest.raises(ConfigError, match="a check's name is its key"):
        gate_config({"checks": {"a": {**floor, "name": "b"}}})
    with pytest.raises(ConfigError, match="or null to switch it off"):
        gate_config({"checks": {"a": 0.8}})
