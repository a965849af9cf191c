import copy

import pytest
import torch
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from prunegate.app.hooks import NODE_CONFIGS
from prunegate.app.recipe import check_params
from prunegate.compression.prune import PruneConfig, prune_
from prunegate.models import Checkpoint

TINY_TRAIN = {"epochs": 1, "lr": 0.001, "batch_size": 64}


def typed(params: dict | None = None) -> dict:
    """The typed configs the hook hands the nodes ("config:<name>"), parsed once from a recipe's
    ``params`` (the sections left out take their defaults); a bad value raises ConfigError."""
    configs = check_params(params or {})
    return {f"config:{key}": configs[key] for key in NODE_CONFIGS}


def config(name: str, params: dict | None = None):
    """One of those configs: ``config("chain", {"prune": {...}})``."""
    return typed(params)[f"config:{name}"]


class KeptDataset(MemoryDataset):
    """The runner releases intermediate data once consumed; tests want to inspect it."""

    def _release(self) -> None:
        pass


def run_pipeline(pipeline, inputs: dict) -> dict:
    """Run ``pipeline`` on an in-memory catalog; returns every dataset it wrote, by name."""
    written = {name for n in pipeline.nodes for name in n.outputs}
    catalog = DataCatalog({**{name: KeptDataset(value) for name, value in inputs.items()},
                           **{name: KeptDataset() for name in written}})
    SequentialRunner().run(pipeline, catalog)
    return {name: catalog[name].load() for name in written}


@pytest.fixture
def baseline(trained_mlp):
    return Checkpoint(copy.deepcopy(trained_mlp))


@pytest.fixture
def pruned(trained_mlp):
    model = copy.deepcopy(trained_mlp)
    masks = prune_(model, PruneConfig(granularity="weights", sparsity=0.8, scope="global"),
                   torch.zeros(1, 1, 28, 28))
    return Checkpoint(model, masks)
