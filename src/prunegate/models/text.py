"""A small transformer encoder for text classification (BERT's shape, trained from scratch):
token embedding + position embedding → pre-norm encoder blocks with a padding mask → the mean of
the real tokens' features → classifier.

It takes two inputs, ``input_ids`` and ``attention_mask`` (N, L) int64, which prunegate carries
packed as one (N, 2, L) sample (onnx_io/inputs.py): ``forward`` unpacks, ``forward_inputs`` is
what the ONNX graph exports. Its attention heads are pruned whole, like the ViT's: the blocks
are the ViT's (models/vit.py) with the mask added to the attention logits.
"""

from typing import Any

import torch
from torch import nn

from prunegate.models.vit import Block

PADDING = -1e4  # added to a padding key's attention logit: exp() of it is 0 in fp32 and int8


class TextEncoderMini(nn.Module):
    input_names = ("input_ids", "attention_mask")
    input_dtype = torch.int64

    def __init__(self, seq_len: int = 32, vocab_size: int = 512, num_classes: int = 4,
                 dim: int = 64, depth: int = 2, num_heads: int = 4, mlp_ratio: float = 2.0):
        super().__init__()
        self._arch = {"seq_len": seq_len, "vocab_size": vocab_size, "num_classes": num_classes,
                      "dim": dim, "depth": depth, "num_heads": num_heads,
                      "mlp_ratio": mlp_ratio}
        self.embed = nn.Embedding(vocab_size, dim)
        self.pos_embed = nn.Parameter(torch.zeros(1, seq_len, dim))
        # a Sequential, so layer dropping can remove blocks; forward calls them with the mask
        self.blocks = nn.Sequential(*[Block(dim, num_heads, mlp_ratio) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.classifier = nn.Linear(dim, num_classes)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """The position embedding (the layers initialise themselves), as in BERT."""
        nn.init.trunc_normal_(self.pos_embed, std=0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_inputs(x[:, 0], x[:, 1])

    def forward_inputs(self, input_ids: torch.Tensor,
                       attention_mask: torch.Tensor) -> torch.Tensor:
        keep = attention_mask.to(self.pos_embed.dtype)
        bias = ((1.0 - keep) * PADDING)[:, None, None, :]
        x = self.embed(input_ids) + self.pos_embed
        for block in self.blocks:
            x = block(x, bias)
        x = self.norm(x) * keep[..., None]
        # the mean over real tokens; clamp: a row of padding only is zeros, not NaN
        pooled = x.sum(1) / keep.sum(1, keepdim=True).clamp(min=1.0)
        return self.classifier(pooled)

    def arch(self) -> dict[str, Any]:
        """The constructor's arguments and the blocks left; pruned widths and head counts live
        in the checkpoint's structure record."""
        return {**self._arch, "depth": len(self.blocks)}
