"""Token models: the zoo's text encoder and a Hugging Face BERT brought through model.factory
take input_ids and attention_mask, lose whole heads, reload, and export to an ONNX graph of
two int64 inputs that computes what torch computes."""

import numpy as np
import onnxruntime as ort
import pytest
import torch

from prunegate.compression.prune import PruneConfig, prune_
from prunegate.data.tokens import synthetic_tokens
from prunegate.errors import ConfigError
from prunegate.models import Checkpoint, ModelConfig, load_checkpoint, save_checkpoint
from prunegate.models.vit import Attention
from prunegate.onnx_io.export import export_onnx
from prunegate.onnx_io.inputs import unpack

SHAPE, TOKENS = (2, 16), {"inputs": ["input_ids", "attention_mask"], "vocab_size": 100}


def _batch(n: int = 4) -> torch.Tensor:
    raw = synthetic_tokens(samples=n, seq_len=16, vocab_size=100, seed=1)
    return torch.from_numpy(raw["x"])


def _prune_reload_export(model, tmp_path):
    x = _batch()
    details: dict = {}
    prune_(model, PruneConfig(granularity="neurons", sparsity=0.5), x[:1], details=details)
    assert "left_unpruned" not in details
    save_checkpoint(Checkpoint(model), tmp_path / "m.pt")
    loaded = load_checkpoint(tmp_path / "m.pt").model.eval()
    expected = model.eval()(x).detach().numpy()
    assert np.allclose(loaded(x).detach().numpy(), expected, atol=1e-5)
    graph = export_onnx(loaded, SHAPE)
    session = ort.InferenceSession(graph.SerializeToString())
    assert [(i.name, i.type) for i in session.get_inputs()] == [
        ("input_ids", "tensor(int64)"), ("attention_mask", "tensor(int64)")]
    got = session.run(None, unpack(["input_ids", "attention_mask"], x.numpy()))[0]
    assert np.allclose(got, expected, atol=1e-4)
    return loaded


def test_the_text_encoder_loses_whole_heads_and_exports_two_inputs(tmp_path):
    torch.manual_seed(0)
    model = ModelConfig(name="text_encoder_mini").build(SHAPE, 4, TOKENS)
    before = sum(p.numel() for p in model.parameters())
    loaded = _prune_reload_export(model, tmp_path)
    assert sum(p.numel() for p in loaded.parameters()) < 0.6 * before
    for attention in (m for m in loaded.modules() if isinstance(m, Attention)):
        assert attention.num_heads == 2
        assert attention.qkv.out_features == 3 * attention.num_heads * attention.head_dim


def test_padding_does_not_change_the_prediction():
    """What the attention mask is for: ids behind a 0 in the mask are not read."""
    torch.manual_seed(0)
    model = ModelConfig(name="text_encoder_mini").build(SHAPE, 4, TOKENS).eval()
    x = _batch()
    x[:, 1, 10:] = 0  # the last 6 positions are padding
    changed = x.clone()
    changed[:, 0, 10:] = 7  # other ids there
    assert torch.allclose(model(x), model(changed), atol=1e-5)
    changed[:, 0, 3] = 7  # a real position does matter
    assert not torch.allclose(model(x), model(changed), atol=1e-5)


def test_a_hugging_face_bert_from_model_factory_takes_ids_and_mask(tmp_path):
    """The factory returns the plain HF model (called input_ids=, attention_mask=, returning a
    ModelOutput); prunegate adapts it, prunes whole heads and exports both inputs."""
    pytest.importorskip("transformers")
    torch.manual_seed(0)
    model = ModelConfig(name="custom", factory="tests.models.byo_models:hf_bert_tokens"
                        ).build(SHAPE, 4, TOKENS)
    loaded = _prune_reload_export(model, tmp_path)
    attention = loaded.model.bert.encoder.layer[0].attention.self
    assert attention.num_attention_heads == 2 and attention.all_head_size == 16


def test_user_weights_load_into_the_wrapped_model(tmp_path):
    pytest.importorskip("transformers")
    from tests.models.byo_models import hf_bert_tokens

    torch.manual_seed(1)
    trained = hf_bert_tokens(4, 100, 16)
    torch.save(trained.state_dict(), tmp_path / "w.pt")
    model = ModelConfig(name="custom", factory="tests.models.byo_models:hf_bert_tokens",
                        weights=str(tmp_path / "w.pt")).build(SHAPE, 4, TOKENS)
    x = _batch()
    expected = trained.eval()(input_ids=x[:, 0], attention_mask=x[:, 1]).logits
    assert torch.allclose(model.eval()(x), expected, atol=1e-6)


def test_models_refuse_data_of_the_other_kind():
    with pytest.raises(ConfigError, match="takes images or features, and the data are tokens"):
        ModelConfig(name="lenet5").build(SHAPE, 4, TOKENS)
    with pytest.raises(ConfigError, match="takes token data"):
        ModelConfig(name="text_encoder_mini").build((1, 28, 28), 10)
