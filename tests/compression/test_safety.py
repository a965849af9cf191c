"""Structured pruning never leaves a model that cannot run: the layer inside a module whose
forward breaks is left unpruned (and reported), and a break no layer explains is one clear error."""

import pytest
import torch
from torch import nn

from prunegate.compression.prune import PruneConfig, prune_
from prunegate.errors import ConfigError


class FixedSplit(nn.Module):
    """A custom op with an assumption Torch-Pruning cannot trace: exactly 4 groups of 8."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(16, 32)

    def forward(self, x):
        return self.proj(x).reshape(x.shape[0], 4, 8).amax(1)


class Net(nn.Module):
    def __init__(self, hard_coded_flatten: bool = False):
        super().__init__()
        self.hard_coded_flatten = hard_coded_flatten
        self.fc1 = nn.Linear(12, 16)
        self.block = FixedSplit()
        self.fc2 = nn.Linear(8, 16)
        self.classifier = nn.Linear(16, 3)

    def forward(self, x):
        h = self.block(torch.relu(self.fc1(x)))
        h = torch.relu(self.fc2(h))
        if self.hard_coded_flatten:
            h = h.reshape(-1, 16)  # the model's own forward assumes fc2's 16 outputs
        return self.classifier(h)


def test_a_layer_whose_pruning_breaks_its_module_is_left_unpruned_and_reported():
    torch.manual_seed(0)
    model, x = Net(), torch.rand(4, 12)
    details: dict = {}
    prune_(model, PruneConfig(granularity="neurons", sparsity=0.5), x[:1], details=details)
    assert details["left_unpruned"] == ["block.proj"]
    assert model.block.proj.out_features == 32  # kept whole, so the reshape still fits
    assert model.fc1.out_features == 8 and model.fc2.out_features == 8  # the rest was pruned
    assert model(x).shape == (4, 3)


def test_a_break_in_the_models_own_forward_is_one_error_naming_the_fix():
    model, x = Net(hard_coded_flatten=True), torch.rand(4, 12)
    with pytest.raises(ConfigError, match=r"unable to run.*reshape|unable to run.*shape.*"
                                          r"granularity 'weights'.*skip_layers"):
        prune_(model, PruneConfig(granularity="neurons", sparsity=0.5,
                                  skip_layers=["block.proj"]), x[:1])
    assert model.fc2.out_features == 16  # nothing was half pruned
