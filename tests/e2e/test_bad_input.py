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


def test_data_that_fails_the_data_gate_stops_before_training(project):
    """Test rows copied into train: the GX suite names the expectation, the report is saved,
    nothing trains and nothing is registered."""
    import json

    import numpy as np

    assert project.run("--env", "mnist_mlp", "--pipelines", "ingest").returncode == 0
    data = project.path / "data" / "05_model_input"
    train, test = dict(np.load(data / "train.npz")), dict(np.load(data / "test.npz"))
    train["x"][:5] = test["x"][:5]
    np.savez(data / "train.npz", **train)
    result = project.run("--env", "mnist_mlp", "--from-nodes", "validate_data", "--params", TINY)
    assert result.returncode == 2
    assert "the data failed validation, so nothing was trained" in result.stderr
    assert "train: ExpectColumnValuesToBeInSet(column=in_splits, value_set=[1]) — 5 unexpected" \
        in result.stderr
    assert "Traceback" not in result.stderr
    report = json.loads((project.path / "data/08_reporting/data_validation.json").read_text())
    assert report["success"] is False and report["splits"]["train"]["success"] is False
    assert not (project.path / "data/06_models/baseline.pt").exists()
    assert not project.client().search_registered_models()
