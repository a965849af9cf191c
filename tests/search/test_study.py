"""The search loop with real Optuna and real trials (local backend, tiny budgets)."""

import copy

import onnx
import pytest

from prunegate.app.recipe import check_params
from prunegate.errors import ConfigError
from prunegate.evaluation.targets import TargetProfile
from prunegate.models import Checkpoint
from prunegate.onnx_io.export import export_onnx
from prunegate.search.config import SearchConfig, constraint_gate
from prunegate.search.space import apply
from prunegate.search.study import pareto_front, run_search
from prunegate.search.trial import Inputs, TrialJob, run_trial

from ..app.test_recipe import load_env

FAST = {"finetune": {"epochs": 1}, "distill": {"training": {"epochs": 1}},
        "quantize": {"timing_repeats": 50}}
SPACE = {"prune.sparsity": {"low": 0.3, "high": 0.9},
         "prune.criterion": {"choices": ["magnitude", "taylor"]},
         "distill.enabled": {"choices": [True, False]},
         "quantize.mode": {"choices": ["dynamic", "static"]}}


@pytest.fixture(scope="module")
def inputs(splits, trained_mlp):
    train, val, _ = splits
    model = copy.deepcopy(trained_mlp)
    return Inputs(Checkpoint(model), export_onnx(model, (1, 28, 28)).SerializeToString(),
                  train, val)


def _params(**search) -> dict:
    params = load_env("mnist_mlp")
    for section, values in FAST.items():
        params[section] = {**params[section], **values}
    params["search"] = {"backend": "local", "workers": 1, "space": SPACE,
                        "latency_repeats": 50, **search}
    return params


def _search(inputs, **search):
    params = _params(**search)
    return run_search(params, SearchConfig(**params["search"]), inputs, TargetProfile(),
                      check_params)


def test_a_search_finds_the_pareto_front_and_the_best_feasible_trial(inputs):
    constraints = {"min_accuracy": 0.5, "max_accuracy_drop_pp": 30, "max_size_ratio": 0.5}
    report, winner = _search(inputs, trials=4, constraints=constraints)
    trials = {t["number"]: t for t in report["trials"]}
    assert len(trials) == 4 and report["budget"]["stopped_by"] == "trials"
    assert all(t["where"]["pid"] and t["where"]["host"] for t in trials.values())
    done = [t for t in trials.values() if t["state"] == "complete"]
    assert report["pareto"] == pareto_front(done) and report["pareto"]
    feasible = [t for t in done if t["feasible"]]
    assert report["feasible"] == [t["number"] for t in feasible]
    # every feasible trial really meets the constraints, every other one misses one
    for t in done:
        assert t["feasible"] == (t["figures"]["size_ratio"] <= 0.5
                                 and t["figures"]["accuracy"] >= 0.5
                                 and t["figures"]["accuracy_drop_pp"] <= 30) or any(
            c["decision"] == "fail" for c in t["checks"])
    assert feasible, "a 0.5 size ratio with int8 is within reach of every trial here"
    best = trials[report["best"]]
    assert best["figures"]["accuracy"] == max(t["figures"]["accuracy"] for t in feasible)
    model = onnx.load_from_string(winner)
    assert len(winner) == best["figures"]["size_bytes"]
    assert any(n.op_type in ("MatMulInteger", "DynamicQuantizeLinear", "QLinearMatMul",
                             "QuantizeLinear") for n in model.graph.node)


def test_when_nothing_qualifies_the_closest_trials_say_how_far_they_missed(inputs):
    report, winner = _search(inputs, trials=2, constraints={"max_size_ratio": 0.001})
    assert report["best"] is None and winner is None
    assert len(report["closest"]) == 2
    for close in report["closest"]:
        assert close["misses"][0].startswith("max_size_ratio: size_bytes / baseline = ")
        assert "needs <= 0.001 (missed by" in close["misses"][0]


def test_the_wall_time_budget_stops_new_trials(inputs):
    report, _ = _search(inputs, trials=50, timeout_s=1.0, constraints={"min_accuracy": 0.1})
    assert report["budget"]["stopped_by"] == "timeout"
    assert report["budget"]["started"] == len(report["trials"]) < 50
    starts = [t["started"] for t in report["trials"]]
    assert max(starts) - min(starts) < 1.0   # no trial started after the budget ran out


def test_a_hopeless_trial_stops_after_fine_tuning(inputs):
    params = _params()
    gate = constraint_gate(SearchConfig(constraints={"min_accuracy": 0.5}), None)
    job = TrialJob(0, {}, check_params(params)["chain"], gate, TargetProfile(),
                   accuracy_floor=1.0, prune_margin_pp=0.0, latency_repeats=20)
    result = run_trial(job, inputs)
    assert result["state"] == "pruned" and "onnx" not in result
    assert result["finetuned_val_accuracy"] < 1.0
    assert "after fine-tuning is more than 0 pp under" in result["reason"]


def test_a_trial_whose_parameters_are_refused_is_invalid_and_never_runs(inputs):
    # the preflight checks every categorical combination of SPACE, then both sparsity bounds
    combinations = 2 * 2 * 2 + 2
    calls = []

    def check(params):  # accepts the preflight's combinations, refuses every trial after them
        calls.append(params)
        if len(calls) > combinations:
            raise ConfigError("prune.schedule 'gradual' needs granularity 'weights'.")
        return check_params(params)

    params = _params(trials=3, constraints={"min_accuracy": 0.1})
    report, winner = run_search(params, SearchConfig(**params["search"]), inputs,
                                TargetProfile(), check)
    assert [t["state"] for t in report["trials"]] == ["invalid"] * 3 and winner is None
    assert all("gradual" in t["reason"] and "where" not in t for t in report["trials"])
    with pytest.raises(ConfigError, match="gradual"):  # and the real check refuses this one
        check_params(apply(params, {"prune.schedule": "gradual",
                                    "prune.granularity": "neurons"}))
