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


def snip(model: nn.Module, layers: Layers, batches: Batches, options: dict) -> Scores:
    """SNIP connection sensitivity (Lee et al. 2019): |w · ∂L/∂w| of the untrained network on
    one batch (all the given samples together). Used with prune.at_init: it decides which
    connections to keep before any training step."""
    batches = list(batches)
    x = torch.cat([b[0] for b in batches])
    y = torch.cat([b[1] for b in batches])
    grads = next(_gradients(model, layers, [(x, y)], per_sample=False))
    return {name: (m.weight.detach() * grads[name]).abs() for name, m in layers.items()}


def apoz(model: nn.Module, layers: Layers, batches: Batches, options: dict) -> Scores:
    """APoZ (Hu et al. 2016): a neuron or channel that is zero after its ReLU for most inputs
    contributes little. Importance 1 − APoZ, spread evenly over the neuron's row so that a
    neuron's group score is its own. Neurons only: it says nothing about single weights."""
    zeros = {name: torch.zeros(m.weight.shape[0]) for name, m in layers.items()}
    counts = dict.fromkeys(layers, 0)

    def hook(name):
        def record(module, inputs, output):
            dims = [d for d in range(output.dim()) if d != 1]   # all but the channel axis
            zeros[name] += (torch.relu(output) == 0).float().mean(dim=dims).detach()
            counts[name] += 1
        return record

    handles = [m.register_forward_hook(hook(name)) for name, m in layers.items()]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for x, _ in batches:
                model(x)
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    scores = {}
    for name, m in layers.items():
        importance = 1.0 - zeros[name] / max(counts[name], 1)
        per_weight = importance / m.weight[0].numel()
        scores[name] = per_weight.view(-1, *[1] * (m.weight.dim() - 1)).expand_as(m.weight).clone()
    return scores


def lrp_relevance(model: nn.Module, layers: Layers, batches: Batches,
                  epsilon: float = 1e-6) -> Scores:
    """Signed LRP-ε relevance of every weight, summed over the samples, each sample's relevance
    starting from its true class's logit (Bach et al. 2015; for pruning, Yeom et al. 2021).

    The ε-rule R_i = a_i Σ_j w_ji R_j / (z_j + ε·sign z_j) is ordinary backpropagation with the
    gradient at each Linear/Conv output scaled by z / (z + ε·sign z); the relevance of w_ji is then
    w_ji · ∂/∂w_ji. Doing it with hooks works on any graph (residual sums, pooling), not only on
    chains of layers. With zero biases relevance is conserved: each layer's weight relevances sum
    to the explained logits.
    """
    relevance = {name: torch.zeros_like(m.weight) for name, m in layers.items()}
    linear = [m for m in model.modules() if isinstance(m, nn.Linear | nn.Conv2d)]

    def stabilise(module, inputs, output):
        z = output.detach()
        scale = z / (z + epsilon * torch.where(z >= 0, 1.0, -1.0))
        output.register_hook(lambda grad: grad * scale)

    handles = [m.register_forward_hook(stabilise) for m in linear]
    was_training = model.training
    model.eval()
    try:
        for x, y in batches:
            model.zero_grad(set_to_none=True)
            logits = model(x)
            logits.backward(F.one_hot(y, logits.shape[1]).to(logits.dtype))
            for name, m in layers.items():
                relevance[name] += (m.weight.detach() * m.weight.grad).detach()
    finally:
        for handle in handles:
            handle.remove()
        model.zero_grad(set_to_none=True)
        model.train(was_training)
    return relevance


def lrp(model: nn.Module, layers: Layers, batches: Batches, options: dict) -> Scores:
    """|LRP-ε relevance|: a weight whose contribution to the explained decisions is near zero,
    whichever its sign, goes first."""
    return {name: r.abs() for name, r in lrp_relevance(model, layers, batches).items()}


CRITERIA: dict[str, Criterion] = {"magnitude": magnitude, "random": random, "taylor": taylor,
                                  "obd": obd, "snip": snip, "apoz": apoz, "lrp": lrp}
# criteria that read data (the others are computed from the weights alone)
NEEDS_DATA = ("taylor", "obd", "snip", "apoz", "lrp")
# criteria that score neurons/channels as a whole, not single weights
NEURON_ONLY = ("apoz",)


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
