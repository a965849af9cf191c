"""``prune_(model, config)``: one verb, methods picked by name.

``structured`` removes whole neurons and channels so the tensors physically shrink (the only way a
dense runtime such as ONNX Runtime gets smaller or faster). ``unstructured`` zeroes individual
weights; the file and the latency stay the same unless the zeros are exploited downstream.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from prunegate.compression.structured import prune_structured_
from prunegate.compression.unstructured import prune_unstructured_
from prunegate.config import choose, number

log = logging.getLogger(__name__)

Masks = dict[str, torch.Tensor]


@dataclass
class PruneConfig:
    method: str = "structured"
    # fraction removed: of the neurons/channels in each prunable layer (structured), or of all
    # prunable weights together (unstructured, global)
    sparsity: float = 0.7
    # the classifier's outputs are the classes, so removing any would change the task
    skip_classifier: bool = True

    def __post_init__(self) -> None:
        choose(self.method, list(PRUNERS), "prune.method")
        number(self.sparsity, "prune.sparsity", 0.0, 1.0, include_high=False)
        if not isinstance(self.skip_classifier, bool):
            raise TypeError("prune.skip_classifier must be true or false")


PRUNERS: dict[str, Callable[[nn.Module, float, list[nn.Module], torch.Tensor], Masks]] = {
    "structured": prune_structured_,
    "unstructured": prune_unstructured_,
}


def prune_(model: nn.Module, config: PruneConfig, example_input: torch.Tensor) -> Masks:
    """Prune ``model`` in place; returns the masks that fine-tuning must keep (may be empty)."""
    skip = [model.classifier] if config.skip_classifier and hasattr(model, "classifier") else []
    masks = PRUNERS[config.method](model, config.sparsity, skip, example_input)
    log.info("pruned (%s, sparsity %.2f): %s", config.method, config.sparsity, layer_shapes(model))
    return masks


def prunable_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    return [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Linear | nn.Conv2d)]


def layer_shapes(model: nn.Module) -> dict[str, list[int]]:
    return {name: list(m.weight.shape) for name, m in prunable_layers(model)}


def sparsity_report(model: nn.Module) -> dict[str, dict[str, float]]:
    """Per layer: weight shape and the fraction of weights that are exactly zero."""
    return {name: {"shape": list(m.weight.shape), "params": m.weight.numel(),
                   "sparsity": float((m.weight == 0).float().mean())}
            for name, m in prunable_layers(model)}
