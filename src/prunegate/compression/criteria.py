"""Importance criteria: one small callable each, picked by name.

Every criterion returns a score per weight (same shape as the weight): low scores are pruned
first. Weight pruning ranks these scores directly; neuron and channel pruning sums them over each
neuron's dependency group (its row, and the matching columns downstream).
"""

from collections.abc import Callable, Iterable

import torch
from torch import nn
from torch.nn import functional as F

Layers = dict[str, nn.Module]
Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]
Scores = dict[str, torch.Tensor]
Criterion = Callable[[nn.Module, Layers, Batches, dict], Scores]


def magnitude(model: nn.Module, layers: Layers, batches: Batches, options: dict) -> Scores:
    """|w|^p (p = prune.norm: 1 or 2). Needs no data."""
    return {name: m.weight.detach().abs().pow(options["norm"]) for name, m in layers.items()}


def random(model: nn.Module, layers: Layers, batches: Batches, options: dict) -> Scores:
    """Uniform noise, seeded: the control every other criterion must beat."""
    generator = torch.Generator().manual_seed(options["seed"])
    return {name: torch.rand(m.weight.shape, generator=generator) for name, m in layers.items()}


def taylor(model: nn.Module, layers: Layers, batches: Batches, options: dict) -> Scores:
    """First-order Taylor (Molchanov et al. 2019): Σ_batches |w · ∂L/∂w|, the loss change
    predicted by removing w, accumulated so one noisy batch cannot decide."""
    scores = {name: torch.zeros_like(m.weight) for name, m in layers.items()}
    for grads in _gradients(model, layers, batches, per_sample=False):
        for name, m in layers.items():
            scores[name] += (m.weight.detach() * grads[name]).abs()
    return scores


def obd(model: nn.Module, layers: Layers, batches: Batches, options: dict) -> Scores:
    """Optimal Brain Damage (LeCun et al. 1990): ½·H_ii·w², with the Hessian diagonal taken as
    the empirical Fisher, the mean of per-sample squared gradients."""
    fisher = {name: torch.zeros_like(m.weight) for name, m in layers.items()}
    count = 0
    for grads in _gradients(model, layers, batches, per_sample=True):
        for name in layers:
            fisher[name] += grads[name].pow(2)
        count += 1
    return {name: 0.5 * fisher[name] / max(count, 1) * m.weight.detach().pow(2)
            for name, m in layers.items()}


CRITERIA: dict[str, Criterion] = {"magnitude": magnitude, "random": random, "taylor": taylor,
                                  "obd": obd}
# criteria that read data (the others are computed from the weights alone)
NEEDS_DATA = ("taylor", "obd")


def _gradients(model: nn.Module, layers: Layers, batches: Batches, per_sample: bool):
    """∂L/∂w of each layer, per batch (or per sample), without changing the model."""
    was_training = model.training
    model.eval()  # dropout off: score the network that will be deployed
    try:
        for x, y in batches:
            groups = [(x[i:i + 1], y[i:i + 1]) for i in range(len(x))] if per_sample else [(x, y)]
            for xs, ys in groups:
                model.zero_grad(set_to_none=True)
                F.cross_entropy(model(xs), ys).backward()
                yield {name: m.weight.grad.detach().clone() for name, m in layers.items()}
    finally:
        model.zero_grad(set_to_none=True)
        model.train(was_training)
