"""Attention layers for structured pruning: find their heads, and keep their sizes true after.

An attention layer reshapes its q/k/v projection to (heads, head width). Narrowing the
projection by arbitrary channels breaks that reshape, so Torch-Pruning is told each layer's head
count and removes whole heads; afterwards the layer's own ``num_heads``/``head_dim`` attributes
must say how many remain. Two conventions are recognised: a fused ``qkv`` Linear beside
``num_heads`` (prunegate's zoo ViT and timm's ViT), and ``query``/``key``/``value`` Linears
beside ``num_attention_heads`` (Hugging Face's BERT family).
"""

from torch import nn

QKV = ("query", "key", "value")


def attention_heads(model: nn.Module) -> dict[nn.Module, int]:
    """Each q/k/v projection of every recognised attention layer, with its layer's head count."""
    heads: dict[nn.Module, int] = {}
    for module in model.modules():
        if _fused(module):
            heads[module.qkv] = module.num_heads
        elif _separate(module):
            heads.update({getattr(module, p): module.num_attention_heads for p in QKV})
    return heads


def sync_heads_(model: nn.Module, remaining: dict[nn.Module, int]) -> None:
    """Set each attention layer's head count and width from its pruned projections;
    ``remaining`` maps a projection to its head count after pruning."""
    for module in model.modules():
        if _fused(module) and module.qkv in remaining:
            module.num_heads = remaining[module.qkv]
            module.head_dim = module.qkv.out_features // (3 * module.num_heads)
        elif _separate(module) and module.query in remaining:
            module.num_attention_heads = remaining[module.query]
            module.attention_head_size = module.query.out_features // module.num_attention_heads
            module.all_head_size = module.query.out_features


def _fused(module: nn.Module) -> bool:
    return isinstance(getattr(module, "qkv", None), nn.Linear) and _count(module, "num_heads")


def _separate(module: nn.Module) -> bool:
    return (all(isinstance(getattr(module, p, None), nn.Linear) for p in QKV)
            and _count(module, "num_attention_heads"))


def _count(module: nn.Module, attribute: str) -> bool:
    value = getattr(module, attribute, None)
    return isinstance(value, int) and not isinstance(value, bool) and value > 0
