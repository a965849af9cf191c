"""The search space, the constraints and the report's arithmetic, without running trials."""

import optuna
import pytest

from prunegate.app.recipe import check_params
from prunegate.errors import ConfigError
from prunegate.search.config import SearchConfig, constraint_gate
from prunegate.search.space import apply, check_choices, dimensions, sample
from prunegate.search.study import misses, pareto_front
from prunegate.search.trial import on_point_values, violations

from ..app.test_recipe import RECIPES, load_env

PARAMS = load_env("mnist_mlp")


@pytest.mark.parametrize("recipe", RECIPES)
def test_every_recipe_has_a_valid_search_space(recipe):
    # merged the way kedro merges a recipe into conf/base (soft: a recipe's dimension replaces
    # or, with null, removes the base one)
    params = load_env(recipe)
    dims = dimensions(params["search"]["space"], params)
    assert check_choices(params, dims, check_params) >= 2
    assert "prune.sparsity" in [d.path for d in dims] or recipe in (
        "latency_budget", "energy_budget", "mnist_mlp_fast")


def test_when_samples_a_dimension_only_under_its_condition():
    dims = dimensions({
        "distill.enabled": {"choices": [True, False]},
        "distill.student": {"choices": ["pruned", "lenet_300_100"],
                            "when": {"distill.enabled": True}},
        "distill.student_kwargs.hidden": {"choices": [[50, 20]],
                                          "when": {"distill.student": "lenet_300_100"}},
        "prune.sparsity": {"low": 0.5, "high": 0.9}}, PARAMS)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen = [sample(study.ask(), dims) for _ in range(40)]
    for chosen in seen:
        assert 0.5 <= chosen["prune.sparsity"] <= 0.9
        assert ("distill.student" in chosen) == chosen["distill.enabled"]
        assert ("distill.student_kwargs.hidden" in chosen) == (
            chosen.get("distill.student") == "lenet_300_100")
    assert any("distill.student_kwargs.hidden" in c for c in seen)
    merged = apply(PARAMS, seen[0])
    assert merged["prune"]["sparsity"] == seen[0]["prune.sparsity"]
    assert PARAMS["prune"]["sparsity"] == 0.7  # the recipe's own parameters are not touched


@pytest.mark.parametrize("space, message", [
    ({"prune.sparsty": {"low": 0.1, "high": 0.5}}, "did you mean 'sparsity'"),
    ({"model.name": {"choices": ["lenet5"]}}, "only prune, finetune, distill, quantize"),
    ({"prune.sparsity": {"low": 0.9, "high": 0.5}}, "must be below high"),
    ({"prune.criterion": {"choices": []}}, "'choices' is empty"),
    ({"prune.criterion": {"choice": ["taylor"]}}, "unknown key"),
    ({"prune.criterion": {"choices": ["magnitude", "tayler"]}}, "choice 'tayler' is accepted "
                                                                "in no combination"),
    ({"prune.sparsity": {"low": 0.5, "high": 1.0}}, "bound 1.0 is not accepted"),
    ({"distill.student": {"choices": ["pruned"], "when": {"distill.enabled": True}}},
     "must be a dimension listed before it"),
])
def test_a_bad_space_is_refused_before_any_trial(space, message):
    with pytest.raises(ConfigError, match=message):
        check_choices(PARAMS, dimensions(space, PARAMS), check_params)


def test_a_choice_valid_only_in_some_combinations_is_kept():
    # gradual pruning needs weight granularity: valid with it, refused per trial without it
    space = {"prune.granularity": {"choices": ["neurons", "weights"]},
             "prune.schedule": {"choices": ["one_shot", "gradual"]}}
    assert check_choices(PARAMS, dimensions(space, PARAMS), check_params) == 3


def test_constraints_use_the_gate_vocabulary_and_refuse_the_impossible():
    gate = constraint_gate(SearchConfig(constraints={"min_accuracy": 0.9,
                                                     "max_size_ratio": 0.05}), None)
    # only what is written: no gate default (max_accuracy_drop_pp 1.0, ...) slips in
    assert {s.name for s in gate.specs()} == {"min_accuracy", "max_size_ratio"}
    with pytest.raises(ConfigError, match="cannot be met: min_accuracy 1.5 is above 1.0"):
        constraint_gate(SearchConfig(constraints={"min_accuracy": 1.5}), None)
    with pytest.raises(ConfigError, match="max_size_ratio is 0"):
        constraint_gate(SearchConfig(constraints={"max_size_ratio": 0}), None)
    champion = {"metric": "accuracy", "comparator": "<=", "threshold": 1.0,
                "basis": "relative_to_champion"}
    with pytest.raises(ConfigError, match="needs the champion"):
        constraint_gate(SearchConfig(constraints={"checks": [champion]}), None)
    # the recipe's gates stand in by default, minus what only the release gate can check
    gate = constraint_gate(SearchConfig(), {"min_accuracy": 0.8, "checks": [champion]})
    assert gate.min_accuracy == 0.8 and gate.checks == []


def test_the_search_config_checks_itself():
    with pytest.raises(ConfigError, match="search.backend"):
        SearchConfig(backend="dask")
    with pytest.raises(ConfigError, match="one trial at a time"):
        SearchConfig(backend="local", workers=2)
    with pytest.raises(ConfigError, match="search.trials"):
        SearchConfig(trials=0)
    with pytest.raises(ConfigError, match="only read with search.backend 'ray'"):
        SearchConfig(backend="local", workers=1, ray_address="head:6379")


def _row(number, accuracy, p95, size):
    return {"number": number, "figures": {"accuracy": accuracy, "latency_p95_ms": p95,
                                          "size_bytes": size}}


def test_the_pareto_front_holds_exactly_the_undominated_trials():
    rows = [_row(0, 0.90, 1.0, 100), _row(1, 0.95, 2.0, 100), _row(2, 0.89, 1.1, 120),
            _row(3, 0.90, 1.0, 90), _row(4, 0.80, 0.5, 500)]
    # 2 is beaten by 0 on everything, 0 by 3 (same accuracy and p95, smaller)
    assert pareto_front(rows) == [1, 3, 4]


def test_violations_and_misses_say_how_far_each_constraint_was_missed():
    checks = [
        {"name": "min_accuracy", "metric": "accuracy", "basis": "absolute", "comparator": ">=",
         "threshold": 0.9, "value": 0.85, "decision": "fail", "passed": False},
        {"name": "max_size_ratio", "metric": "size_bytes", "basis": "relative_to_baseline",
         "comparator": "<=", "threshold": 0.1, "value": 0.05, "decision": "pass",
         "passed": True},
        {"name": "max_latency_ratio", "metric": "latency_p95_ms", "basis":
         "relative_to_baseline", "comparator": "<=", "threshold": 1.0, "value": 0.99,
         "decision": "fail", "passed": False}]   # failed on its interval, not its value
    # a trial is judged on its values (a 500-sample interval would reject nearly everything)
    checks = on_point_values(checks)
    assert [c["passed"] for c in checks] == [False, True, True]
    amounts = violations(checks)
    assert amounts["min_accuracy"] == pytest.approx(0.05 / 0.9)
    assert amounts["max_size_ratio"] == pytest.approx(-0.5)
    assert amounts["max_latency_ratio"] == pytest.approx(-0.01)
    assert misses({"checks": checks}) == [
        "min_accuracy: accuracy = 0.85, needs >= 0.9 (missed by 0.05)"]
