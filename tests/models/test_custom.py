"""Bring your own model: a factory by import path, weights loaded without unpickling."""

import pytest
import torch

from prunegate.compression.prune import PruneConfig, prune_
from prunegate.errors import ConfigError, DataError
from prunegate.models import Checkpoint, ModelConfig, fresh_copy, load_checkpoint, save_checkpoint
from prunegate.models.custom import load_weights

TABULAR = "tests.models.byo_models:tabular_net"


def test_the_factory_gets_the_data_shape_and_classes():
    model = ModelConfig(name="custom", factory=TABULAR, kwargs={"width": 16}).build((12,), 4)
    assert model[0].in_features == 12 and model[0].out_features == 16
    assert model[-1].out_features == 4
    cnn = ModelConfig(name="custom", factory="tests.models.byo_models:tiny_cnn").build((3, 8, 8), 5)
    assert cnn(torch.zeros(2, 3, 8, 8)).shape == (2, 5)
    # a zoo model is inferred too: 12 features and 4 classes instead of MNIST's 784 and 10
    mlp = ModelConfig(name="lenet_300_100", kwargs={"hidden": [8]}).build((12,), 4)
    assert mlp.arch() == {"hidden": [8], "in_features": 12, "num_classes": 4}


@pytest.mark.parametrize("config, message", [
    ({"factory": "tests.models.nope:build"}, "cannot import 'tests.models.nope'.*pip install"),
    # what torchvision 0.28's CUDA wheel does beside CPU torch: refused before anything runs
    ({"factory": "tests.models.broken_on_import:build"},
     "importing 'tests.models.broken_on_import' fails \\(RuntimeError: operator "
     "torchvision::nms does not exist\\).*reinstall a build that matches the installed torch"),
    ({"factory": "tests.models.byo_models:missing"}, "has no 'missing'. It defines: .*tabular_net"),
    ({"factory": "tests.models.byo_models"}, "must be 'package.module:callable'"),
    ({"factory": "tests.models.byo_models:NOT_CALLABLE"}, "is a int, not a callable"),
    ({}, "needs model.factory"),
])
def test_a_factory_that_does_not_resolve_is_a_config_error(config, message):
    with pytest.raises(ConfigError, match=message):
        ModelConfig(name="custom", **config)
    with pytest.raises(ConfigError, match="set model.name: custom"):
        ModelConfig(factory=TABULAR)


def test_a_model_whose_output_does_not_fit_the_classes_is_refused():
    config = ModelConfig(name="custom", factory="tests.models.byo_models:fixed_three_classes")
    with pytest.raises(ConfigError, match=r"returns \(2, 3\).*10 classes"):
        config.build((4,), 10)
    with pytest.raises(ConfigError, match=r"cannot take the data's samples of shape \(7,\)"):
        config.build((7,), 3)
    with pytest.raises(ConfigError, match=r"takes \(channels, height, width\) images"):
        ModelConfig(name="lenet5").build((12,), 3)
    with pytest.raises(ConfigError, match=r"takes \(channels, 28, 28\) images"):
        ModelConfig(name="lenet5").build((3, 32, 32), 3)
    with pytest.raises(ConfigError, match="not a whole number of 7x7 patches.*model.kwargs"):
        ModelConfig(name="vit_mini").build((3, 32, 32), 3)


def _trained(tmp_path):
    torch.manual_seed(1)
    model = ModelConfig(name="custom", factory=TABULAR).build((12,), 4)
    return model, torch.rand(5, 12)


@pytest.mark.parametrize("form", ["state_dict", "checkpoint_style", "torchscript", "onnx"])
def test_weights_load_from_every_safe_format(tmp_path, form):
    model, x = _trained(tmp_path)
    path = tmp_path / f"w.{'onnx' if form == 'onnx' else 'pt'}"
    if form == "state_dict":
        torch.save(model.state_dict(), path)
    elif form == "checkpoint_style":
        torch.save({"state_dict": model.state_dict(), "epoch": 3}, path)
    elif form == "torchscript":
        torch.jit.save(torch.jit.script(model), path)
    else:
        torch.onnx.export(model.eval(), (x,), path, dynamo=False,
                          do_constant_folding=False, keep_initializers_as_inputs=False)
    fresh = ModelConfig(name="custom", factory=TABULAR, weights=str(path)).build((12,), 4)
    assert torch.allclose(fresh.eval()(x), model.eval()(x), atol=1e-6)


def test_a_pickled_model_is_refused_unless_allowed(tmp_path):
    model, x = _trained(tmp_path)
    torch.save(model, tmp_path / "whole.pt")  # a pickle: loading it runs code
    target = ModelConfig(name="custom", factory=TABULAR).build((12,), 4)
    with pytest.raises(DataError, match="holds pickled objects.*model.allow_pickle: true"):
        load_weights(target, tmp_path / "whole.pt")
    load_weights(target, tmp_path / "whole.pt", allow_pickle=True)
    assert torch.allclose(target.eval()(x), model.eval()(x))


def test_weights_of_another_architecture_are_refused(tmp_path):
    other = ModelConfig(name="custom", factory=TABULAR, kwargs={"width": 8}).build((12,), 4)
    torch.save(other.state_dict(), tmp_path / "w.pt")
    with pytest.raises(DataError, match=r"does not fit the model: it has other shapes: \['0\.w"):
        ModelConfig(name="custom", factory=TABULAR, weights=str(tmp_path / "w.pt")).build((12,), 4)
    with pytest.raises(ConfigError, match="model.weights .* does not exist"):
        ModelConfig(weights=str(tmp_path / "none.pt"))


def test_a_structurally_pruned_custom_model_round_trips(tmp_path):
    """The checkpoint rebuilds the factory's model and narrows it to the saved tensors."""
    model, x = _trained(tmp_path)
    prune_(model, PruneConfig(granularity="neurons", sparsity=0.5), x[:1])
    assert model[0].out_features == 16 and model[-1].out_features == 4  # head kept
    save_checkpoint(Checkpoint(model), tmp_path / "m.pt")
    loaded = load_checkpoint(tmp_path / "m.pt").model
    assert loaded[0].weight.shape == (16, 12) and loaded[2].in_features == 16
    assert torch.allclose(loaded.eval()(x), model.eval()(x))
    again = fresh_copy(loaded, seed=0)
    assert again[0].weight.shape == (16, 12) and not torch.equal(again[0].weight, loaded[0].weight)


def test_a_pruned_depthwise_model_keeps_its_groups_through_a_checkpoint(tmp_path):
    """MobileNet's depthwise conv: 16 → 8 channels leaves groups=8, which the weight [8, 1, 3, 3]
    alone cannot say. Before the structure record, the reload kept the factory's groups=16."""
    torch.manual_seed(0)
    model = ModelConfig(name="custom", factory="tests.models.byo_models:depthwise_cnn").build(
        (3, 8, 8), 5)
    x = torch.rand(4, 3, 8, 8)
    prune_(model, PruneConfig(granularity="neurons", sparsity=0.5), x[:1])
    assert model[3].groups == model[3].out_channels == 8
    save_checkpoint(Checkpoint(model), tmp_path / "m.pt")
    loaded = load_checkpoint(tmp_path / "m.pt").model
    assert loaded[3].groups == loaded[3].in_channels == 8
    assert torch.allclose(loaded.eval()(x), model.eval()(x), atol=1e-6)
