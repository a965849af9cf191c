"""Pruning schedules: when the pruning happens relative to fine-tuning.

- ``one_shot``: the prune stage removes everything; fine-tuning recovers with the masks fixed.
- ``iterative``: N rounds of prune-then-fine-tune. Each round removes the same fraction of what
  is left, r = 1 − (1 − s)^(1/N), so N rounds reach s; the prune stage did round 1.
- ``gradual`` (Zhu & Gupta 2017): masks are recomputed during fine-tuning every Δt steps from
  t0, following s_t = s_f + (s_i − s_f)(1 − (t − t0)/(nΔt))³, so the network adapts while
  it is pruned. Weights only: shrinking tensors mid-training would reset the optimiser.
- ``dynamic`` (Guo et al. 2016, dynamic network surgery): the forward pass sees the masked
  weights, but the gradient updates every weight (straight-through), and the mask is re-ranked
  every Δ steps, so a pruned weight that grows back above the cut returns.
"""

import copy
import logging
from dataclasses import replace
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parametrize

from prunegate.compression.criteria import CRITERIA
from prunegate.compression.prune import PruneConfig, importance_batches, prunable_targets, prune_
from prunegate.compression.qat import quant_aware_context
from prunegate.compression.schedule_config import Dynamic, Gradual, Iterative, OneShot
from prunegate.compression.unstructured import apply_masks_, ranked_masks
from prunegate.models import Checkpoint
from prunegate.training.loop import TrainConfig, fit

log = logging.getLogger(__name__)


def cubic_sparsity(step: int, initial: float, final: float, start: int, events: int,
                   every: int) -> float:
    """Zhu & Gupta's s_t: ``initial`` before ``start``, ``final`` from start + events·every."""
    if step < start:
        return initial
    progress = min(1.0, (step - start) / (events * every))
    return final + (initial - final) * (1.0 - progress) ** 3


def round_fraction(sparsity: float, rounds: int) -> float:
    """The fraction of what is left that each of ``rounds`` equal rounds removes."""
    return 1.0 - (1.0 - sparsity) ** (1.0 / rounds)


def first_step_sparsity(config: PruneConfig) -> float:
    """What the prune stage itself removes under ``config.schedule``."""
    schedule = config.schedule_config
    if isinstance(schedule, Iterative):
        return round_fraction(config.sparsity, schedule.rounds)
    if isinstance(schedule, Gradual):
        return schedule.initial_sparsity
    return config.sparsity


class GradualPruning:
    """The ``on_step`` hook of ``fit`` that applies the cubic schedule by magnitude ranking."""

    def __init__(self, model: nn.Module, config: PruneConfig, schedule: Gradual,
                 total_steps: int):
        self.config, self.schedule = config, schedule
        self.every = max(1, int(schedule.end * total_steps) // schedule.events)
        self.layers = prunable_targets(model, config)
        self.masks: dict[str, torch.Tensor] = {}
        self.trace: list[tuple[int, float]] = []

    def __call__(self, model: nn.Module, step: int) -> dict[str, torch.Tensor] | None:
        c, s = self.config, self.schedule
        if step % self.every or step > s.events * self.every:
            return None
        target = cubic_sparsity(step, s.initial_sparsity, c.sparsity, 0, s.events, self.every)
        scores = CRITERIA[c.criterion](model, self.layers, [], {"norm": c.norm, "seed": c.seed})
        self.masks = ranked_masks({f"{n}.weight": s for n, s in scores.items()}, target,
                                  c.scope, c.min_layer_sparsity, c.max_layer_sparsity)
        apply_masks_({f"{n}.weight": m.weight for n, m in self.layers.items()}, self.masks)
        self.trace.append((step, target))
        return self.masks


class _Masked(nn.Module):
    """Parametrization w -> w·mask whose gradient passes to every w (straight-through)."""

    def __init__(self, mask: torch.Tensor):
        super().__init__()
        self.register_buffer("mask", mask.clone())

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        return weight + (weight * self.mask - weight).detach()


class DynamicPruning:
    """Holds the straight-through masks of ``dynamic`` and re-ranks them as ``on_step``."""

    def __init__(self, model: nn.Module, config: PruneConfig, schedule: Dynamic,
                 masks: dict[str, torch.Tensor], total_steps: int):
        self.config, self.every = config, schedule.every
        self.last = int(schedule.end * total_steps)
        self.layers = prunable_targets(model, config)
        self.masked = {f"{n}.weight": _Masked(masks[f"{n}.weight"].to(m.weight.dtype))
                       for n, m in self.layers.items()}
        for name, m in self.layers.items():
            parametrize.register_parametrization(m, "weight", self.masked[f"{name}.weight"])
        self.revived = 0  # weights that were pruned and came back, over all re-rankings
        self.trace: list[tuple[int, int]] = []

    def __call__(self, model: nn.Module, step: int) -> None:
        c = self.config
        if step % self.every or step > self.last:
            return
        dense = {f"{n}.weight": m.parametrizations.weight.original.detach()
                 for n, m in self.layers.items()}
        masks = ranked_masks({n: w.abs() for n, w in dense.items()}, c.sparsity, c.scope,
                             c.min_layer_sparsity, c.max_layer_sparsity)
        for name, mask in masks.items():
            old = self.masked[name].mask
            self.revived += int((mask & (old == 0)).sum())
            old.copy_(mask)
        self.trace.append((step, self.revived))

    def finish(self) -> dict[str, torch.Tensor]:
        """Bake the masks into plain weights (exactly zero where pruned); the final masks."""
        for m in self.layers.values():
            parametrize.remove_parametrizations(m, "weight", leave_parametrized=True)
        return {name: p.mask.bool() for name, p in self.masked.items()}


def finetune(pruned: Checkpoint, train: dict[str, np.ndarray], val: dict[str, np.ndarray],
             config: TrainConfig, prune: PruneConfig, desc: str = "finetune",
             quant_mode: str = "static", per_channel: bool = False) -> tuple[Checkpoint, dict]:
    """Fine-tune a copy of the pruned model, pruning further as ``prune.schedule`` says; with
    ``quant_mode`` 'qap' the pruning and training happen under fake int8."""
    model = copy.deepcopy(pruned.model)
    with quant_aware_context(model, quant_mode, per_channel):
        return _finetune(model, pruned, train, val, config, prune, desc)


def _finetune(model: nn.Module, pruned: Checkpoint, train, val, config: TrainConfig,
              prune: PruneConfig, desc: str) -> tuple[Checkpoint, dict[str, Any]]:
    schedule = prune.schedule_config
    return FINETUNE[type(schedule)](model, pruned, train, val, config, prune, schedule, desc)


def _one_shot(model, pruned, train, val, config, prune, schedule: OneShot, desc):
    return Checkpoint(model, pruned.masks), fit(model, train, val, config, masks=pruned.masks,
                                                desc=desc)


def _gradual(model, pruned, train, val, config, prune, schedule: Gradual, desc):
    per_epoch = -(-len(train["y"]) // config.batch_size)
    hook = GradualPruning(model, prune, schedule, config.epochs * per_epoch)
    history = fit(model, train, val, config, masks=pruned.masks, desc=desc, on_step=hook)
    # the scheduled sparsity in force at the end of each epoch, a curve beside the loss
    history["sparsity"] = _per_epoch(hook.trace, per_epoch, config.epochs,
                                     schedule.initial_sparsity)
    log.info("gradual pruning events (step, sparsity): %s", hook.trace)
    return Checkpoint(model, hook.masks or pruned.masks), history


def _dynamic(model, pruned, train, val, config, prune, schedule: Dynamic, desc):
    per_epoch = -(-len(train["y"]) // config.batch_size)
    dynamic = DynamicPruning(model, prune, schedule, pruned.masks, config.epochs * per_epoch)
    try:  # the mask lives in the parametrization: fit must not zero the dense weights
        history = fit(model, train, val, config, desc=desc, on_step=dynamic)
    finally:
        masks = dynamic.finish()
    log.info("dynamic pruning: %d pruned weights came back over the re-rankings",
             dynamic.revived)
    history["revived"] = _per_epoch(dynamic.trace, per_epoch, config.epochs, 0)
    return Checkpoint(model, masks), history


def _per_epoch(trace: list[tuple[int, float]], per_epoch: int, epochs: int,
               default: float) -> list[float]:
    """A schedule's (step, value) events as the value in force at the end of each epoch."""
    return [max([v for t, v in trace if t <= e * per_epoch], default=default)
            for e in range(1, epochs + 1)]


def _iterative(model, pruned, train, val, config, prune, schedule: Iterative, desc):
    rounds, masks = schedule.rounds, pruned.masks
    per_round = [config.epochs // rounds + (1 if i < config.epochs % rounds else 0)
                 for i in range(rounds)]
    history: dict[str, Any] = {}
    example = torch.from_numpy(train["x"][:1])
    for k, epochs in enumerate(per_round, start=1):
        if k > 1:  # round 1's pruning was the prune stage's
            if prune.granularity == "weights":   # cumulative target; zeros rank lowest
                target = 1.0 - (1.0 - prune.sparsity) ** (k / rounds)
            else:                                # a fraction of the neurons still there
                target = round_fraction(prune.sparsity, rounds)
            step = replace(prune, sparsity=target)
            masks = prune_(model, step, example, importance_batches(train, prune))
            log.info("iterative pruning round %d/%d", k, rounds)
        part = fit(model, train, val, replace(config, epochs=max(1, epochs)), masks=masks,
                   desc=f"{desc} round {k}/{rounds}")
        for key, values in part.items():
            history.setdefault(key, []).extend(values)
    history["epoch"] = list(range(1, len(history.get("epoch", [])) + 1))
    return Checkpoint(model, masks), history


# each schedule's config type -> how fine-tuning runs under it (torchao's handler table)
FINETUNE = {OneShot: _one_shot, Iterative: _iterative, Gradual: _gradual, Dynamic: _dynamic}
