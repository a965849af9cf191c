"""Bring your own model: an import path to a factory, and trained weights loaded safely.

``model.factory: "my_pkg.models:build"`` names any callable that returns an ``nn.Module``. If it
takes ``input_shape``, ``in_features``, ``in_channels`` or ``num_classes`` and the config does not
set them, they are filled in from the data. The model remembers its factory and arguments
(``prunegate_source``), so a checkpoint rebuilds it without pickling the class.
"""

import inspect
import io
import math
import pickle
import pkgutil
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from prunegate.errors import ConfigError, DataError

SOURCE = "prunegate_source"


def resolve_factory(path: str) -> Callable[..., nn.Module]:
    """``"package.module:callable"`` imported, or a ConfigError that says what to fix."""
    module_name, _, attr = str(path).partition(":")
    if not module_name or not attr:
        raise ConfigError(f"model.factory '{path}' must be 'package.module:callable', e.g. "
                          "'my_pkg.models:build'.")
    try:
        target = pkgutil.resolve_name(f"{module_name}:{attr}")
    except AttributeError:
        module = sys.modules.get(module_name)
        public = sorted(n for n in dir(module) if not n.startswith("_")) if module else []
        raise ConfigError(f"model.factory '{path}': '{module_name}' has no '{attr}'. It "
                          f"defines: {', '.join(public[:20])}.") from None
    except ImportError as error:
        raise ConfigError(f"model.factory '{path}': cannot import '{module_name}' ({error}). "
                          "Install the package that holds it in this environment (pip install "
                          "-e <your package>) or fix the path.") from error
    except Exception as error:  # noqa: BLE001 - the package's own import code failed
        # e.g. a torchvision wheel built for CUDA beside CPU torch: "operator torchvision::nms
        # does not exist" while importing, before any model is built
        raise ConfigError(f"model.factory '{path}': importing '{module_name}' fails "
                          f"({type(error).__name__}: {str(error).splitlines()[0]}). The package "
                          "is installed but broken in this environment: reinstall a build that "
                          "matches the installed torch (CPU or CUDA).") from error
    if not callable(target):
        raise ConfigError(f"model.factory '{path}' is a {type(target).__name__}, not a callable "
                          "that returns an nn.Module.")
    return target


def data_args(input_shape: tuple[int, ...], num_classes: int,
              tokens: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a model may take from the data. Token data (``tokens``: the split's input names
    and vocabulary size) adds ``seq_len`` and ``vocab_size``."""
    args = {"input_shape": list(input_shape), "in_features": math.prod(input_shape),
            "in_channels": input_shape[0], "num_classes": num_classes}
    if tokens:
        args.update(seq_len=int(input_shape[-1]), vocab_size=int(tokens["vocab_size"]))
    return args


class NamedInputs(nn.Module):
    """A model called with named inputs (Hugging Face: ``model(input_ids=..., attention_mask=
    ...)``), adapted to the packed sample prunegate carries (onnx_io/inputs.py). A model output
    with ``logits`` (a ModelOutput) or a tuple gives its logits."""

    def __init__(self, model: nn.Module, names: tuple[str, ...]):
        super().__init__()
        self.model, self.input_names = model, tuple(names)
        self.input_dtype = torch.int64  # token ids and masks

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_inputs(*x.unbind(1))

    def forward_inputs(self, *inputs: torch.Tensor) -> torch.Tensor:
        out = self.model(**dict(zip(self.input_names, inputs, strict=True)))
        if hasattr(out, "logits"):
            return out.logits
        return out[0] if isinstance(out, tuple) else out


def build_custom(factory: str, kwargs: dict[str, Any] | None = None,
                 inferred: dict[str, Any] | None = None,
                 inputs: tuple[str, ...] = ()) -> nn.Module:
    """The factory's model; arguments it takes from ``inferred`` (``data_args``) are filled in
    unless ``kwargs`` sets them. With several ``inputs`` (token data) a model that does not
    declare its own ``input_names`` is called with them by name (``NamedInputs``)."""
    build = resolve_factory(factory)
    kwargs = dict(kwargs or {})
    try:
        accepted = inspect.signature(build).parameters
    except (TypeError, ValueError):  # some builtins have no signature: pass only kwargs
        accepted = {}
    args = {**{k: v for k, v in (inferred or {}).items() if k in accepted}, **kwargs}
    try:
        model = build(**args)
    except Exception as error:
        raise ConfigError(f"model.factory '{factory}' failed with arguments {args}: "
                          f"{type(error).__name__}: {error}. Fix model.kwargs.") from error
    if not isinstance(model, nn.Module):
        raise ConfigError(f"model.factory '{factory}' returned a {type(model).__name__}, not a "
                          "torch.nn.Module.")
    source = {"factory": factory, "kwargs": args}
    if len(inputs) > 1 and not getattr(model, "input_names", None):
        model, source["inputs"] = NamedInputs(model, inputs), list(inputs)
    setattr(model, SOURCE, source)
    return model


def load_weights(model: nn.Module, path: str | Path, allow_pickle: bool = False) -> None:
    """Trained weights into ``model``: a state dict (torch.load with weights_only=True), a
    TorchScript archive or an ONNX file whose initializers carry the parameter names. A pickled
    object is refused unless ``allow_pickle`` (unpickling runs the file's code)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"model.weights {path} does not exist. Fix the path.")
    state = _read_state(path, allow_pickle)
    if isinstance(model, NamedInputs):  # the user's weights are the wrapped model's
        model = model.model
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    wrong = [f"{k} {tuple(state[k].shape)} vs {tuple(v.shape)}" for k, v in expected.items()
             if k in state and tuple(state[k].shape) != tuple(v.shape)]
    if missing or wrong:
        problem = (f"lacks {missing[:4]}" if missing else f"has other shapes: {wrong[:4]}")
        raise DataError(f"model.weights {path} does not fit the model: it {problem}. Save the "
                        "weights of this architecture (model.state_dict()), or fix model.kwargs.")
    model.load_state_dict({k: state[k] for k in expected})


def _read_state(path: Path, allow_pickle: bool) -> dict[str, torch.Tensor]:
    if path.suffix == ".onnx":
        import onnx
        from onnx import numpy_helper

        try:
            graph = onnx.load(path).graph
        except Exception as error:
            raise DataError(f"model.weights {path} is not a readable ONNX file ({error}).") \
                from error
        return {i.name: torch.from_numpy(numpy_helper.to_array(i).copy())
                for i in graph.initializer}
    if zipfile.is_zipfile(path) and any("/code/" in n for n in zipfile.ZipFile(path).namelist()):
        return dict(torch.jit.load(path, map_location="cpu").state_dict())
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        if not allow_pickle:
            raise DataError(f"model.weights {path} holds pickled objects, which prunegate does "
                            "not unpickle by default: loading it could run code. Save "
                            "model.state_dict() instead, or set model.allow_pickle: true if you "
                            "trust the file.") from error
        loaded = torch.load(io.BytesIO(path.read_bytes()), map_location="cpu",
                            weights_only=False)
    except Exception as error:
        raise DataError(f"model.weights {path} is not a torch file ({error}).") from error
    if isinstance(loaded, nn.Module):
        return dict(loaded.state_dict())
    if isinstance(loaded, dict) and isinstance(loaded.get("state_dict"), dict):
        loaded = loaded["state_dict"]  # a prunegate checkpoint, or a trainer's
    if not isinstance(loaded, dict):
        raise DataError(f"model.weights {path} holds a {type(loaded).__name__}, not a state "
                        "dict.")
    return loaded

