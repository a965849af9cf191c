import pytest
import torch

from prunegate.errors import ConfigError, DataError
from prunegate.pipelines.train import create_pipeline
from prunegate.pipelines.train.nodes import train_baseline

from .conftest import TINY_TRAIN, config, run_pipeline, typed

MLP = config("model", {"model": {"name": "lenet_300_100"}})
TRAIN = config("train", {"train": TINY_TRAIN})

OK = {"success": True, "splits": {}}


def test_train_node_is_deterministic_for_a_seed(splits):
    a, _ = train_baseline(splits[0], splits[1], MLP, TRAIN, OK)
    b, _ = train_baseline(splits[0], splits[1], MLP, TRAIN, OK)
    assert all(torch.equal(p, q) for p, q in zip(a.model.parameters(), b.model.parameters(),
                                                   strict=True))


def test_an_unknown_model_is_refused_before_the_node_runs():
    with pytest.raises(ConfigError, match="model.name"):
        typed({"model": {"name": "vgg"}})


def test_train_pipeline_produces_a_baseline_and_curves(splits):
    out = run_pipeline(create_pipeline(), {
        "train": splits[0], "val": splits[1], **typed({"model": {"name": "lenet5"},
                                                     "train": {**TINY_TRAIN, "epochs": 2,
                                                               "lr": 0.003}}),
        "data_validation": OK})
    assert out["baseline_model"].model.arch()["channels"] == [6, 16]
    # two short epochs on 1,000 digits: well above the 10% of chance, not converged
    assert out["train_history"]["val_accuracy"][-1] > 0.2


def test_train_node_refuses_data_that_failed_the_data_gate(splits):
    failed = {"success": False, "splits": {"test": {"results": [
        {"success": False, "expectation": "ExpectColumnValuesToBeInSet",
         "kwargs": {"column": "label", "value_set": [0, 1]}, "found": "1 unexpected"}]}}}
    with pytest.raises(DataError, match="test: ExpectColumnValuesToBeInSet\\(column=label"):
        train_baseline(splits[0], splits[1], MLP, TRAIN, failed)
