"""Neuron and channel (structured) pruning with Torch-Pruning's dependency graph.

Removing an output neuron of one layer must remove the matching input of the next (and, for a conv
followed by flatten, a whole block of fc inputs). Torch-Pruning tracks those couplings; we only
tell it how important each neuron is, from any weight criterion: a neuron's score is the mean of
its group's weight scores (its row, and its columns downstream).
"""

import copy
import logging

import torch
import torch_pruning as tp
from torch import nn
from torch_pruning.pruner import function

from prunegate.compression.heads import attention_heads, sync_heads_
from prunegate.compression.safety import Broken, first_break, layers_within
from prunegate.errors import ConfigError
from prunegate.onnx_io.export import export_onnx

log = logging.getLogger(__name__)


class ScoreImportance(tp.importance.GroupMagnitudeImportance):
    """Group importance from per-weight scores carried in each weight's ``.grad``.

    Carrying them as the gradient is deliberate: Torch-Pruning slices ``.grad`` together with the
    weight at every step, so the scores of a layer stay aligned after its neighbours shrank.
    """

    def __init__(self) -> None:
        super().__init__(p=1, group_reduction="mean", normalizer="mean",
                         target_types=[nn.modules.conv._ConvNd, nn.Linear])

    @torch.no_grad()
    def __call__(self, group):
        imps, roots = [], []
        for i, (dep, idxs) in enumerate(group):
            layer, fn = dep.layer, dep.pruning_fn
            if not isinstance(layer, tuple(self.target_types)) or layer.weight.grad is None:
                continue
            score = layer.weight.grad
            if fn in (function.prune_conv_out_channels, function.prune_linear_out_channels):
                imps.append(score[idxs].flatten(1).sum(1))
            elif fn in (function.prune_conv_in_channels, function.prune_linear_in_channels):
                imps.append(score.transpose(0, 1).flatten(1).sum(1)[idxs])
            else:
                continue
            roots.append(group[i].root_idxs)
        if not imps:
            return None
        return self._normalize(self._reduce(imps, roots), self.normalizer)


def prune_structured_(model: nn.Module, scores: dict[str, torch.Tensor], sparsity: float,
                      scope: str, max_layer: float, skip: list[str],
                      example_input: torch.Tensor,
                      ratios: dict[str, float] | None = None,
                      round_to: int | None = None) -> list[str]:
    """Remove ``sparsity`` of the neurons/channels: of each layer (local) or of all prunable
    layers together, at most ``max_layer`` of any one (global). ``ratios`` instead gives each
    named layer its own fraction (the others keep every neuron); ``round_to`` keeps every width
    a multiple of it. Attention layers lose whole heads (heads.py). Layers and ``skip`` are
    named as in ``model.named_modules()``.

    Each pruning is tried on a copy first. Where the pruned copy no longer runs, the layers
    inside the module that broke are left unpruned and the pruning is tried again; those layers
    are returned (the report lists them). A break no layer can be blamed for is a ConfigError.
    """
    if ratios is not None:
        ratios = {name: r for name, r in ratios.items() if r > 0}
    if sparsity == 0 and not ratios:
        return []
    prunable = [n for n, _ in prunable_layers(model)]
    unsafe: list[str] = []
    while True:
        trial = copy.deepcopy(model)
        _prune_once(trial, scores, sparsity, scope, max_layer, [*skip, *unsafe],
                    example_input, ratios, round_to)
        broken = first_break(trial, example_input)
        if broken is None:
            _require_export(trial, example_input)
            break
        unsafe += _to_leave(model, broken, prunable, [*skip, *unsafe])
        log.warning("structured pruning broke %s (%s): leaving %s unpruned", broken.module or
                    "the model's forward", broken.error, ", ".join(unsafe))
    _prune_once(model, scores, sparsity, scope, max_layer, [*skip, *unsafe], example_input,
                ratios, round_to)
    return unsafe


def _require_export(model: nn.Module, example_input: torch.Tensor) -> None:
    """The pruned model must still become the deployable: export it now, not stages later."""
    try:
        export_onnx(model, tuple(example_input.shape[1:]), example_input)
    except Exception as error:  # noqa: BLE001 - any exporter failure is the finding
        raise ConfigError(
            f"structured pruning (granularity 'neurons') leaves {type(model).__name__} "
            f"running in torch but unable to export to ONNX ({type(error).__name__}: "
            f"{str(error).splitlines()[0][:300]}). Use prune.granularity 'weights', or list "
            "the layers whose width the export cannot follow in prune.skip_layers.") from error


def prunable_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Every Linear and convolution: the layers whose neurons/channels can be removed."""
    return [(n, m) for n, m in model.named_modules()
            if isinstance(m, nn.Linear | nn.modules.conv._ConvNd)]


def _to_leave(model: nn.Module, broken: Broken, prunable: list[str],
              left: list[str]) -> list[str]:
    """The layers in the innermost module around the break that are still pruned."""
    culprit = broken.module
    while True:
        new = [n for n in layers_within(model, culprit, prunable) if n not in left]
        if new:
            return new
        if culprit == "":
            raise ConfigError(
                f"structured pruning (granularity 'neurons') leaves {type(model).__name__} "
                f"unable to run, and no layer can be left out to avoid it: "
                f"{broken.module or 'its forward'} fails with {broken.error}. Use "
                "prune.granularity 'weights', or list the layers that feed it in "
                "prune.skip_layers.")
        culprit = culprit.rpartition(".")[0]


def _prune_once(model: nn.Module, scores: dict[str, torch.Tensor], sparsity: float,
                scope: str, max_layer: float, skip: list[str], example_input: torch.Tensor,
                ratios: dict[str, float] | None, round_to: int | None) -> None:
    modules = dict(model.named_modules())
    heads = attention_heads(model)
    model.eval()
    try:
        for name, score in scores.items():
            modules[name].weight.grad = score.clone()
        # Torch-Pruning keeps int(n·(1 − r)) units, and in floats 300·(1 − 0.92) is 23.99999:
        # the nudge makes a ratio keep the width it names (24), never one more
        per_layer = ({modules[n]: max(0.0, r - 1e-9) for n, r in ratios.items()} if ratios
                     else None)
        pruner = tp.pruner.MetaPruner(
            model, example_input, importance=ScoreImportance(),
            pruning_ratio=0.0 if per_layer else sparsity, pruning_ratio_dict=per_layer,
            global_pruning=scope == "global" and not per_layer, max_pruning_ratio=max_layer,
            ignored_layers=[modules[n] for n in skip], round_to=round_to,
            # whole heads, at the layer's own ratio; Torch-Pruning's defaults for these two
            # are shared dicts it mutates, so fresh ones are passed every time
            num_heads=dict(heads), out_channel_groups={}, prune_num_heads=bool(heads),
            prune_head_dims=False, head_pruning_ratio=0.0 if per_layer else sparsity,
            unwrapped_parameters=_unwrapped(model))
        pruner.step()
        sync_heads_(model, pruner.num_heads)
    finally:
        model.zero_grad(set_to_none=True)


def _unwrapped(model: nn.Module) -> list[tuple[nn.Parameter, int]]:
    """Parameters held by a module beside its layers (a ViT's ``cls_token`` and ``pos_embed``):
    their last dimension is the embedding width, which pruning it narrows. Torch-Pruning
    assumes so too, but warns on every call unless told."""
    layers = (nn.Linear, nn.modules.conv._ConvNd, nn.LayerNorm, nn.modules.batchnorm._BatchNorm,
              nn.Embedding)
    return [(p, p.dim() - 1) for m in model.modules() if not isinstance(m, layers)
            for p in m.parameters(recurse=False) if p.dim() > 1]

