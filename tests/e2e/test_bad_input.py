"""Bad input ends with one clear line, exit code 2, and nothing registered or trained."""

import pytest

from .conftest import TINY

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("params, message", [
    ("model.name=resnet", "error: unknown model.name 'resnet'"),
    ("prune.sparsity=1.0", "error: 'prune.sparsity' must be < 1.0, got 1.0."),
    ("prune.sparsty=0.5", "error: unknown key 'prune.sparsty' (did you mean 'sparsity'?)"),
    ("validate.target=cpu-8t", "error: unknown validate.target 'cpu-8t'"),
])
def test_bad_config_fails_before_any_work(project, params, message):
    result = project.run("--config", "pipelines/mnist_mlp.yml", "--params", f"{TINY},{params}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith(message)
    assert "Traceback" not in result.stderr + result.stdout
    assert not (project.path / "data/01_raw/mnist_sample.npz").exists()   # nothing ran
    assert not project.client().search_registered_models()


def test_missing_data_file_names_the_fix(project):
    result = project.run("--pipelines", "validate")
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert "is missing: run the pipeline that writes it first" in last
    assert not project.client().search_registered_models()


def test_unknown_recipe(project):
    result = project.run("--config", "pipelines/nope.yml")
    assert result.returncode == 2
    assert "pipelines/nope.yml' does not exist" in result.stderr
