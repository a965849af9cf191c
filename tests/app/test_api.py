"""prunegate.compress: the recipe's chain as one call, for users with their own pipeline."""

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch

import prunegate
from prunegate.app.api import _splits, recipe_params
from prunegate.app.recipe import check_params
from prunegate.errors import ConfigError

from ..conftest import TEST_SEED
from ..e2e.conftest import LOOSE_GATES

CONF = Path(__file__).parents[2] / "conf"
# tiny budgets and gates it clears by a wide margin: this tests the plumbing, not the quality
TINY = {"prune": {"accuracy_budget": False, "seed": TEST_SEED},
        "finetune": {"epochs": 1, "seed": TEST_SEED},
        "distill": {"training": {"epochs": 1, "seed": TEST_SEED}},
        "quantize": {"timing_repeats": 200, "seed": TEST_SEED},
        "validate": {"latency_repeats": 200, "report_repeats": 50}, "gates": LOOSE_GATES}


@pytest.fixture(scope="module")
def compressed(trained_mlp, splits):
    before = {k: v.clone() for k, v in trained_mlp.state_dict().items()}
    train, val, test = splits
    result = prunegate.compress(trained_mlp, {"train": train, "val": val, "test": test},
                                "mnist_mlp", overrides=TINY, conf_source=CONF)
    return result, before, trained_mlp, test


def test_compress_returns_a_gated_deployable_smaller_than_the_model(compressed):
    result, _, _, test = compressed
    assert set(result.metrics["stages"]) == {"baseline", "pruned", "finetuned", "distilled",
                                             "quantized"}
    assert result.passed and result.verdict["outcome"] == "pass"
    assert {c["name"] for c in result.verdict["checks"]} >= {"min_accuracy", "max_size_ratio"}
    stages = result.metrics["stages"]
    # 70% of the neurons removed is structural: under half the dense file whatever the weights
    assert len(result.deployable) < 0.5 * stages["baseline"]["size_bytes"]
    session = ort.InferenceSession(result.deployable, providers=["CPUExecutionProvider"])
    logits = session.run(None, {session.get_inputs()[0].name: test["x"][:5]})[0]
    assert logits.shape == (5, 10)
    assert "PASS" in result.summary()


def test_compress_leaves_the_callers_model_as_it_was(compressed):
    _, before, model, _ = compressed
    after = model.state_dict()
    assert set(after) == set(before)
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_result_saves_the_exact_bytes(compressed, tmp_path):
    result = compressed[0]
    assert result.save(tmp_path / "m.onnx").read_bytes() == result.deployable


def test_a_bad_config_is_refused_before_anything_trains(trained_mlp, splits):
    with pytest.raises(ConfigError, match="did you mean 'sparsity'"):
        prunegate.compress(trained_mlp, {"x": splits[0]["x"], "y": splits[0]["y"]},
                           {"prune": {"sparsty": 0.5}})
    with pytest.raises(ConfigError, match="unknown recipe 'nope'"):
        prunegate.compress(trained_mlp, {}, "nope", conf_source=CONF)
    with pytest.raises(ConfigError, match="needs the project's conf/ folder"):
        recipe_params("mnist_mlp", conf_source=CONF / "missing")


def test_unsplit_data_is_split_by_the_recipes_data_section(raw_digits):
    configs = check_params(recipe_params("mnist_mlp", CONF))
    raw = {"x": raw_digits["x"][:600], "y": raw_digits["y"][:600]}
    train, val, test = _splits(raw, configs)
    assert len(train["y"]) + len(val["y"]) + len(test["y"]) == 600
    assert set(np.unique(test["y"])) == set(np.unique(raw["y"]))   # stratified
