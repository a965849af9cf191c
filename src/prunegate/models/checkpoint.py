"""Saving and loading models safely: ``{name, arch, structure, state_dict, masks}`` under
weights_only=True. A custom model's ``arch`` is its factory's import path and arguments: no class
is pickled. ``structure`` holds the size attributes pruning changed (structure.py)."""

import io
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from prunegate.atomic import write_atomic
from prunegate.errors import ConfigError, DataError
from prunegate.models.custom import SOURCE, build_custom
from prunegate.models.structure import restore_structure, structure_record
from prunegate.models.zoo import build_model, model_name

FORMAT = "prunegate.checkpoint/1"


@dataclass
class Checkpoint:
    """A model and the pruning masks that later training must keep (empty: nothing to keep)."""

    model: nn.Module
    masks: dict[str, torch.Tensor] = field(default_factory=dict)


def save_checkpoint(checkpoint: Checkpoint, path: str | Path) -> None:
    """Write atomically: a crash mid-write never leaves a half file where a later stage reads."""
    model = checkpoint.model
    name = model_name(model)
    # a zoo model is rebuilt from its widths, a custom one from its factory and arguments
    arch = getattr(model, SOURCE) if name == "custom" else model.arch()
    payload = {"format": FORMAT, "name": name, "arch": arch,
               "structure": structure_record(model), "state_dict": model.state_dict(),
               "masks": dict(checkpoint.masks)}
    # serialised in memory first: torch.save's own file writer turns "disk full" or "file too
    # large" into an opaque RuntimeError, a plain write raises the OSError that names it
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    write_atomic(path, lambda tmp: tmp.write_bytes(buffer.getvalue()))


def load_checkpoint(path: str | Path) -> Checkpoint:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"model file {path} is missing: run the stage that writes it first.")
    def corrupt(error: Exception) -> DataError:
        return DataError(f"model file {path} is corrupt or not a prunegate checkpoint ({error}). "
                         "Delete it and re-run the stage that writes it.")

    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        if "Weights only load failed" not in str(error):
            raise corrupt(error) from error
        raise DataError(f"model file {path} holds pickled objects, which prunegate never "
                        "unpickles: loading it could run code. Re-save it as a state dict "
                        "(prunegate checkpoints hold only tensors and plain values).") from error
    except Exception as error:
        raise corrupt(error) from error
    try:
        if payload["name"] == "custom":
            model = build_custom(payload["arch"]["factory"], payload["arch"]["kwargs"],
                                 inputs=tuple(payload["arch"].get("inputs", ())))
        else:
            model = build_model(payload["name"], **payload["arch"])
        # pruned narrower than the factory builds: the saved shapes and sizes replace its own
        restore_structure(model, payload["state_dict"], payload.get("structure"))
        model.load_state_dict(payload["state_dict"])
    except ConfigError:
        raise  # the factory no longer imports: that message names the fix
    except Exception as error:
        raise corrupt(error) from error
    return Checkpoint(model, payload.get("masks", {}))
