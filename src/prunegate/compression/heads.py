"""Attention layers for structured pruning: find their heads, and keep their sizes true after.

An attention layer reshapes its q/k/v projection to (heads, head width). Narrowing the
projection by arbitrary channels breaks that reshape, so Torch-Pruning is told each layer's head
count and removes whole heads; afterwards the layer's own ``num_heads``/``head_dim`` attributes
must say how many remain. Three conventions are recognised: a fused ``qkv`` Linear beside
``num_heads`` (prunegate's zoo ViT and timm's ViT); ``query``/``key``/``value`` Linears beside
``num_attention_heads`` (Hugging Face's BERT family); and ``q_proj``/``k_proj``/``v_proj``
beside ``head_dim`` (Hugging Face's newer models, ViT among them in transformers 5, whose forward
infers the head count from ``head_dim``). Anything else is left to the forward check in
structured.py, which keeps a layer unpruned when pruning it breaks its module.
"""

from torch import nn

QKV = ("query", "key", "value")
PROJ = ("q_proj", "k_proj", "v_proj")


def attention_heads(model: nn.Module) -> dict[nn.Module, int]:
    """Each q/k/v projection of every recognised attention layer, with its layer's head count."""
    heads: dict[nn.Module, int] = {}
    for module in model.modules():
        if _fused(module):
            heads[module.qkv] = module.num_heads
        elif _separate(module):
            heads.update({getattr(module, p): module.num_attention_heads for p in QKV})
        elif _projections(module):
            count = module.q_proj.out_features // module.head_dim
            heads.update({getattr(module, p): count for p in PROJ})
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
        elif _projections(module) and module.q_proj in remaining:
            for name in ("num_heads", "num_attention_heads"):
                if _count(module, name):
                    setattr(module, name, remaining[module.q_proj])


def _fused(module: nn.Module) -> bool:
    return isinstance(getattr(module, "qkv", None), nn.Linear) and _count(module, "num_heads")


def _separate(module: nn.Module) -> bool:
    return (all(isinstance(getattr(module, p, None), nn.Linear) for p in QKV)
            and _count(module, "num_attention_heads"))


def _projections(module: nn.Module) -> bool:
    """q/k/v projections of equal width in whole heads (grouped-query attention, with fewer
    key/value heads, is not recognised)."""
    layers = [getattr(module, p, None) for p in PROJ]
    return (all(isinstance(m, nn.Linear) for m in layers) and _count(module, "head_dim")
            and len({m.out_features for m in layers}) == 1
            and layers[0].out_features % module.head_dim == 0)


def _count(module: nn.Module, attribute: str) -> bool:
    value = getattr(module, attribute, None)
    return isinstance(value, int) and not isinstance(value, bool) and value > 0
