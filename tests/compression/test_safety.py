"""Structured pruning never leaves a model that cannot run: the layer inside a module whose
forward breaks is left unpruned (and reported), and a break no layer explains is one clear error."""

import pytest
import torch
from torch import nn

from prunegate.compression.prune import PruneConfig, prune_
from prunegate.errors import ConfigError


class FixedSplit(nn.Module):
    """A custom op with an assumption Torch-Pruning cannot trace: exactly 4 groups of 8."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(16, 32)

    def forward(self, x):
        return self.proj(x).reshape(x.shape[0], 4, 8).amax(1)


class Net(nn.Module):
    def __init__(self, hard_coded_flatten: bool = False):
        super().__init__()
        self.hard_coded_flatten = hard_coded_flatten
        self.fc1 = nn.Linear(12, 16)
        self.block = FixedSplit()
        self.fc2 = nn.Linear(8, 16)
        self.classifier = nn.Linear(16, 3)

    def forward(self, x):
        h = self.block(torch.relu(self.fc1(x)))
        h = torch.relu(self.fc2(h))
        if self.hard_coded_flatten:
            h = h.reshape(-1, 16)  # the model's own forward assumes fc2's 16 outputs
        return self.classifier(h)


def test_a_layer_whose_pruning_breaks_its_module_is_left_unpruned_and_reported():
    torch.manual_seed(0)
    model, x = Net(), torch.rand(4, 12)
    details: dict = {}
    prune_(model, PruneConfig(granularity="neurons", sparsity=0.5), x[:1], details=details)
    assert details["left_unpruned"] == ["block.proj"]
    assert model.block.proj.out_features == 32  # kept whole, so the reshape still fits
    assert model.fc1.out_features == 8 and model.fc2.out_features == 8  # the rest was pruned
    assert model(x).shape == (4, 3)


def test_a_break_in_the_models_own_forward_is_one_error_naming_the_fix():
    model, x = Net(hard_coded_flatten=True), torch.rand(4, 12)
    with pytest.raises(ConfigError, match=r"unable to run.*reshape|unable to run.*shape.*"
                                          r"granularity 'weights'.*skip_layers"):
        prune_(model, PruneConfig(granularity="neurons", sparsity=0.5,
                                  skip_layers=["block.proj"]), x[:1])
    assert model.fc2.out_features == 16  # nothing was half pruned


class ExportsOnlyWhole(nn.Module):
    """Runs in torch at any width, but a narrowed hidden layer takes a path (singular values)
    that the ONNX exporter has no operator for."""

    def __init__(self):
        super().__init__()
        self.fc1, self.classifier = nn.Linear(12, 16), nn.Linear(16, 3)

    def forward(self, x):
        h = torch.relu(self.fc1(x))
        if h.shape[1] < 16:
            h = h + 0 * torch.linalg.svdvals(h).sum()
        return self.classifier(h)


def test_a_pruned_model_that_cannot_export_is_one_error_at_pruning():
    model, x = ExportsOnlyWhole(), torch.rand(4, 12)
    with pytest.raises(ConfigError, match=r"running in torch but unable to export to ONNX "
                                          r"\(UnsupportedOperatorError.*svdvals.*granularity "
                                          r"'weights'"):
        prune_(model, PruneConfig(granularity="neurons", sparsity=0.5), x[:1])
    assert model.fc1.out_features == 16  # nothing was half pruned


def test_round_to_keeps_every_pruned_width_a_multiple():
    """Odd channel counts put ONNX Runtime's convolutions on the slow path (docs/families.md)."""
    from prunegate.models import build_model

    widths = {}
    for round_to in (None, 8):
        torch.manual_seed(0)
        model = build_model("mobilenet_v2_mini")
        prune_(model, PruneConfig(granularity="neurons", sparsity=0.35, round_to=round_to),
               torch.rand(1, 1, 28, 28))
        widths[round_to] = [m.out_channels for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert any(w % 8 for w in widths[None])  # without it, 0.35 of 16 leaves 10
    assert all(w % 8 == 0 for w in widths[8])
    with pytest.raises(ConfigError, match="round_to rounds the widths.*'neurons'"):
        PruneConfig(granularity="weights", round_to=8)


class TimmStyleAttention(nn.Module):
    """timm's ViT attention forward: the output is reshaped to the *input's* width C, so it
    breaks when heads are removed but the embedding is not (Torch-Pruning's timm example
    rewrites this forward for that reason)."""

    def __init__(self, dim: int = 16, num_heads: int = 4):
        super().__init__()
        self.num_heads, self.head_dim = num_heads, dim // num_heads
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)

    def forward(self, x):
        batch, tokens, width = x.shape
        q, k, v = self.qkv(x).reshape(batch, tokens, 3, self.num_heads, self.head_dim).permute(
            2, 0, 3, 1, 4).unbind(0)
        out = torch.softmax(q @ k.transpose(-2, -1), -1) @ v
        return self.proj(out.transpose(1, 2).reshape(batch, tokens, width))


class TinyTimmViT(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(4, 16)
        self.attn = TimmStyleAttention()
        self.mlp = nn.Sequential(nn.Linear(16, 32), nn.GELU(), nn.Linear(32, 16))
        self.classifier = nn.Linear(16, 3)

    def forward(self, x):  # x: (batch, 5 tokens, 4 features)
        h = self.embed(x)
        h = h + self.attn(h)
        return self.classifier((h + self.mlp(h)).mean(1))


def test_a_timm_style_attention_is_pruned_consistently():
    """Its heads narrow with the embedding (4 heads of 2 = 8 = the new width), and the layer's
    head_dim attribute follows, so its forward still reshapes correctly."""
    torch.manual_seed(0)
    model, x = TinyTimmViT(), torch.rand(3, 5, 4)
    details: dict = {}
    prune_(model, PruneConfig(granularity="neurons", sparsity=0.5), x[:1], details=details)
    attention = model.attn
    assert model.embed.out_features == 8 and model.mlp[0].out_features == 16
    assert attention.qkv.out_features == 3 * attention.num_heads * attention.head_dim == 24
    assert "left_unpruned" not in details and model(x).shape == (3, 3)
