"""A model's structure record: the size attributes its tensors cannot tell.

Structured pruning changes more than tensor shapes. A depthwise convolution keeps
``groups == channels`` (16 after pruning 32 → 16, which a [16, 1, 3, 3] weight alone cannot say:
it fits groups=16 with 16 inputs or groups=1 with 1 input), and an attention layer's head count
and head width change with its q/k/v projections. A checkpoint therefore stores, beside the
state dict, every module's size attributes; loading rebuilds the model from its factory or the
zoo at the original sizes, gives each tensor its saved shape and each module its saved sizes.
"""

from typing import Any

import torch
from torch import nn

# size attributes of torch's own layers, read by their forward or by ONNX export
SIZES = ("in_channels", "out_channels", "groups", "in_features", "out_features",
         "num_features", "normalized_shape", "num_embeddings", "embedding_dim", "num_groups",
         "num_channels", "embed_dim", "kdim", "vdim")
# the head sizes attention layers keep as plain attributes: ours and timm's (num_heads,
# head_dim), torch's MultiheadAttention (num_heads, head_dim), Hugging Face's (the rest)
HEADS = ("num_heads", "head_dim", "num_attention_heads", "attention_head_size", "all_head_size",
         "num_key_value_heads")
Record = dict[str, dict[str, Any]]


def structure_record(model: nn.Module) -> Record:
    """{module name: {attribute: value}} for every size attribute a module has (ints and
    tuples of ints: plain values that load under ``weights_only``)."""
    record: Record = {}
    for name, module in model.named_modules():
        sizes = {key: _plain(getattr(module, key)) for key in (*SIZES, *HEADS)
                 if _is_size(getattr(module, key, None))}
        if sizes:
            record[name] = sizes
    return record


def restore_structure(model: nn.Module, state: dict[str, torch.Tensor],
                      record: Record | None) -> None:
    """Resize ``model``'s tensors to ``state``'s and set its modules' sizes from ``record``
    (without one, an older checkpoint's, the sizes the weights imply)."""
    resized = _fit_tensors(model, state)
    if record is None:
        for module in resized:
            _sync_sizes(module)
        return
    modules = dict(model.named_modules())
    for name, sizes in record.items():
        module = modules.get(name)
        if module is None:
            continue  # a block the pruning dropped: the state dict has none of it either
        for key, value in sizes.items():
            setattr(module, key, tuple(value) if isinstance(value, list) else value)


def _is_size(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, tuple | torch.Size) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in value)


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple | torch.Size) else value


def _fit_tensors(model: nn.Module, state: dict[str, torch.Tensor]) -> set[nn.Module]:
    """Give every parameter and buffer the shape it has in ``state``; the modules changed."""
    resized = set()
    for name, tensor in state.items():
        owner, _, attr = name.rpartition(".")
        try:
            module = model.get_submodule(owner)
        except AttributeError:
            continue  # load_state_dict names what does not fit
        current = getattr(module, attr, None)
        if not isinstance(current, torch.Tensor) or current.shape == tensor.shape:
            continue
        if isinstance(current, nn.Parameter):
            setattr(module, attr, nn.Parameter(torch.empty_like(tensor),
                                               requires_grad=current.requires_grad))
        else:
            module.register_buffer(attr, torch.empty_like(tensor))
        resized.add(module)
    return resized


def _sync_sizes(module: nn.Module) -> None:
    """The size attributes the new weights imply (no record: ungrouped layers only)."""
    weight = getattr(module, "weight", None)
    if isinstance(module, nn.Linear):
        module.out_features, module.in_features = weight.shape
    elif isinstance(module, nn.modules.conv._ConvNd):
        module.out_channels, module.in_channels = weight.shape[0], weight.shape[1] * module.groups
    elif isinstance(module, nn.modules.batchnorm._NormBase):
        module.num_features = module.running_mean.shape[0] if weight is None else weight.shape[0]
    elif isinstance(module, nn.LayerNorm):
        module.normalized_shape = tuple(weight.shape)
    elif isinstance(module, nn.Embedding):
        module.num_embeddings, module.embedding_dim = weight.shape
