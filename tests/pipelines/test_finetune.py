import pytest

from prunegate.errors import ConfigError
from prunegate.pipelines.finetune import create_pipeline
from prunegate.pipelines.finetune.nodes import finetune_model
from prunegate.training import accuracy

from .conftest import TINY_TRAIN, run_pipeline


def test_finetune_node_rejects_unknown_scheduler(pruned, splits):
    with pytest.raises(ConfigError, match="scheduler"):
        finetune_model(pruned, splits[0], splits[1], {**TINY_TRAIN, "scheduler": "warmup"}, {},
                       {})


def test_finetune_pipeline_recovers_accuracy_and_keeps_masks(pruned, splits):
    before = accuracy(pruned.model, splits[1])
    out = run_pipeline(create_pipeline(), {
        "pruned_model": pruned, "train": splits[0], "val": splits[1],
        "params:finetune": {**TINY_TRAIN, "scheduler": "cosine"}, "params:prune": {},
        "params:quantize": {}})
    tuned = out["finetuned_model"]
    assert accuracy(tuned.model, splits[1]) >= before
    params = dict(tuned.model.named_parameters())
    for name, mask in pruned.masks.items():
        assert (params[name][~mask] == 0).all()
