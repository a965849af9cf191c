"""The shipped conf/ files must parse into valid configs, and the checks must catch mistakes."""

from pathlib import Path

import pytest
import yaml

from prunegate.app.recipe import check_params
from prunegate.errors import ConfigError

CONF = Path(__file__).parents[2] / "conf"


def load_env(recipe: str) -> dict:
    """A recipe's parameters merged exactly as `kedro run --config` merges them (soft: a
    recipe's keys merge into conf/base's at every depth), without this machine's conf/local."""
    from prunegate.app.config_loader import RecipeConfigLoader
    from prunegate.settings import CONFIG_LOADER_ARGS

    return dict(RecipeConfigLoader(str(CONF), runtime_params={"recipe": recipe},
                                   **{**CONFIG_LOADER_ARGS, "default_run_env": "base"}
                                   )["parameters"])


RECIPES = sorted(p.stem for p in (CONF.parent / "pipelines").glob("*.yml"))


@pytest.mark.parametrize("recipe", RECIPES)
def test_every_recipe_parses(recipe):
    configs = check_params(load_env(recipe))
    prune = configs["prune"]
    # a latency or energy budget, or fixed per-layer ratios, replace the sparsity target
    if prune.latency_budget_ms is not None:
        assert prune.sparsity is None and prune.latency_budget_ms > 0
    elif prune.energy_budget_ratio is not None:
        assert prune.sparsity is None and 0 < prune.energy_budget_ratio < 1
    elif prune.layer_ratios is not None:
        assert prune.sparsity is None and all(0 < r < 1 for r in prune.layer_ratios.values())
    else:
        assert 0 < prune.sparsity < 1
    assert configs["mlflow"].registered_model.startswith("prunegate-")


def test_recipe_files_name_their_own_conf_folder_and_no_environment():
    for recipe in (CONF.parent / "pipelines").glob("*.yml"):
        run = yaml.safe_load(recipe.read_text())["run"]
        assert run["recipe"] == recipe.stem and "env" not in run, recipe.name
        assert (CONF / "recipes" / recipe.stem).is_dir(), f"{recipe.name}: no conf/recipes/"


def test_unknown_section_gets_a_suggestion():
    with pytest.raises(ConfigError, match="did you mean 'prune'"):
        check_params({"prnue": {"sparsity": 0.5}})


def test_bad_values_are_caught_before_anything_runs():
    with pytest.raises(ConfigError, match="model.name"):
        check_params({"model": {"name": "resnet"}})
    with pytest.raises(ConfigError, match="prune.sparsity"):
        check_params({"prune": {"sparsity": 1.5}})
    with pytest.raises(ConfigError, match="distill.training.epochs must be >= 1"):
        check_params({"distill": {"training": {"epochs": 0}}})
    with pytest.raises(ConfigError, match="train.epochs 0 trains nothing.*model.weights"):
        check_params({"train": {"epochs": 0}})
    with pytest.raises(ConfigError, match="must be a mapping"):
        check_params({"gates": 3})
