"""Neuron and channel (structured) pruning with Torch-Pruning's dependency graph.

Removing an output neuron of one layer must remove the matching input of the next (and, for a conv
followed by flatten, a whole block of fc inputs). Torch-Pruning tracks those couplings; we only
tell it how important each neuron is, from any weight criterion: a neuron's score is the mean of
its group's weight scores (its row, and its columns downstream).
"""

import torch
import torch_pruning as tp
from torch import nn
from torch_pruning.pruner import function


class ScoreImportance(tp.importance.GroupMagnitudeImportance):
    """Group importance from per-weight scores carried in each weight's ``.grad``.

    Carrying them as the gradient is deliberate: Torch-Pruning slices ``.grad`` together with the
    weight at every step, so the scores of a layer stay aligned after its neighbours shrank.
    """

    def __init__(self) -> None:
        super().__init__(p=1, group_reduction="mean", normalizer="mean",
                         target_types=[nn.modules.conv._ConvNd, nn.Linear])

    @torch.no_grad()
    def __call__(self, group):
        imps, roots = [], []
        for i, (dep, idxs) in enumerate(group):
            layer, fn = dep.layer, dep.pruning_fn
            if not isinstance(layer, tuple(self.target_types)) or layer.weight.grad is None:
                continue
            score = layer.weight.grad
            if fn in (function.prune_conv_out_channels, function.prune_linear_out_channels):
                imps.append(score[idxs].flatten(1).sum(1))
            elif fn in (function.prune_conv_in_channels, function.prune_linear_in_channels):
                imps.append(score.transpose(0, 1).flatten(1).sum(1)[idxs])
            else:
                continue
            roots.append(group[i].root_idxs)
        if not imps:
            return None
        return self._normalize(self._reduce(imps, roots), self.normalizer)


def prune_structured_(model: nn.Module, scores: dict[str, torch.Tensor], sparsity: float,
                      scope: str, max_layer: float, skip: list[nn.Module],
                      example_input: torch.Tensor,
                      ratios: dict[str, float] | None = None) -> None:
    """Remove ``sparsity`` of the neurons/channels: of each layer (local) or of all prunable
    layers together, at most ``max_layer`` of any one (global). ``ratios`` instead gives each
    named layer its own fraction (the others keep every neuron)."""
    if ratios is not None:
        ratios = {name: r for name, r in ratios.items() if r > 0}
    if sparsity == 0 and not ratios:
        return
    modules = dict(model.named_modules())
    model.eval()
    try:
        for name, score in scores.items():
            modules[name].weight.grad = score.clone()
        per_layer = {modules[n]: r for n, r in ratios.items()} if ratios else None
        pruner = tp.pruner.MetaPruner(
            model, example_input, importance=ScoreImportance(),
            pruning_ratio=0.0 if per_layer else sparsity, pruning_ratio_dict=per_layer,
            global_pruning=scope == "global" and not per_layer, max_pruning_ratio=max_layer,
            ignored_layers=list(skip))
        pruner.step()
    finally:
        model.zero_grad(set_to_none=True)
