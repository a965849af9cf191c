"""The greedy allocation both budgeted prunings share (latency_aware.py, energy_aware.py).

Given, per layer, what pruning it by each ratio saves (``table``: ratio -> saving) and what it
costs in importance (``lost``: ratio -> fraction of the layer's importance removed), move one
layer at a time to a higher ratio: the move that meets the goal most cheaply if one does, else
the one with the most saving per importance lost. ``cost`` re-evaluates the model after each
move (the savings of two layers are not exactly additive); without it the savings are summed.
"""

from collections.abc import Callable

import torch
from torch import nn

from prunegate.compression.structured import prune_structured_

Table = dict[str, dict[float, float]]


def lost_importance(score: torch.Tensor, step: float, max_layer: float) -> dict[float, float]:
    """Fraction of a layer's total neuron importance removed at each ratio (lowest first)."""
    per_neuron = score.detach().flatten(1).sum(1).sort().values
    total = float(per_neuron.sum()) or 1.0
    n = len(per_neuron)
    lost = {0.0: 0.0}
    k = 1
    while step * k <= max_layer + 1e-9:
        r = round(step * k, 6)
        lost[r] = float(per_neuron[:int(r * n)].sum()) / total
        k += 1
    return lost


def greedy(table: Table, lost: Table, start: float, goal: float,
           cost: Callable[[dict[str, float]], float] | None = None
           ) -> tuple[dict[str, float], float, list[dict]]:
    """(ratios, the cost they reach, each move with the cost after it)."""
    ratios = dict.fromkeys(table, 0.0)
    current, steps = start, []
    while current > goal:
        moves = [(name, r, saving - table[name][now], lost[name][r] - lost[name][now])
                 for name, now in ratios.items() for r, saving in table[name].items()
                 if r > now and saving > table[name][now]]
        if not moves:
            break  # nothing left that measurably helps
        finishing = [m for m in moves if current - m[2] <= goal]
        best = (min(finishing, key=lambda m: m[3]) if finishing
                else max(moves, key=lambda m: m[2] / (m[3] + 1e-9)))
        ratios[best[0]] = best[1]
        current = (cost(ratios) if cost is not None
                   else start - sum(table[n][r] for n, r in ratios.items()))
        steps.append({"layer": best[0], "ratio": best[1], "cost": current})
    return ratios, current, steps


def pruner(scores: dict[str, torch.Tensor], skip: list[str], example: torch.Tensor
           ) -> Callable[[nn.Module, dict[str, float]], None]:
    """Prunes a model (the scored one, or a copy of it) to per-layer ratios, in place."""
    def prune(model: nn.Module, ratios: dict[str, float]) -> None:
        # by name: ``model`` may be a copy, whose modules are not the ones scored
        prune_structured_(model, scores, 0.0, "local", 1.0, skip, example, ratios=ratios)
    return prune
