"""Sparsity-inducing penalties, added to the training loss of train or fine-tune.

L1 (Σ|w|) pushes individual weights to zero, which weight pruning then removes at little cost.
Group lasso (Σ_g ‖w_g‖₂ over each neuron's/channel's outgoing row, Wen et al. 2016) pushes whole
rows to zero together, which neuron/channel pruning then removes at little cost. The classifier
is left out: its rows are the classes.
"""

import torch
from torch import nn


def sparsity_penalty(model: nn.Module, l1: float, group_lasso: float) -> torch.Tensor:
    penalty = torch.zeros(())
    for weight in _hidden_weights(model):
        if l1:
            penalty = penalty + l1 * weight.abs().sum()
        if group_lasso:
            penalty = penalty + group_lasso * weight.flatten(1).norm(dim=1).sum()
    return penalty


def _hidden_weights(model: nn.Module) -> list[torch.Tensor]:
    classifier = getattr(model, "classifier", None)
    return [m.weight for m in model.modules()
            if isinstance(m, nn.Linear | nn.Conv2d) and m is not classifier]
