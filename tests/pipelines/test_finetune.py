import pytest

from prunegate.errors import ConfigError
from prunegate.pipelines.finetune import create_pipeline
from prunegate.pipelines.finetune.nodes import finetune_model
from prunegate.training.loop import accuracy

from .conftest import TINY_TRAIN, config, run_pipeline, typed


def test_an_unknown_scheduler_is_refused_before_the_node_runs():
    with pytest.raises(ConfigError, match="scheduler"):
        typed({"finetune": {**TINY_TRAIN, "scheduler": "warmup"}})


def test_finetune_node_holds_the_masks(pruned, splits):
    tuned, history = finetune_model(pruned, splits[0], splits[1],
                                    config("chain", {"finetune": TINY_TRAIN}))
    params = dict(tuned.model.named_parameters())
    assert all((params[name][~mask] == 0).all() for name, mask in pruned.masks.items())
    assert len(history["train_loss"]) == 1


def test_finetune_pipeline_recovers_accuracy_and_keeps_masks(pruned, splits):
    before = accuracy(pruned.model, splits[1])
    out = run_pipeline(create_pipeline(), {
        "pruned_model": pruned, "train": splits[0], "val": splits[1],
        **typed({"finetune": {**TINY_TRAIN, "scheduler": "cosine"}})})
    tuned = out["finetuned_model"]
    assert accuracy(tuned.model, splits[1]) >= before
    params = dict(tuned.model.named_parameters())
    for name, mask in pruned.masks.items():
        assert (params[name][~mask] == 0).all()
