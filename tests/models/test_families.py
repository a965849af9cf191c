"""The zoo's MobileNetV2 (depthwise, squeeze-excite) and ViT (attention heads): pruned
structurally, they still run, reload from a checkpoint and export to ONNX with the same outputs."""

import numpy as np
import onnxruntime as ort
import pytest
import torch

from prunegate.compression.prune import PruneConfig, prune_
from prunegate.models import Checkpoint, ModelConfig, load_checkpoint, save_checkpoint
from prunegate.models.vit import Attention
from prunegate.onnx_io.export import export_onnx

SHAPE = (1, 28, 28)


def _pruned(name: str, tmp_path, sparsity: float = 0.5):
    torch.manual_seed(0)
    model = ModelConfig(name=name).build(SHAPE, 10)
    before = sum(p.numel() for p in model.parameters())
    x = torch.rand(3, *SHAPE)
    details: dict = {}
    prune_(model, PruneConfig(granularity="neurons", sparsity=sparsity), x[:1], details=details)
    save_checkpoint(Checkpoint(model), tmp_path / "m.pt")
    return model, load_checkpoint(tmp_path / "m.pt").model, x, before, details


@pytest.mark.parametrize("name", ["mobilenet_v2_mini", "vit_mini"])
def test_a_pruned_family_model_reloads_and_exports_with_the_same_outputs(name, tmp_path):
    model, loaded, x, before, details = _pruned(name, tmp_path)
    after = sum(p.numel() for p in loaded.parameters())
    assert after < 0.5 * before  # the tensors shrank, not just zeros
    assert "left_unpruned" not in details  # nothing had to be given up
    expected = model.eval()(x).detach().numpy()
    assert np.allclose(loaded.eval()(x).detach().numpy(), expected, atol=1e-5)
    session = ort.InferenceSession(export_onnx(loaded, SHAPE).SerializeToString())
    got = session.run(None, {"input": x.numpy()})[0]
    assert np.allclose(got, expected, atol=1e-4)


def test_the_depthwise_convolutions_keep_groups_equal_to_their_channels(tmp_path):
    _, loaded, *_ = _pruned("mobilenet_v2_mini", tmp_path)
    depthwise = [m for m in loaded.modules()
                 if isinstance(m, torch.nn.Conv2d) and m.kernel_size == (3, 3) and m.groups > 1]
    assert depthwise and all(m.groups == m.in_channels == m.out_channels for m in depthwise)
    assert any(m.groups < 16 for m in depthwise)  # narrower than built


def test_attention_loses_whole_heads_and_its_sizes_follow(tmp_path):
    _, loaded, *_ = _pruned("vit_mini", tmp_path)
    for attention in (m for m in loaded.modules() if isinstance(m, Attention)):
        assert attention.num_heads == 2 and attention.head_dim == 16  # 4 heads of 16 → 2
        assert attention.qkv.out_features == 3 * attention.num_heads * attention.head_dim
        assert attention.proj.in_features == attention.num_heads * attention.head_dim


def test_vit_blocks_can_be_dropped_and_the_checkpoint_says_how_many_are_left(tmp_path):
    torch.manual_seed(0)
    model = ModelConfig(name="vit_mini").build(SHAPE, 10)
    batches = [(torch.rand(8, *SHAPE), torch.randint(0, 10, (8,)))]
    prune_(model, PruneConfig(granularity="layers", criterion="accuracy", sparsity=0.5,
                              scope="global"),
           batches[0][0][:1], batches)
    assert model.arch()["depth"] == 2
    save_checkpoint(Checkpoint(model), tmp_path / "m.pt")
    loaded = load_checkpoint(tmp_path / "m.pt").model
    assert len(loaded.blocks) == 2
    x = batches[0][0]
    assert torch.allclose(loaded.eval()(x), model.eval()(x), atol=1e-6)


def test_a_hugging_face_vit_from_model_factory_loses_whole_heads(tmp_path):
    """transformers 5's ViT (q_proj/k_proj/v_proj beside head_dim), wrapped to return logits."""
    pytest.importorskip("transformers")
    torch.manual_seed(0)
    model = ModelConfig(name="custom", factory="tests.models.byo_models:hf_vit").build(SHAPE, 10)
    x = torch.rand(3, *SHAPE)
    details: dict = {}
    prune_(model, PruneConfig(granularity="neurons", sparsity=0.5), x[:1], details=details)
    attention = model.model.vit.layers[0].attention
    assert attention.q_proj.out_features == 16 and attention.head_dim == 8  # 4 heads → 2
    assert "left_unpruned" not in details
    save_checkpoint(Checkpoint(model), tmp_path / "m.pt")
    loaded = load_checkpoint(tmp_path / "m.pt").model
    expected = model.eval()(x).detach().numpy()
    session = ort.InferenceSession(export_onnx(loaded, SHAPE).SerializeToString())
    assert np.allclose(session.run(None, {"input": x.numpy()})[0], expected, atol=1e-4)


def test_a_hugging_face_bert_keeps_its_head_sizes_true_after_pruning():
    """BERT's self-attention keeps num_attention_heads, attention_head_size and all_head_size
    as attributes its forward reads: after whole heads go, they must say so."""
    pytest.importorskip("transformers")
    from tests.models.byo_models import hf_bert

    torch.manual_seed(0)
    model = hf_bert()
    ids = torch.randint(0, 50, (3, 12))
    prune_(model, PruneConfig(granularity="neurons", sparsity=0.5), ids[:1])
    attention = model.model.bert.encoder.layer[0].attention.self
    assert attention.num_attention_heads == 2 and attention.attention_head_size == 8
    assert attention.all_head_size == attention.query.out_features == 16
    assert model(ids).shape == (3, 2)
