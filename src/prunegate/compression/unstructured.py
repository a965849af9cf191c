"""Weight (unstructured) pruning: zero individual weights, ranked by an importance score.

Local scope prunes the same fraction in every layer. Global scope ranks all layers together
(Han et al. 2015), so layers with many unimportant weights give up more, within each layer's
[min, max] sparsity. The zeros only pay off downstream (a sparse encoding, a sparse kernel):
the dense ONNX file and its latency stay the same.
"""

import torch

Masks = dict[str, torch.Tensor]


def ranked_masks(scores: dict[str, torch.Tensor], sparsity: float, scope: str,
                 min_layer: float = 0.0, max_layer: float = 1.0) -> Masks:
    """Keep-masks that remove the ``sparsity`` fraction with the lowest scores."""
    if scope == "local":
        fraction = min(max(sparsity, min_layer), max_layer)
        return {name: _lowest(s, round(fraction * s.numel())) for name, s in scores.items()}
    counts = _global_counts(scores, round(sparsity * sum(s.numel() for s in scores.values())),
                            min_layer, max_layer)
    return {name: _lowest(s, counts[name]) for name, s in scores.items()}


def threshold_masks(weights: dict[str, torch.Tensor], threshold: float) -> Masks:
    """Keep exactly the weights with |w| >= threshold."""
    return {name: w.detach().abs() >= threshold for name, w in weights.items()}


def apply_masks_(weights: dict[str, torch.Tensor], masks: Masks) -> None:
    with torch.no_grad():
        for name, w in weights.items():
            w.mul_(masks[name])


def _lowest(scores: torch.Tensor, k: int) -> torch.Tensor:
    # ranking, not a cut-off value, so ties at the cut still remove exactly k
    keep = torch.ones(scores.numel(), dtype=torch.bool)
    keep[torch.argsort(scores.flatten(), stable=True)[:k]] = False
    return keep.view_as(scores)


def _global_counts(scores: dict[str, torch.Tensor], total: int, min_layer: float,
                   max_layer: float) -> dict[str, int]:
    """How many weights each layer loses under one global cut, each clamped to its bounds.

    The cut is found by bisection over the pooled scores' ranks: the clamped counts grow
    monotonically with the cut, so the smallest cut reaching ``total`` is exact up to ties.
    """
    pooled = torch.cat([s.flatten() for s in scores.values()]).sort().values
    bounds = {n: (round(min_layer * s.numel()), round(max_layer * s.numel()))
              for n, s in scores.items()}
    sorted_layers = {n: s.flatten().sort().values for n, s in scores.items()}

    def counts_at(rank: int) -> dict[str, int]:
        cut = pooled[rank - 1] if rank > 0 else None
        return {n: min(max(0 if cut is None else int(torch.searchsorted(v, cut, right=True)),
                           bounds[n][0]), bounds[n][1]) for n, v in sorted_layers.items()}

    low, high = 0, len(pooled)
    while low < high:
        mid = (low + high) // 2
        if sum(counts_at(mid).values()) >= total:
            high = mid
        else:
            low = mid + 1
    counts = counts_at(low)
    # ties at the cut can overshoot: give the excess back, from the layers furthest over
    excess = sum(counts.values()) - total
    for name in sorted(counts, key=lambda n: counts[n] - bounds[n][0], reverse=True):
        give = min(excess, counts[name] - bounds[name][0])
        counts[name] -= give
        excess -= give
    return counts
