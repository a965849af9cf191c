"""Is a structurally pruned model still a model? A forward pass that names the layer that broke.

Torch-Pruning follows the data flow it traced, but a module's forward can hold assumptions the
trace cannot see: a reshape to a fixed width, a channel count kept in a plain attribute. A
model that no longer runs must fail here, at pruning, naming the layer, not two stages later
in fine-tuning with a raw traceback.
"""

from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class Broken:
    module: str  # the innermost module whose forward raised ("" is the model's own forward)
    error: str


@torch.no_grad()
def first_break(model: nn.Module, example_input: torch.Tensor) -> Broken | None:
    """Run a batch of two samples; None if it runs and the output keeps its batch size."""
    names = {m: n for n, m in model.named_modules()}
    entered: list[str] = []

    def enter(module, _inputs) -> None:
        entered.append(names[module])

    def leave(_module, _inputs, _output) -> None:  # returns None: the output stays as it is
        entered.pop()

    hooks = [m.register_forward_pre_hook(enter) for m in names]
    hooks += [m.register_forward_hook(leave) for m in names]
    was_training = model.training
    model.eval()
    try:
        out = model(torch.cat([example_input[:1]] * 2))
    except Exception as error:  # any failure is the finding; it is reported, not swallowed
        return Broken(entered[-1] if entered else "", f"{type(error).__name__}: {error}")
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    if not isinstance(out, torch.Tensor) or out.shape[0] != 2:
        return Broken("", f"the output is {getattr(out, 'shape', type(out).__name__)} for a "
                          "batch of 2")
    return None


def layers_within(model: nn.Module, module: str, prunable: list[str]) -> list[str]:
    """The prunable layers at or below ``module``: the ones to leave unpruned when it broke."""
    if module == "":
        return []  # the model's own forward: no smaller part to blame
    return [n for n in prunable if n == module or n.startswith(module + ".")]
