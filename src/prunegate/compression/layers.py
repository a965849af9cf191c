"""Layer dropping: remove whole shape-preserving blocks (residual blocks) from ``model.blocks``.

A residual block computes x + f(x), so without it the network still runs: the block's output
becomes its input. Which blocks go is decided by measurement, not by a proxy: each candidate is
taken out in turn, the held-out accuracy is measured, and the one whose removal costs least is
dropped; then the remaining blocks are measured again (greedy, so interactions are seen).
"""

import logging
from collections.abc import Iterable

import torch
from torch import nn
from torch.nn import functional as F

from prunegate.errors import ConfigError

log = logging.getLogger(__name__)

Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]
LAYER_CRITERIA = ("accuracy", "random")


def drop_blocks_(model: nn.Module, fraction: float, criterion: str, batches: Batches,
                 skip: Iterable[str] = (), seed: int = 0) -> dict:
    """Remove round(fraction × blocks) blocks in place; returns what was dropped and why."""
    blocks = droppable(model)
    names = [f"blocks.{i}" for i in range(len(blocks))]
    unknown = sorted(set(skip) - set(names) - _layer_names(model))
    if unknown:
        raise ConfigError(f"prune.skip_layers names no block or layer: {', '.join(unknown)}. "
                          f"Blocks: {', '.join(names)}.")
    count = round(fraction * len(blocks))
    batches = list(batches)
    alive = list(range(len(blocks)))  # original indices still in the model
    candidates = [i for i in alive if f"blocks.{i}" not in set(skip)]
    if count > len(candidates):
        raise ConfigError(f"prune.sparsity {fraction} asks to drop {count} blocks but only "
                          f"{len(candidates)} may be dropped (skip_layers: {list(skip)}).")
    generator = torch.Generator().manual_seed(seed)
    rounds = []
    for _ in range(count):
        if criterion == "random":
            pick = candidates[int(torch.randint(len(candidates), (1,), generator=generator))]
            measured = {}
        else:
            measured = {f"blocks.{i}": _score_without(model, alive.index(i), batches)
                        for i in candidates}
            pick = max(candidates, key=lambda i: measured[f"blocks.{i}"])
        del blocks[alive.index(pick)]
        alive.remove(pick)
        candidates.remove(pick)
        rounds.append({"dropped": f"blocks.{pick}",
                       "accuracy_without": {k: v[0] for k, v in measured.items()}})
        log.info("layer dropping: removed blocks.%d (original numbering)%s", pick,
                 f", held-out accuracy without it {measured[f'blocks.{pick}'][0]:.4f}"
                 if measured else "")
    return {"blocks_before": len(names), "blocks_after": len(blocks),
            "dropped": [r["dropped"] for r in rounds], "rounds": rounds}


def droppable(model: nn.Module) -> nn.Sequential:
    blocks = getattr(model, "blocks", None)
    if not isinstance(blocks, nn.Sequential):
        raise ConfigError(f"prune.granularity 'layers' drops shape-preserving blocks, and "
                          f"{type(model).__name__} has none. Use a residual model "
                          "(model.name: resnet_mini) or granularity 'neurons'.")
    return blocks


@torch.no_grad()
def _score_without(model: nn.Module, position: int, batches: list) -> tuple[float, float]:
    """(accuracy, −loss) with block ``position`` bypassed: higher is a cheaper removal."""
    blocks = droppable(model)
    block = blocks[position]
    blocks[position] = nn.Identity()
    was_training = model.training
    model.eval()
    try:
        correct = total = 0
        loss = 0.0
        for x, y in batches:
            logits = model(x)
            correct += int((logits.argmax(1) == y).sum())
            loss += float(F.cross_entropy(logits, y, reduction="sum"))
            total += len(y)
    finally:
        blocks[position] = block
        model.train(was_training)
    return correct / max(total, 1), -loss / max(total, 1)


def _layer_names(model: nn.Module) -> set[str]:
    return {n for n, m in model.named_modules() if isinstance(m, nn.Linear | nn.Conv2d)}
