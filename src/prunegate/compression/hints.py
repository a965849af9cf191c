"""Feature (hint) distillation (Romero et al. 2015, FitNets): the student's intermediate outputs
are pulled towards the teacher's, through a learned projection where the widths differ.

A pruned or smaller student is narrower than its teacher, so its hint layer cannot be compared
with the teacher's directly: a bias-free Linear (for (N, d) outputs) or 1×1 Conv (for (N, C, H, W)
outputs) maps the student's width onto the teacher's. It is trained with the student and thrown
away afterwards; the deployed model never contains it.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn
from torch.nn import functional as F

from prunegate.errors import ConfigError

Pairs = list[tuple[str, str]]  # (student module, teacher module)


@contextmanager
def tapped(model: nn.Module, names: list[str]) -> Iterator[dict[str, torch.Tensor]]:
    """While open, the returned dict holds the latest output of each named module."""
    require_modules(model, names)
    modules = dict(model.named_modules())
    outputs: dict[str, torch.Tensor] = {}

    def keep(name):
        def hook(module, inputs, output):
            outputs[name] = output
        return hook

    handles = [modules[n].register_forward_hook(keep(n)) for n in names]
    try:
        yield outputs
    finally:
        for handle in handles:
            handle.remove()


def require_modules(model: nn.Module, names: list[str]) -> None:
    modules = [n for n, _ in model.named_modules() if n]
    missing = [n for n in names if n not in modules]
    if missing:
        raise ConfigError(f"distill.features names no module of {type(model).__name__}: "
                          f"{', '.join(missing)}. Its modules: {', '.join(modules)}.")


def projections(student: nn.Module, teacher: nn.Module, pairs: Pairs,
                example: torch.Tensor) -> nn.ModuleList:
    """One projection per pair, sized by running ``example`` through both models."""
    with tapped(student, [s for s, _ in pairs]) as s_out, \
            tapped(teacher, [t for _, t in pairs]) as t_out, torch.no_grad():
        student.eval()
        teacher.eval()
        student(example)
        teacher(example)
    layers = []
    for s, t in pairs:
        a, b = s_out[s].shape, t_out[t].shape
        if len(a) != len(b) or a[2:] != b[2:]:
            raise ConfigError(f"distill.features pair [{s}, {t}]: the outputs {tuple(a[1:])} and "
                              f"{tuple(b[1:])} differ in more than the width; pick layers whose "
                              "outputs have the same spatial size.")
        if a[1] == b[1]:
            layers.append(nn.Identity())
        elif len(a) == 2:
            layers.append(nn.Linear(a[1], b[1], bias=False))
        else:
            layers.append(nn.Conv2d(a[1], b[1], 1, bias=False))
    return nn.ModuleList(layers)


def hint_loss(student_outputs: list[torch.Tensor], teacher_outputs: list[torch.Tensor],
              project: nn.ModuleList) -> torch.Tensor:
    """Mean over the pairs of MSE(projection(student output), teacher output)."""
    terms = [F.mse_loss(p(s), t.detach())
             for s, t, p in zip(student_outputs, teacher_outputs, project, strict=True)]
    return torch.stack(terms).mean()
