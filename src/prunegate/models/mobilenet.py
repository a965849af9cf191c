"""MobileNetV2 (Sandler et al. 2018), sized for small images: inverted residual blocks of
pointwise expansion → depthwise 3×3 (groups == channels) → pointwise projection, with
optional squeeze-excite (MobileNetV3, EfficientNet). The family whose depthwise groups a pruned
checkpoint must keep (structure.py)."""

from typing import Any

import torch
from torch import nn

# (expansion, output channels, blocks, first stride) per stage, as in the paper's Table 2
STAGES = ((1, 16, 1, 1), (4, 24, 2, 2), (4, 32, 2, 2), (4, 48, 1, 1))


class SqueezeExcite(nn.Module):
    """Channel attention: the block's channels rescaled by a gate computed from their means."""

    def __init__(self, channels: int, reduced: int):
        super().__init__()
        self.reduce = nn.Conv2d(channels, reduced, 1)
        self.expand = nn.Conv2d(reduced, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = torch.sigmoid(self.expand(torch.relu(self.reduce(x.mean((2, 3), keepdim=True)))))
        return x * gate


def _conv_bn(cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1,
             act: bool = True) -> list[nn.Module]:
    layers = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False),
              nn.BatchNorm2d(cout)]
    return layers + [nn.ReLU6()] if act else layers


class InvertedResidual(nn.Module):
    """x + project(depthwise(expand(x))) when the shape is kept, else without the sum."""

    def __init__(self, cin: int, cout: int, expansion: int, stride: int, squeeze: bool):
        super().__init__()
        hidden = cin * expansion
        layers = _conv_bn(cin, hidden, 1) if expansion != 1 else []
        layers += _conv_bn(hidden, hidden, 3, stride, groups=hidden)
        if squeeze:
            layers.append(SqueezeExcite(hidden, max(8, hidden // 4)))
        self.conv = nn.Sequential(*layers, *_conv_bn(hidden, cout, 1, act=False))
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.residual else self.conv(x)


class MobileNetV2Mini(nn.Module):
    """Stem conv → inverted residual stages → 1×1 conv → global average pool → classifier.

    ``width`` scales every stage (the paper's width multiplier); any image size of at least 8×8
    works, since the head pools globally. The stem halves the image (``stem_stride``), as in
    the paper: 28×28 digits go through the stages at 14, 7 and 4 pixels.
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, width: float = 1.0,
                 stem: int = 16, head: int = 128, squeeze: bool = True, stem_stride: int = 2):
        super().__init__()
        self._arch = {"in_channels": in_channels, "num_classes": num_classes, "width": width,
                      "stem": stem, "head": head, "squeeze": squeeze,
                      "stem_stride": stem_stride}
        cin = max(8, round(stem * width))
        layers = _conv_bn(in_channels, cin, 3, stem_stride)
        for expansion, channels, blocks, stride in STAGES:
            cout = max(8, round(channels * width))
            for i in range(blocks):
                layers.append(InvertedResidual(cin, cout, expansion, stride if i == 0 else 1,
                                               squeeze))
                cin = cout
        self.features = nn.Sequential(*layers, *_conv_bn(cin, head, 1))
        self.classifier = nn.Linear(head, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).mean((2, 3)))

    def arch(self) -> dict[str, Any]:
        """The constructor's arguments: pruned widths live in the checkpoint's structure
        record, since one width multiplier cannot describe them."""
        return dict(self._arch)
