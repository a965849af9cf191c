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
