"""Structured pruning with Torch-Pruning's dependency graph.

Removing an output neuron of one layer must remove the matching input of the next (and, for a conv
followed by flatten, a whole block of fc inputs). Torch-Pruning tracks those couplings for us.
"""

import torch
import torch_pruning as tp
from torch import nn


def prune_structured_(model: nn.Module, sparsity: float, skip: list[nn.Module],
                      example_input: torch.Tensor) -> dict[str, torch.Tensor]:
    """Remove ``sparsity`` of the neurons/channels of every prunable layer, by L2 magnitude."""
    if sparsity == 0:
        return {}
    model.eval()
    pruner = tp.pruner.MetaPruner(
        model, example_input, importance=tp.importance.MagnitudeImportance(p=2),
        pruning_ratio=sparsity, ignored_layers=list(skip), global_pruning=False)
    pruner.step()
    return {}  # the removed weights are gone, not zeroed: nothing to keep fixed
