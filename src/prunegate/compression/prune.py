"""``prune_(model, config)``: one verb; granularity, criterion, selection and scope by name.

``neurons`` removes whole neurons (Linear outputs) and channels (Conv outputs), so the tensors
physically shrink: the only way a dense runtime such as ONNX Runtime gets smaller or faster.
``weights`` zeroes individual weights; the file and the latency stay the same unless the zeros
are exploited downstream.
"""

import logging
from collections.abc import Iterable

import numpy as np
import torch
from torch import nn

from prunegate.compression.criteria import CRITERIA, NEEDS_DATA
from prunegate.compression.energy_aware import EnergyBudget, allocate_for_energy_
from prunegate.compression.latency_aware import Budget, allocate_for_latency_
from prunegate.compression.layers import drop_blocks_
from prunegate.compression.prune_config import PruneConfig
from prunegate.compression.structured import prunable_layers, prune_structured_
from prunegate.compression.unstructured import apply_masks_, ranked_masks, threshold_masks
from prunegate.errors import ConfigError
from prunegate.evaluation.targets import TargetProfile

log = logging.getLogger(__name__)

Masks = dict[str, torch.Tensor]
__all__ = ["PruneConfig", "prune_", "importance_batches", "prunable_targets", "sparsity_report"]


def prune_(model: nn.Module, config: PruneConfig, example_input: torch.Tensor,
           batches: Iterable[tuple[torch.Tensor, torch.Tensor]] | None = None,
           details: dict | None = None, target: TargetProfile | None = None) -> Masks:
    """Prune ``model`` in place; returns the masks that fine-tuning must keep (may be empty).

    ``batches`` (inputs, labels) feed the data-driven criteria and are required by them; layer
    dropping measures accuracy on them, so give it held-out data. ``details``, when given, is
    filled with what was decided (the dropped blocks and the accuracy measured without each;
    the latency allocation). ``target`` is where a latency budget is measured (default: one
    CPU thread, batch 1).
    """
    details = {} if details is None else details
    masks = GRANULARITIES[config.granularity](model, config, example_input, batches, details,
                                              target or TargetProfile())
    log.info("pruned (%s, %s, %s, %s): %s", config.granularity, config.criterion,
             config.scope, config.selection, layer_shapes(model))
    return masks


def _drop_layers(model, config, example_input, batches, details, target) -> Masks:
    """Whole residual blocks, ranked by the accuracy measured without each (layers.py)."""
    if config.criterion == "accuracy" and batches is None:
        raise ConfigError("prune.criterion 'accuracy' needs held-out batches to measure.")
    details.update(drop_blocks_(model, config.sparsity, config.criterion, batches or [],
                                config.skip_layers, config.seed))
    log.info("dropped %s", details["dropped"])
    return {}


def _scores(model: nn.Module, config: PruneConfig, batches) -> tuple[dict, dict]:
    """The prunable layers and each one's importance under ``config.criterion``."""
    layers = prunable_targets(model, config)
    if config.criterion in NEEDS_DATA and batches is None:
        raise ConfigError(f"prune.criterion '{config.criterion}' needs training batches.")
    return layers, CRITERIA[config.criterion](model, layers, batches or [],
                                              {"norm": config.norm, "seed": config.seed})


def _prune_neurons(model, config, example_input, batches, details, target) -> Masks:
    """Neurons and channels removed (tensors shrink): to a sparsity, to per-layer ratios, or
    to a latency or energy budget evaluated on ``target``."""
    layers, scores = _scores(model, config, batches)
    skip = [n for n, _ in prunable_layers(model) if n not in layers]
    if config.latency_budget_ms is not None:
        details.update(allocate_for_latency_(
            model, scores, skip, example_input,
            Budget(config.latency_budget_ms, min(config.max_layer_sparsity, 0.9)), target))
        return {}
    if config.energy_budget_uj is not None or config.energy_budget_ratio is not None:
        details.update(allocate_for_energy_(
            model, scores, skip, example_input,
            EnergyBudget(config.energy_budget_uj, config.energy_budget_ratio,
                         min(config.max_layer_sparsity, 0.9)), target))
        return {}
    if config.layer_ratios is not None:
        unknown = sorted(set(config.layer_ratios) - set(layers))
        if unknown:
            raise ConfigError(f"prune.layer_ratios names layers that are not pruned here: "
                              f"{', '.join(unknown)}. Prunable layers: {', '.join(layers)}.")
        unsafe = prune_structured_(model, scores, 0.0, "local", 1.0, skip, example_input,
                                   ratios=config.layer_ratios, round_to=config.round_to)
    else:
        unsafe = prune_structured_(model, scores, config.sparsity, config.scope,
                                   config.max_layer_sparsity, skip, example_input,
                                   round_to=config.round_to)
    if unsafe:
        details["left_unpruned"] = unsafe  # pruning them broke the model (structured.py)
    return {}


def _prune_weights(model, config, example_input, batches, details, target) -> Masks:
    """Single weights zeroed by rank or by threshold; the masks keep them zero."""
    layers, scores = _scores(model, config, batches)
    weights = {f"{name}.weight": m.weight for name, m in layers.items()}
    if config.selection == "threshold":
        masks = threshold_masks(weights, config.threshold)
    else:
        masks = ranked_masks({f"{n}.weight": s for n, s in scores.items()}, config.sparsity,
                             config.scope, config.min_layer_sparsity, config.max_layer_sparsity)
    apply_masks_(weights, masks)
    return masks


# prune.granularity -> its handler (torchao's handler table, keyed by the config's choice)
GRANULARITIES = {"layers": _drop_layers, "neurons": _prune_neurons, "weights": _prune_weights}


def importance_batches(train: dict, config: PruneConfig,
                       everything: bool = False) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """A seeded sample of batches ({"x", "y"} arrays) for the data-driven criteria; all of
    ``train`` in batches with ``everything``."""
    rng = np.random.default_rng(config.seed)
    size = config.importance_batch_size
    order = rng.permutation(len(train["y"]))
    if not everything:
        order = order[:config.importance_batches * size]
    return [(torch.from_numpy(train["x"][order[i:i + size]]),
             torch.from_numpy(train["y"][order[i:i + size]]).long())
            for i in range(0, len(order), size)]


def prunable_targets(model: nn.Module, config: PruneConfig) -> dict[str, nn.Module]:
    """The layers ``config`` prunes: every Linear/Conv except the skipped ones."""
    layers = dict(prunable_layers(model))
    unknown = sorted(set(config.skip_layers) - set(layers))
    if unknown:
        raise ConfigError(f"prune.skip_layers names no prunable layer: {', '.join(unknown)}. "
                          f"Prunable layers: {', '.join(layers)}.")
    skip = set(config.skip_layers)
    if config.skip_classifier and layers:
        # the zoo names its head; for any other model it is the last layer registered
        head = getattr(model, "classifier", None) or list(layers.values())[-1]
        skip |= {n for n, m in layers.items() if m is head}
    return {n: m for n, m in layers.items() if n not in skip}


def layer_shapes(model: nn.Module) -> dict[str, list[int]]:
    return {name: list(m.weight.shape) for name, m in prunable_layers(model)}


def sparsity_report(model: nn.Module) -> dict[str, dict[str, float]]:
    """Per layer: weight shape and the fraction of weights that are exactly zero."""
    return {name: {"shape": list(m.weight.shape), "params": m.weight.numel(),
                   "sparsity": float((m.weight == 0).float().mean())}
            for name, m in prunable_layers(model)}
