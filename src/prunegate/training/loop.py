"""One training loop for train, fine-tune and distill.

The stages differ only in the loss (cross-entropy or knowledge distillation) and in whether pruning
masks are enforced, so both are arguments rather than copies of the loop.
"""

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from prunegate import progress
from prunegate.errors import ConfigError
from prunegate.training.augment import augment, check_images
from prunegate.training.regularize import sparsity_penalty
from prunegate.validators import choose, integer, number

log = logging.getLogger(__name__)

# loss(model, x, y) -> scalar; the default is plain cross-entropy on the model's logits
LossFn = Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]
SCHEDULERS = ("none", "cosine", "step")
# a typo like epochs=1000000000 is refused, not accepted with an ETA of years; long jobs are
# bounded by wall-clock time instead (max_minutes)
MAX_EPOCHS = 10_000
StepHook = Callable[[nn.Module, int], "dict[str, torch.Tensor] | None"]


@dataclass
class TrainConfig:
    epochs: int = 10
    lr: float = 1e-3
    batch_size: int = 64
    weight_decay: float = 0.0
    scheduler: str = "none"  # fine-tuning a pruned model converges better with a decaying LR
    seed: int = 0
    # sparsity-inducing penalties on the hidden layers' weights (0: off); see regularize.py
    l1: float = 0.0
    group_lasso: float = 0.0
    # wall-clock budget: training stops cleanly after the epoch that crosses it (null: none)
    max_minutes: float | None = None
    # images only (augment.py): random shifts of up to N pixels, and left-right flips
    augment_shift: int = 0
    augment_flip: bool = False

    def __post_init__(self) -> None:
        # 0 only for train with model.weights (check_params): keep the given weights as they are
        integer(self.epochs, "epochs", low=0, high=MAX_EPOCHS)
        if self.max_minutes is not None:
            number(self.max_minutes, "max_minutes", 0.01, 7 * 24 * 60.0)
        number(self.lr, "lr", 1e-8, 10.0)
        integer(self.batch_size, "batch_size", low=1)
        number(self.weight_decay, "weight_decay", 0.0, 1.0)
        choose(self.scheduler, SCHEDULERS, "scheduler")
        integer(self.seed, "seed")
        number(self.l1, "l1", 0.0, 1.0)
        number(self.group_lasso, "group_lasso", 0.0, 1.0)
        integer(self.augment_shift, "augment_shift", low=0, high=16)
        if not isinstance(self.augment_flip, bool):
            raise ConfigError(f"augment_flip must be true or false, got {self.augment_flip!r}.")


def seed_everything(seed: int) -> None:
    """Seed before building a model too: weight init is random, and runs must be repeatable.

    With the same seed, data, thread count and library versions, a run gives the same weights
    bit for bit (tests/e2e/test_reproducible.py). Deterministic algorithms are asked for where
    torch has them; warn_only, since a CPU op without one should warn, not stop a run."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    _deterministic()


def _deterministic() -> None:
    # torch.use_deterministic_algorithms also sets torch.compile's flag, and importing
    # torch._inductor.config for it costs 1.5 s of CPU in every kedro process; nothing here
    # compiles, so set the eager-mode switch alone where this torch has it
    setter = getattr(torch._C, "_set_deterministic_algorithms", None)
    if setter is None:
        torch.use_deterministic_algorithms(True, warn_only=True)
    else:
        setter(True, warn_only=True)


def cross_entropy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return nn.functional.cross_entropy(model(x), y)


def apply_masks_(model: nn.Module, masks: dict[str, torch.Tensor]) -> None:
    """Zero the pruned weights again; after every optimiser step they must be exactly 0."""
    if not masks:
        return
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, mask in masks.items():
            params[name].mul_(mask.to(params[name].dtype))


@torch.no_grad()
def predict(model: nn.Module, x: np.ndarray, batch_size: int = 512) -> np.ndarray:
    model.eval()
    out = [model(torch.from_numpy(x[i:i + batch_size])).argmax(1).numpy()
           for i in range(0, len(x), batch_size)]
    return np.concatenate(out)


@torch.no_grad()
def mean_loss(model: nn.Module, data: dict[str, np.ndarray], batch_size: int = 512) -> float:
    model.eval()
    x, y = torch.from_numpy(data["x"]), torch.from_numpy(data["y"])
    total = sum(float(nn.functional.cross_entropy(model(x[i:i + batch_size]), y[i:i + batch_size],
                                                  reduction="sum"))
                for i in range(0, len(x), batch_size))
    return total / len(x)


def accuracy(model: nn.Module, data: dict[str, np.ndarray]) -> float:
    return float((predict(model, data["x"]) == data["y"]).mean())


def fit(model: nn.Module, train: dict[str, np.ndarray], val: dict[str, np.ndarray],
        config: TrainConfig, loss_fn: LossFn = cross_entropy,
        masks: dict[str, torch.Tensor] | None = None, desc: str = "train",
        extra_params: list[nn.Parameter] | None = None,
        on_step: StepHook | None = None) -> dict[str, list[float]]:
    """Train ``model`` in place with Adam; returns per-epoch curves.

    ``on_step(model, step)`` runs after every optimiser step and may return new masks (a
    pruning schedule); they are enforced from then on.
    """
    seed_everything(config.seed)
    masks = masks or {}
    apply_masks_(model, masks)
    params = list(model.parameters()) + list(extra_params or [])
    optimiser = torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    scheduler = _scheduler(optimiser, config)
    x, y = torch.from_numpy(train["x"]), torch.from_numpy(train["y"])
    check_images(x, config.augment_shift, config.augment_flip, desc)
    generator = torch.Generator().manual_seed(config.seed)
    history: dict[str, list[float]] = {"epoch": [], "train_loss": [], "val_accuracy": [], "lr": []}
    bar = progress.bar(range(1, config.epochs + 1), desc=desc, unit="epoch", leave=False)
    step, started = 0, time.monotonic()
    for epoch in bar:
        model.train()
        order = torch.randperm(len(x), generator=generator)
        total = 0.0
        for i in range(0, len(x), config.batch_size):
            idx = order[i:i + config.batch_size]
            xb = x[idx]
            if config.augment_shift or config.augment_flip:
                xb = augment(xb, config.augment_shift, config.augment_flip, generator)
            loss = loss_fn(model, xb, y[idx])
            optimiser.zero_grad()
            if config.l1 or config.group_lasso:
                (loss + sparsity_penalty(model, config.l1, config.group_lasso)).backward()
            else:
                loss.backward()
            optimiser.step()
            step += 1
            if on_step is not None:
                masks = on_step(model, step) or masks
            apply_masks_(model, masks)
            total += loss.item() * len(idx)
        lr = optimiser.param_groups[0]["lr"]
        if scheduler is not None:
            scheduler.step()
        val_acc = accuracy(model, val)
        for key, value in (("epoch", epoch), ("train_loss", total / len(x)),
                           ("val_accuracy", val_acc), ("lr", lr)):
            history[key].append(float(value))
        bar.set_postfix(loss=f"{total / len(x):.4f}", val_acc=f"{val_acc:.4f}")
        log.log(progress.step_level(), "%s epoch %d/%d: loss %.4f, val accuracy %.4f", desc,
                epoch, config.epochs, total / len(x), val_acc)
        minutes = (time.monotonic() - started) / 60.0
        if config.max_minutes is not None and minutes >= config.max_minutes and \
                epoch < config.epochs:
            log.warning("%s: stopped after epoch %d of %d, at its time budget of %g min "
                        "(max_minutes)", desc, epoch, config.epochs, config.max_minutes)
            break
    return history


def _scheduler(optimiser: torch.optim.Optimizer, config: TrainConfig):
    if config.scheduler == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=config.epochs)
    if config.scheduler == "step":
        return torch.optim.lr_scheduler.StepLR(optimiser, step_size=max(1, config.epochs // 3),
                                               gamma=0.3)
    return None
