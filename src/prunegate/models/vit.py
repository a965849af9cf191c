"""A small Vision Transformer (Dosovitskiy et al. 2021): patches → tokens → pre-norm encoder
blocks → the class token's features → classifier. The family whose attention heads structured
pruning removes whole (compression/heads.py reads ``qkv`` and ``num_heads``)."""

import math
from typing import Any

import torch
from torch import nn


class Attention(nn.Module):
    """Multi-head self-attention with a fused q/k/v projection, timm's layout.

    ``num_heads`` and ``head_dim`` are attributes the forward reads, so after heads are pruned
    the reshape follows; softmax(q·kᵀ/√d)·v is written out so the ONNX export is plain MatMuls.
    """

    def __init__(self, dim: int, num_heads: int):
        super().__init__()
        self.num_heads, self.head_dim = num_heads, dim // num_heads
        self.qkv = nn.Linear(dim, 3 * num_heads * self.head_dim)
        self.proj = nn.Linear(num_heads * self.head_dim, dim)

    def forward(self, x: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
        """``bias``: added to the attention logits, (batch, 1, 1, tokens); a large negative
        value where a key is padding (the text encoder's attention mask)."""
        batch, tokens, _ = x.shape
        qkv = self.qkv(x).reshape(batch, tokens, 3, self.num_heads, self.head_dim)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        logits = q @ k.transpose(-2, -1) / math.sqrt(self.head_dim)
        weights = torch.softmax(logits if bias is None else logits + bias, dim=-1)
        out = (weights @ v).transpose(1, 2).reshape(batch, tokens, -1)
        return self.proj(out)


class Block(nn.Module):
    """x + attention(norm(x)), then x + mlp(norm(x)): the pre-norm encoder block."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float):
        super().__init__()
        hidden = round(dim * mlp_ratio)
        self.norm1, self.attn = nn.LayerNorm(dim), Attention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
        x = x + self.attn(self.norm1(x), bias)
        return x + self.mlp(self.norm2(x))


class ViTMini(nn.Module):
    """``patch``×``patch`` patches of (C, H, W) images (H and W multiples of ``patch``)."""

    def __init__(self, input_shape: tuple[int, ...] = (1, 28, 28), num_classes: int = 10,
                 patch: int = 7, dim: int = 64, depth: int = 4, num_heads: int = 4,
                 mlp_ratio: float = 2.0):
        super().__init__()
        channels, height, width = input_shape
        if height % patch or width % patch:
            raise ValueError(f"image {height}x{width} is not a whole number of {patch}x{patch} "
                             "patches: set model.kwargs.patch to a divisor of both")
        self._arch = {"input_shape": list(input_shape), "num_classes": num_classes,
                      "patch": patch, "dim": dim, "depth": depth, "num_heads": num_heads,
                      "mlp_ratio": mlp_ratio}
        tokens = (height // patch) * (width // patch)
        self.patch_embed = nn.Conv2d(channels, dim, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, tokens + 1, dim))
        self.blocks = nn.Sequential(*[Block(dim, num_heads, mlp_ratio) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.classifier = nn.Linear(dim, num_classes)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """The two embeddings (the layers initialise themselves): truncated normal, as in ViT."""
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.trunc_normal_(self.cls_token, std=0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = self.patch_embed(x).flatten(2).transpose(1, 2)
        cls = self.cls_token.expand(tokens.shape[0], -1, -1)
        x = self.blocks(torch.cat([cls, tokens], dim=1) + self.pos_embed)
        return self.classifier(self.norm(x)[:, 0])

    def arch(self) -> dict[str, Any]:
        """The constructor's arguments and the blocks left; pruned widths and head counts live
        in the checkpoint's structure record."""
        return {**self._arch, "depth": len(self.blocks)}  # layer dropping removes blocks
