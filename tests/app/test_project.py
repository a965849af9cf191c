"""Project helpers: --params parsing, recipe lookup and artifacts, each with its one-line error."""

from pathlib import Path

import pytest

from prunegate.app.project import load_artifact, parse_overrides, require_recipe
from prunegate.errors import ConfigError, DataError

ROOT = Path(__file__).resolve().parents[2]


def test_overrides_nest_by_dots_and_read_values_as_yaml():
    assert parse_overrides("prune.sparsity=0.8,prune.criterion=taylor,mlflow.promote=false") == {
        "prune": {"sparsity": 0.8, "criterion": "taylor"}, "mlflow": {"promote": False}}
    assert parse_overrides("quantize.op_types=[Gemm]") == {"quantize": {"op_types": ["Gemm"]}}
    assert parse_overrides(None) == {} == parse_overrides("")
    with pytest.raises(DataError, match="--params item 'prune.sparsity' is not key=value"):
        parse_overrides("prune.sparsity")


def test_an_unknown_recipe_is_refused_with_the_known_ones(monkeypatch):
    monkeypatch.chdir(ROOT)
    require_recipe("mnist_mlp")
    with pytest.raises(ConfigError, match=r"unknown recipe 'mnist_mpl'.*Recipes: .*mnist_mlp"):
        require_recipe("mnist_mpl")


def test_a_missing_artifact_says_how_to_make_it():
    class Catalog:
        def load(self, name):
            raise FileNotFoundError(f"data/05_model_input/{name}.npz")

    with pytest.raises(DataError, match="the gate needs 'test'.*Run the recipe first: make run"):
        load_artifact(Catalog(), "test")
