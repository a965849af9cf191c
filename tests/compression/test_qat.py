"""QAT: fake int8 in torch on ONNX Runtime's own grid, and the int8 model ORT runs agrees."""

import numpy as np
import onnxruntime as ort
import pytest
import torch

from prunegate.compression.prune import PruneConfig, prune_
from prunegate.compression.qat import fake_quant_weight, fake_quantized, qat_finetune
from prunegate.compression.quantize import QuantizeConfig, quantize_static
from prunegate.compression.schedules import finetune
from prunegate.errors import ConfigError
from prunegate.models import Checkpoint
from prunegate.onnx_io.export import export_onnx
from prunegate.training.loop import TrainConfig, accuracy


def test_weights_land_on_orts_symmetric_int8_grid():
    w = torch.randn(6, 5)
    q = fake_quant_weight(w, per_channel=False)
    step = w.abs().max() / 127
    assert torch.allclose(q / step, torch.round(q / step), atol=1e-4)
    assert float(q.abs().max()) == pytest.approx(float(w.abs().max()), rel=1e-6)
    rows = fake_quant_weight(w, per_channel=True)
    for row, original in zip(rows, w, strict=True):
        s = original.abs().max() / 127
        assert torch.allclose(row / s, torch.round(row / s), atol=1e-4)


def test_the_original_forward_comes_back():
    model = torch.nn.Sequential(torch.nn.Linear(4, 3))
    x = torch.randn(2, 4)
    with fake_quantized(model):
        assert "forward" in vars(model[0])
        fake = model(x)
    assert "forward" not in vars(model[0])
    assert torch.allclose(model(x), x @ model[0].weight.T + model[0].bias)
    assert not torch.equal(model(x), fake)                      # int8 rounding was on


def test_qat_int8_in_onnx_runtime_agrees_with_the_fake_quant_model_and_fp32(trained_mlp, splits):
    train, val, test = splits
    before = accuracy(trained_mlp, val)
    tuned, history = qat_finetune(Checkpoint(trained_mlp), train, val, epochs=1,
                                  lr=1e-4, per_channel=False)
    int8 = quantize_static(export_onnx(tuned.model, (1, 28, 28)), train["x"][:256], ["Gemm"],
                           QuantizeConfig(mode="qat"))
    assert sum(n.op_type == "QuantizeLinear" for n in int8.graph.node) >= 3
    session = ort.InferenceSession(int8.SerializeToString(), providers=["CPUExecutionProvider"])
    ort_pred = session.run(None, {"input": test["x"]})[0].argmax(1)
    with fake_quantized(tuned.model) as ranges, torch.no_grad():
        tuned.model.train()
        tuned.model(torch.from_numpy(train["x"][:256]))        # ranges from the same data
        tuned.model.eval()
        fake_pred = tuned.model(torch.from_numpy(test["x"])).argmax(1).numpy()
    assert len(ranges) == 3
    # stated bounds: int8 in ORT and fake int8 in torch pick the same class for >= 98% of
    # digits; int8 accuracy within 2 pp of the fp32 model's
    assert float(np.mean(ort_pred == fake_pred)) >= 0.98
    assert abs(float(np.mean(ort_pred == test["y"])) - accuracy(tuned.model, test)) <= 0.02
    # fake-int8 fine-tuning at 1e-4 keeps what the model knew (the fixture's own accuracy
    # depends on the seed and the machine, so the bound is relative to it)
    assert history["val_accuracy"][-1] >= before - 0.05


def test_qat_holds_the_pruning_masks(trained_mlp, splits):
    model = trained_mlp.__class__()
    model.load_state_dict(trained_mlp.state_dict())
    masks = prune_(model, PruneConfig(granularity="weights", sparsity=0.8),
                   torch.zeros(1, 1, 28, 28))
    tuned, _ = qat_finetune(Checkpoint(model, masks), splits[0], splits[1], epochs=1, lr=1e-3,
                            per_channel=True)
    params = dict(tuned.model.named_parameters())
    for name, mask in masks.items():
        assert torch.equal(params[name] != 0, mask)


def test_qap_prunes_and_trains_under_fake_int8(trained_mlp, splits):
    """Same seed, same schedule: only the fake quantization differs, and it changes training."""
    def run(mode):
        model = trained_mlp.__class__()
        model.load_state_dict(trained_mlp.state_dict())
        config = PruneConfig(granularity="weights", sparsity=0.5)
        masks = prune_(model, config, torch.zeros(1, 1, 28, 28))
        return finetune(Checkpoint(model, masks), splits[0], splits[1],
                        TrainConfig(epochs=1, lr=1e-3), config, quant_mode=mode)[0]

    qap, plain = run("qap"), run("static")
    w_qap, w_plain = qap.model.features[1].weight, plain.model.features[1].weight
    assert not torch.allclose(w_qap, w_plain)
    assert torch.equal(w_qap == 0, w_plain == 0)                 # the masks held in both
    assert "forward" not in vars(qap.model.features[1])


@pytest.mark.parametrize("kwargs, message", [
    ({"qat_epochs": 2}, "only read with quantize.mode 'qat'"),
    ({"mode": "qat", "qat_epochs": 0}, "quantize.qat_epochs"),
    ({"mode": "qap", "qat_lr": 0.1}, "only read with quantize.mode 'qat'"),
])
def test_qat_settings_are_checked(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        QuantizeConfig(**kwargs)
    assert QuantizeConfig(mode="qat").qat_epochs == 3
