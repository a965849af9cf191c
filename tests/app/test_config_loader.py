"""The config layers: conf/base, then the recipe, then the Kedro environment (local or named)."""

import pytest
from kedro.config import MissingConfigException

from prunegate.app.config_loader import RecipeConfigLoader
from prunegate.errors import ConfigError
from prunegate.settings import CONFIG_LOADER_ARGS


def write(path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def conf(tmp_path):
    write(tmp_path / "base" / "parameters.yml",
          "recipe: default\nprune: {sparsity: 0.7, criterion: magnitude}\n"
          "mlflow: {experiment: prunegate, registered_model: base-model}\n")
    write(tmp_path / "recipes" / "r" / "parameters.yml",
          "recipe: r\nprune: {sparsity: 0.9}\nmlflow: {registered_model: r-model}\n")
    write(tmp_path / "local" / "parameters.yml", "mlflow: {experiment: from-local}\n")
    write(tmp_path / "local" / "credentials.yml", "mlflow: {tracking_uri: sqlite:///l.db}\n")
    write(tmp_path / "staging" / "parameters.yml", "mlflow: {experiment: from-staging}\n")
    return tmp_path


def loader(conf, env=None, **runtime):
    return RecipeConfigLoader(conf_source=str(conf), env=env, runtime_params=runtime,
                              **CONFIG_LOADER_ARGS)


def test_the_recipe_sits_between_base_and_conf_local(conf):
    params = loader(conf, recipe="r")["parameters"]
    # base's keys the recipe does not change stay (soft merge), the recipe's win over base, and
    # conf/local's win over the recipe's
    assert params["prune"] == {"sparsity": 0.9, "criterion": "magnitude"}
    assert params["mlflow"] == {"experiment": "from-local", "registered_model": "r-model"}
    assert loader(conf, recipe="r")["credentials"] == {"mlflow": {"tracking_uri":
                                                                  "sqlite:///l.db"}}


def test_a_deployment_environment_replaces_local_over_the_same_recipe(conf):
    staging = loader(conf, env="staging", recipe="r")
    assert staging["parameters"]["mlflow"] == {"experiment": "from-staging",
                                               "registered_model": "r-model"}
    with pytest.raises(MissingConfigException):  # staging keeps no credentials here
        staging["credentials"]


def test_run_parameters_win_over_every_layer_and_no_recipe_is_base_and_local(conf):
    params = loader(conf, recipe="r", prune={"sparsity": 0.5})["parameters"]
    assert params["prune"]["sparsity"] == 0.5
    plain = loader(conf)["parameters"]
    assert plain["prune"]["sparsity"] == 0.7 and plain["mlflow"]["experiment"] == "from-local"


def test_an_unknown_recipe_is_refused_with_the_known_ones(conf):
    with pytest.raises(ConfigError, match="unknown recipe 'q'.*one of r"):
        loader(conf, recipe="q")["parameters"]
    with pytest.raises(ConfigError, match="unknown recipe '../base'"):
        loader(conf, recipe="../base")["parameters"]


def test_a_checkout_without_conf_local_runs_on_base_and_the_recipe(conf):
    """conf/local is git-ignored: a fresh worktree (the pull-request gate's) has none."""
    for name in ("parameters.yml", "credentials.yml"):
        (conf / "local" / name).unlink()
    (conf / "local").rmdir()
    assert loader(conf, recipe="r")["parameters"]["mlflow"] == {"experiment": "prunegate",
                                                                "registered_model": "r-model"}
    assert loader(conf)["parameters"]["mlflow"]["registered_model"] == "base-model"


def test_a_named_environment_without_its_folder_is_refused(conf):
    with pytest.raises(ConfigError, match="environment 'prod' has no folder conf/prod/"):
        loader(conf, env="prod", recipe="r")["parameters"]
    with pytest.raises(ConfigError, match="environment 'prod'"):
        loader(conf, env="prod")["parameters"]
