"""Saving and loading zoo models safely: ``{arch, state_dict, masks}`` under weights_only=True."""

import os
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from prunegate.errors import DataError
from prunegate.models.zoo import build_model, model_name

FORMAT = "prunegate.checkpoint/1"


@dataclass
class Checkpoint:
    """A model and the pruning masks that later training must keep (empty: nothing to keep)."""

    model: nn.Module
    masks: dict[str, torch.Tensor] = field(default_factory=dict)


def save_checkpoint(checkpoint: Checkpoint, path: str | Path) -> None:
    """Write atomically: a crash mid-write never leaves a half file where a later stage reads."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = checkpoint.model
    payload = {"format": FORMAT, "name": model_name(model), "arch": model.arch(),
               "state_dict": model.state_dict(), "masks": dict(checkpoint.masks)}
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str | Path) -> Checkpoint:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"model file {path} is missing: run the stage that writes it first.")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        model = build_model(payload["name"], **payload["arch"])
        model.load_state_dict(payload["state_dict"])
    except Exception as error:
        raise DataError(f"model file {path} is corrupt or not a prunegate checkpoint ({error}). "
                        "Delete it and re-run the stage that writes it.") from error
    return Checkpoint(model, payload.get("masks", {}))
