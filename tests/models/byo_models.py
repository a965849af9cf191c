"""Factories a user might write, for the bring-your-own-model tests (imported by path)."""

from torch import nn


def tabular_net(in_features: int, num_classes: int, width: int = 32) -> nn.Module:
    """No `classifier` attribute: the head is found as the last layer."""
    return nn.Sequential(nn.Linear(in_features, width), nn.ReLU(), nn.Linear(width, width),
                         nn.ReLU(), nn.Linear(width, num_classes))


def tiny_cnn(input_shape, num_classes: int) -> nn.Module:
    channels, height, width = input_shape
    return nn.Sequential(nn.Conv2d(channels, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(8 * (height // 2) * (width // 2), num_classes))


def fixed_three_classes() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(4, 3))


NOT_CALLABLE = 3


def depthwise_cnn(input_shape, num_classes: int, width: int = 16) -> nn.Module:
    """MobileNet's pattern: a depthwise conv (groups == channels) between two pointwise ones."""
    channels = input_shape[0]
    return nn.Sequential(
        nn.Conv2d(channels, width, 1), nn.BatchNorm2d(width), nn.ReLU6(),
        nn.Conv2d(width, width, 3, padding=1, groups=width), nn.BatchNorm2d(width), nn.ReLU6(),
        nn.Conv2d(width, 8, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, num_classes))
