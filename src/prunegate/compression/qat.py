"""Quantization-aware training: fake int8 in torch, with the quantizer ONNX Runtime will use.

While ``fake_quantized(model)`` is open, every Linear/Conv sees its input and weight rounded to
int8 and back, with straight-through gradients, so training learns weights that survive the
rounding. The scheme copies ONNX Runtime's static QDQ quantizer exactly: weights symmetric int8
in [-127, 127] with scale max|w|/127 (per tensor, or per output channel), activations asymmetric
int8 in [-128, 127] over [min(x, 0), max(x, 0)]. Because the weights are trained on ORT's own grid,
``quantize_static`` later reproduces them without further loss; the activation ranges it
calibrates are the ranges the model was trained under.

Forward methods are swapped on the instances rather than parametrized, so parameter names (and
the pruning masks keyed by them) stay as they are: QAT composes with pruning (mode ``qap``).
"""

import copy
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from prunegate.models import Checkpoint
from prunegate.training.loop import TrainConfig, fit

QUANTIZED = (nn.Linear, nn.Conv2d)


class ActivationRange(nn.Module):
    """Running [min, max] of a tensor (always including 0), averaged with ``momentum``."""

    def __init__(self, momentum: float = 0.9):
        super().__init__()
        self.momentum = momentum
        self.low: torch.Tensor | None = None
        self.high: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training or self.low is None:
            low, high = x.detach().min().clamp(max=0), x.detach().max().clamp(min=0)
            if self.low is None:
                self.low, self.high = low, high
            else:
                self.low = self.momentum * self.low + (1 - self.momentum) * low
                self.high = self.momentum * self.high + (1 - self.momentum) * high
        scale = ((self.high - self.low) / 255).clamp(min=1e-8)
        zero_point = torch.round(-128 - self.low / scale).clamp(-128, 127).to(torch.int32)
        return torch.fake_quantize_per_tensor_affine(x, scale, zero_point, -128, 127)


def fake_quant_weight(weight: torch.Tensor, per_channel: bool) -> torch.Tensor:
    """Symmetric int8 fake quantization, ORT's weight scheme."""
    if per_channel:
        absmax = weight.detach().abs().flatten(1).max(dim=1).values
        scale = (absmax / 127).clamp(min=1e-8)
        zero = torch.zeros_like(scale, dtype=torch.int32)
        return torch.fake_quantize_per_channel_affine(weight, scale, zero, 0, -127, 127)
    scale = (weight.detach().abs().max() / 127).clamp(min=1e-8)
    return torch.fake_quantize_per_tensor_affine(weight, scale, torch.zeros((), dtype=torch.int32),
                                                 -127, 127)


def _forward(module: nn.Module, observe: ActivationRange, per_channel: bool):
    def forward(x: torch.Tensor) -> torch.Tensor:
        observe.train(module.training)
        x, w = observe(x), fake_quant_weight(module.weight, per_channel)
        if isinstance(module, nn.Conv2d):
            return module._conv_forward(x, w, module.bias)
        return F.linear(x, w, module.bias)
    return forward


@contextmanager
def fake_quantized(model: nn.Module,
                   per_channel: bool = False) -> Iterator[dict[str, ActivationRange]]:
    """Fake int8 on every Linear/Conv of ``model`` while open; yields the activation ranges."""
    ranges: dict[str, ActivationRange] = {}
    modules = [(n, m) for n, m in model.named_modules() if isinstance(m, QUANTIZED)]
    for name, module in modules:
        ranges[name] = ActivationRange()
        module.forward = _forward(module, ranges[name], per_channel)
    try:
        yield ranges
    finally:
        for _, module in modules:
            del module.forward  # the class's forward again


def quant_aware_context(model: nn.Module, mode: str, per_channel: bool):
    """The fake-int8 context when ``mode`` is quantization-aware pruning, else a no-op: the
    fine-tune and distill stages train under it with quantize.mode 'qap'."""
    return fake_quantized(model, per_channel) if mode == "qap" else nullcontext()


def qat_finetune(checkpoint: Checkpoint, train: dict[str, np.ndarray],
                 val: dict[str, np.ndarray], epochs: int, lr: float, per_channel: bool,
                 seed: int = 0) -> tuple[Checkpoint, dict[str, list[float]]]:
    """A copy of the model fine-tuned under fake int8; pruning masks stay held."""
    model = copy.deepcopy(checkpoint.model)
    with fake_quantized(model, per_channel):
        history = fit(model, train, val, TrainConfig(epochs=epochs, lr=lr, seed=seed),
                      masks=checkpoint.masks, desc="qat")
    return Checkpoint(model, checkpoint.masks), history
