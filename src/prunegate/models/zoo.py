"""Models chosen by name in config.

Each model is built from its widths, and reports its current widths with ``arch()``. After
structured pruning shrinks the tensors, ``arch()`` describes the smaller model, so a checkpoint
is ``arch + state_dict`` and loads with ``torch.load(weights_only=True)``: no pickled code.
"""

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from prunegate.errors import ConfigError
from prunegate.models.custom import (
    SOURCE,
    build_custom,
    data_args,
    load_weights,
    resolve_factory,
)
from prunegate.models.mobilenet import MobileNetV2Mini
from prunegate.models.text import TextEncoderMini
from prunegate.models.vit import ViTMini
from prunegate.onnx_io.inputs import example_input
from prunegate.validators import choose

MNIST_SHAPE = (1, 28, 28)


class LeNet300100(nn.Module):
    """LeCun et al.'s LeNet-300-100 MLP; takes (N, 1, 28, 28) so both zoo models share the data."""

    def __init__(self, hidden: tuple[int, ...] = (300, 100), in_features: int = 784,
                 num_classes: int = 10):
        super().__init__()
        widths = [in_features, *hidden]
        layers: list[nn.Module] = [nn.Flatten()]
        for a, b in zip(widths, widths[1:], strict=False):
            layers += [nn.Linear(a, b), nn.ReLU()]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(widths[-1], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))

    def arch(self) -> dict[str, Any]:
        linears = [m for m in self.features if isinstance(m, nn.Linear)]
        return {"hidden": [m.out_features for m in linears],
                "in_features": linears[0].in_features,
                "num_classes": self.classifier.out_features}


class LeNet5(nn.Module):
    """LeNet-5 (conv 5x5 → pool → conv 5x5 → pool → 3 fully connected layers)."""

    def __init__(self, channels: tuple[int, int] = (6, 16), hidden: tuple[int, int] = (120, 84),
                 in_channels: int = 1, num_classes: int = 10):
        super().__init__()
        c1, c2 = channels
        h1, h2 = hidden
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(c2 * 5 * 5, h1), nn.ReLU(), nn.Linear(h1, h2), nn.ReLU(),
        )
        self.classifier = nn.Linear(h2, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))

    def arch(self) -> dict[str, Any]:
        convs = [m for m in self.features if isinstance(m, nn.Conv2d)]
        linears = [m for m in self.features if isinstance(m, nn.Linear)]
        return {"channels": [m.out_channels for m in convs],
                "hidden": [m.out_features for m in linears],
                "in_channels": convs[0].in_channels,
                "num_classes": self.classifier.out_features}


class ResidualBlock(nn.Module):
    """x + conv(relu(conv(x))): shape-preserving, so the whole block can be dropped."""

    def __init__(self, channels: int, width: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, width, 3, padding=1)
        self.conv2 = nn.Conv2d(width, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x + self.conv2(torch.relu(self.conv1(x))))


class ResNetMini(nn.Module):
    """A small residual CNN: conv stem → pool → residual blocks → pool → fc.

    Its blocks are what layer dropping removes; channel pruning narrows each block's inner
    width and (coupled through every residual sum) the stem's channels.
    """

    def __init__(self, channels: int = 16, widths: tuple[int, ...] = (16, 16, 16),
                 in_channels: int = 1, num_classes: int = 10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, channels, 3, padding=1), nn.ReLU(),
                                  nn.MaxPool2d(2))
        self.blocks = nn.Sequential(*[ResidualBlock(channels, w) for w in widths])
        self.head = nn.Sequential(nn.MaxPool2d(2), nn.Flatten())
        self.classifier = nn.Linear(channels * 7 * 7, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.head(self.blocks(self.stem(x))))

    def arch(self) -> dict[str, Any]:
        return {"channels": self.stem[0].out_channels,
                "widths": [b.conv1.out_channels for b in self.blocks],  # [] once all dropped
                "in_channels": self.stem[0].in_channels,
                "num_classes": self.classifier.out_features}


ZOO: dict[str, type[nn.Module]] = {"lenet_300_100": LeNet300100, "lenet5": LeNet5,
                                   "resnet_mini": ResNetMini, "mobilenet_v2_mini": MobileNetV2Mini,
                                   "vit_mini": ViTMini, "text_encoder_mini": TextEncoderMini}
# what each zoo model takes from the data (custom.data_args) unless model.kwargs sets it
IMAGES = ("in_channels", "num_classes")
DATA_ARGS = {"lenet_300_100": ("in_features", "num_classes"), "lenet5": IMAGES,
             "resnet_mini": IMAGES, "mobilenet_v2_mini": IMAGES,
             "vit_mini": ("input_shape", "num_classes"),
             "text_encoder_mini": ("seq_len", "vocab_size", "num_classes")}
TEXT = ("text_encoder_mini",)  # take token data (input_ids, attention_mask); the rest images
FIXED_28 = ("lenet5", "resnet_mini")  # their fully connected layers assume 28×28 images
# architectures with shape-preserving blocks in ``model.blocks``, which layer dropping removes
DROPPABLE = ("resnet_mini", "vit_mini", "text_encoder_mini")


@dataclass
class ModelConfig:
    name: str = "lenet_300_100"  # a zoo model, or "custom": the model `factory` returns
    # constructor arguments, e.g. widths; empty means the architecture's published sizes. Input
    # size and number of classes are inferred from the data unless set here
    kwargs: dict[str, Any] = field(default_factory=dict)
    factory: str | None = None   # name custom: "package.module:callable" returning an nn.Module
    weights: str | None = None   # trained weights to start from: state dict, TorchScript or ONNX
    allow_pickle: bool = False   # let `weights` be a pickle (runs its code: trusted files only)

    def __post_init__(self) -> None:
        choose(self.name, [*ZOO, "custom"], "model.name")
        if not isinstance(self.kwargs, dict):
            raise ConfigError(f"'model.kwargs' must be a mapping, got {self.kwargs!r}.")
        if self.name == "custom" and not self.factory:
            raise ConfigError("model.name 'custom' needs model.factory: the import path of a "
                              "callable that returns your nn.Module ('my_pkg.models:build').")
        if self.factory:
            resolve_factory(self.factory)  # an import path that does not resolve fails here
        if self.factory and self.name != "custom":
            raise ConfigError(f"model.factory is set but model.name is '{self.name}': set "
                              "model.name: custom to use the factory, or remove model.factory.")
        if not isinstance(self.allow_pickle, bool):
            raise ConfigError(f"'model.allow_pickle' must be true or false, got "
                              f"{self.allow_pickle!r}.")
        if self.weights is not None and not Path(self.weights).is_file():
            raise ConfigError(f"model.weights {self.weights} does not exist. Fix the path (it "
                              "is relative to the project folder).")

    def build(self, input_shape: tuple[int, ...], num_classes: int,
              tokens: dict[str, Any] | None = None) -> nn.Module:
        """The model for data of this sample shape and number of classes (and ``tokens``, the
        input names and vocabulary of token data), with ``weights`` loaded; checked to map a
        batch of such samples to one logit per class."""
        inferred = data_args(input_shape, num_classes, tokens)
        if self.name == "custom":
            model = build_custom(self.factory, self.kwargs, inferred,
                                 tuple(tokens["inputs"]) if tokens else ())
        else:
            model = _build_zoo(self.name, {**_zoo_args(self.name, input_shape, inferred,
                                                       bool(tokens)), **self.kwargs})
        check_output(model, input_shape, num_classes, self.factory or self.name)
        if self.weights:
            load_weights(model, self.weights, self.allow_pickle)
        return model


def _zoo_args(name: str, shape: tuple[int, ...], inferred: dict[str, Any],
              tokens: bool) -> dict[str, Any]:
    if tokens and name not in TEXT:
        raise ConfigError(f"model '{name}' takes images or features, and the data are tokens "
                          "(input_ids, attention_mask). Use text_encoder_mini or your own model "
                          "(model.name: custom, model.factory).")
    if name in TEXT and not tokens:
        raise ConfigError(f"model '{name}' takes token data (input_ids, attention_mask: "
                          "prunegate.datasets.TokenDataset or SyntheticTokens), and the data's "
                          f"samples are {tuple(shape)}. Use a zoo model for images or "
                          "features, or your own model (model.name: custom).")
    if tokens:
        return {k: inferred[k] for k in DATA_ARGS[name]}
    if name != "lenet_300_100" and len(shape) != 3:
        raise ConfigError(f"model '{name}' takes (channels, height, width) images, and the "
                          f"data's samples are {tuple(shape)}. Use lenet_300_100 or your own "
                          "model (model.name: custom, model.factory).")
    if name in FIXED_28 and tuple(shape[1:]) != (28, 28):
        raise ConfigError(f"model '{name}' takes (channels, 28, 28) images, and the data's "
                          f"samples are {tuple(shape)}. Resize the images (ImageFolderDataset "
                          "size: [28, 28]), or use lenet_300_100 or your own model "
                          "(model.name: custom, model.factory).")
    return {k: inferred[k] for k in DATA_ARGS[name]}


def _build_zoo(name: str, kwargs: dict[str, Any]) -> nn.Module:
    try:
        return build_model(name, **kwargs)
    except (TypeError, ValueError) as error:  # an unknown or impossible constructor argument
        raise ConfigError(f"model '{name}' cannot be built with {kwargs}: {error}. Fix "
                          "model.kwargs.") from error


def check_output(model: nn.Module, input_shape: tuple[int, ...], num_classes: int,
                 described: str) -> None:
    """One forward pass on zeros: a model that does not take the data or does not return one
    logit per class fails here, before training, with both shapes named."""
    model.eval()
    try:
        with torch.no_grad():
            out = model(example_input(model, input_shape, batch=2))
    except Exception as error:
        raise ConfigError(f"model '{described}' cannot take the data's samples of shape "
                          f"{tuple(input_shape)}: {type(error).__name__}: {error}. Fix "
                          "model.kwargs or the model.") from error
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != (2, num_classes):
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ConfigError(f"model '{described}' returns {got} for a batch of 2 samples; the "
                          f"data has {num_classes} classes, so it must return (2, "
                          f"{num_classes}) logits. Fix its num_classes (model.kwargs).")


def build_model(name: str, **kwargs: Any) -> nn.Module:
    """A fresh model from the zoo, by name."""
    choose(name, list(ZOO), "model.name")
    arch = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    return ZOO[name](**arch)


def model_name(model: nn.Module) -> str:
    """The zoo name, or "custom" for a model from ``model.factory``."""
    if hasattr(model, SOURCE):
        return "custom"
    for name, cls in ZOO.items():
        if type(model) is cls:
            return name
    raise TypeError(f"{type(model).__name__} is not a zoo model")


def fresh_copy(model: nn.Module, seed: int) -> nn.Module:
    """The same architecture, newly initialised from ``seed``: what pruning at init starts from."""
    torch.manual_seed(seed)
    if model_name(model) == "custom" or hasattr(model, "_arch"):  # widths not in arch()
        fresh = copy.deepcopy(model)
        for module in fresh.modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
        return fresh
    return build_model(model_name(model), **model.arch())
