"""Factories a user might write, for the bring-your-own-model tests (imported by path)."""

from torch import nn


def tabular_net(in_features: int, num_classes: int, width: int = 32) -> nn.Module:
    """No `classifier` attribute: the head is found as the last layer."""
    return nn.Sequential(nn.Linear(in_features, width), nn.ReLU(), nn.Linear(width, width),
                         nn.ReLU(), nn.Linear(width, num_classes))


def tiny_cnn(input_shape, num_classes: int) -> nn.Module:
    channels, height, width = input_shape
    return nn.Sequential(nn.Conv2d(channels, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(8 * (height // 2) * (width // 2), num_classes))


def fixed_three_classes() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(4, 3))


NOT_CALLABLE = 3


def depthwise_cnn(input_shape, num_classes: int, width: int = 16) -> nn.Module:
    """MobileNet's pattern: a depthwise conv (groups == channels) between two pointwise ones."""
    channels = input_shape[0]
    return nn.Sequential(
        nn.Conv2d(channels, width, 1), nn.BatchNorm2d(width), nn.ReLU6(),
        nn.Conv2d(width, width, 3, padding=1, groups=width), nn.BatchNorm2d(width), nn.ReLU6(),
        nn.Conv2d(width, 8, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, num_classes))


class Logits(nn.Module):
    """A Hugging Face model returns a ModelOutput; prunegate needs the logits tensor."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x).logits


def hf_vit(input_shape, num_classes: int, hidden: int = 32, heads: int = 4) -> nn.Module:
    """transformers' ViTForImageClassification, built from a config (no download)."""
    from transformers import ViTConfig, ViTForImageClassification

    channels, size, _ = input_shape
    config = ViTConfig(image_size=size, patch_size=7, num_channels=channels, hidden_size=hidden,
                       num_hidden_layers=2, num_attention_heads=heads,
                       intermediate_size=2 * hidden, num_labels=num_classes,
                       attn_implementation="eager")
    return Logits(ViTForImageClassification(config))


def hf_bert(num_classes: int = 2, hidden: int = 32, heads: int = 4) -> nn.Module:
    """transformers' BertForSequenceClassification on token ids, built from a config."""
    from transformers import BertConfig, BertForSequenceClassification

    config = BertConfig(vocab_size=50, hidden_size=hidden, num_hidden_layers=2,
                        num_attention_heads=heads, intermediate_size=2 * hidden,
                        max_position_embeddings=16, num_labels=num_classes,
                        attn_implementation="eager")
    return Logits(BertForSequenceClassification(config))


def hf_bert_tokens(num_classes: int, vocab_size: int, seq_len: int,
                   hidden: int = 32, heads: int = 4) -> nn.Module:
    """BertForSequenceClassification as a user brings it to token data: called with
    input_ids= and attention_mask=, returning a ModelOutput (prunegate adapts both)."""
    from transformers import BertConfig, BertForSequenceClassification

    config = BertConfig(vocab_size=vocab_size, hidden_size=hidden, num_hidden_layers=2,
                        num_attention_heads=heads, intermediate_size=2 * hidden,
                        max_position_embeddings=seq_len, num_labels=num_classes,
                        attn_implementation="eager")
    return BertForSequenceClassification(config)
