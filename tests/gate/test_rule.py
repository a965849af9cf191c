import math

import numpy as np
import pytest

from prunegate.errors import ConfigError, GateFailed, GateUndecided
from prunegate.evaluation import bootstrap
from prunegate.gate import resolution
from prunegate.gate.config import CheckSpec, GateConfig, gate_config
from prunegate.gate.rule import Evidence, evaluate_gate, failure_line, raise_unless_passed

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


DROP_ONLY = GateConfig(max_latency_ratio=None, max_size_ratio=None)


def drop_of(lost: int, gained: int) -> Evidence:
    """The baseline with ``lost`` right answers turned wrong and ``gained`` wrong ones right."""
    cand = Evidence({**BASE.metrics}, BASE.correct.copy(), BASE.latency_ms.copy())
    cand.correct[np.flatnonzero(BASE.correct)[:lost]] = False
    cand.correct[np.flatnonzero(~BASE.correct)[:gained]] = True
    cand.metrics["accuracy"] = float(cand.correct.mean())
    return cand


def test_bounds_that_straddle_the_limit_leave_the_check_undecided_and_say_what_decides():
    # 12 lost, 6 gained: 0.6 pp, but 18 discordant samples of 1,000 resolve about +-0.7 pp
    cand = drop_of(12, 6)
    verdict = evaluate_gate(cand, BASE, None, DROP_ONLY)
    check = by_name(verdict)["max_accuracy_drop_pp"]
    assert check["decision"] == "undecided" and not check["passed"]
    assert verdict["outcome"] == "undecided" and not verdict["passed"]
    assert check["resolution"] == pytest.approx(resolution.drop_resolution_pp(1000, 0.018, 0.95))
    assert ("1,000 test samples resolve 1.40 pp at the measured 1.8% disagreement (the bound "
            "lies 0.70 pp above the drop)") in check["note"]
    assert "To decide: 3,044 test samples, or a limit of at least 1.30 pp" in check["note"]
    with pytest.raises(GateUndecided) as raised:
        raise_unless_passed(verdict)
    assert raised.value.exit_code == 3
    assert str(raised.value).startswith("max_accuracy_drop_pp: accuracy drop vs baseline = 0.6 pp")


def test_one_sided_bounds_decide_what_a_two_sided_interval_would_leave_open():
    """A one-sided check at 95% uses the 90% two-sided interval's ends: the chance of passing a
    candidate really over the limit stays at 5%, and fewer honest candidates are undecided."""
    cand = drop_of(7, 2)                              # 0.5 pp, 9 discordant samples
    one_sided = by_name(evaluate_gate(cand, BASE, None, DROP_ONLY))["max_accuracy_drop_pp"]
    two_sided_hi = bootstrap.paired_accuracy_drop_ci(BASE.correct, cand.correct, level=0.95)[1]
    assert two_sided_hi > 1.0 >= one_sided["interval"][1]
    assert one_sided["decision"] == "pass"


def test_the_fail_line_labels_drops_in_pp_and_ratios_as_ratios():
    slow = evidence(p95=0.1, size=80, base=BASE)
    line = failure_line(evaluate_gate(drop_of(40, 0), BASE, None, DROP_ONLY))
    assert line.startswith("max_accuracy_drop_pp: accuracy drop vs baseline = 4 pp [")
    assert line.endswith("needs <= 1 pp")
    line = failure_line(evaluate_gate(slow, BASE, None, GateConfig(max_accuracy_drop_pp=None)))
    assert line.startswith("max_latency_ratio: latency_p95_ms ratio vs baseline = ")
    assert line.endswith("needs <= 1") and " pp" not in line          # a ratio, unitless
    with pytest.raises(GateFailed):
        raise_unless_passed(evaluate_gate(drop_of(40, 0), BASE, None, GateConfig()))


def test_a_drop_limit_finer_than_the_test_split_resolves_is_refused_with_the_fix():
    gate = GateConfig(max_accuracy_drop_pp=2.5, expected_disagreement=0.02)
    rows = resolution.require_resolvable(gate, 1000, 0.2)
    with pytest.raises(ConfigError, match=r"data.test_fraction 0.31 \(>= 1,504 test samples\)"):
        resolution.require_resolvable(GateConfig(max_accuracy_drop_pp=1.2), 1000, 0.2)
    # 2 z SE: a candidate as accurate as dense passes 95% of the time at a 1.47 pp limit
    assert rows[0]["resolution_pp"] == pytest.approx(1.47, abs=0.01)
    # scikit-learn's breast cancer, 114 test rows: 2.5 pp cannot be decided reliably
    with pytest.raises(ConfigError) as raised:
        resolution.require_resolvable(gate, 114, 0.2)
    message = str(raised.value)
    assert "max_accuracy_drop_pp <= 2.5 pp is finer than the test split can resolve" in message
    assert "114 test samples" in message and "it resolves 4.36 pp at 95%" in message
    assert "more data (>= 347 test samples)" in message        # 0.61 of the data: too much
    assert "or a limit of at least 4.4 pp" in message
    assert resolution.samples_needed(2.5, 0.02, 0.95) == 347


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
