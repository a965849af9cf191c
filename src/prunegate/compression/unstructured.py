"""Global magnitude pruning of individual weights (Han et al. 2015)."""

import torch
from torch import nn


def prune_unstructured_(model: nn.Module, sparsity: float, skip: list[nn.Module],
                        example_input: torch.Tensor) -> dict[str, torch.Tensor]:
    """Zero the ``sparsity`` fraction of smallest |w| across all prunable layers together."""
    skipped = {id(m) for m in skip}
    weights = {f"{name}.weight": m.weight for name, m in model.named_modules()
               if isinstance(m, nn.Linear | nn.Conv2d) and id(m) not in skipped}
    if not weights or sparsity == 0:
        return {name: torch.ones_like(w, dtype=torch.bool) for name, w in weights.items()}
    scores = torch.cat([w.detach().abs().flatten() for w in weights.values()])
    k = int(round(sparsity * scores.numel()))
    # ranking, not a threshold, so ties at the cut still give exactly k zeros
    keep = torch.ones_like(scores, dtype=torch.bool)
    keep[torch.argsort(scores)[:k]] = False
    masks, start = {}, 0
    with torch.no_grad():
        for name, w in weights.items():
            mask = keep[start:start + w.numel()].view_as(w)
            w.mul_(mask)
            masks[name] = mask
            start += w.numel()
    return masks
