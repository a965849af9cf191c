import pytest
import torch

from prunegate.errors import ConfigError, DataError
from prunegate.models import Checkpoint, ModelConfig, build_model, load_checkpoint, save_checkpoint


@pytest.mark.parametrize("name, params", [("lenet_300_100", 266_610), ("lenet5", 61_706),
                                                  ("resnet_mini", 21_930)])
def test_zoo_models_have_their_published_sizes(name, params):
    model = build_model(name)
    assert sum(p.numel() for p in model.parameters()) == params
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_unknown_model_name_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown model.name 'resnet'"):
        ModelConfig(name="resnet")


def test_checkpoint_round_trip_keeps_shrunk_shapes_and_masks(tmp_path):
    model = build_model("lenet5", channels=[3, 8], hidden=[60, 42])
    masks = {"classifier.weight": torch.rand(10, 42) > 0.5}
    save_checkpoint(Checkpoint(model, masks), tmp_path / "m.pt")
    loaded = load_checkpoint(tmp_path / "m.pt")
    assert loaded.model.arch()["channels"] == [3, 8]
    x = torch.rand(4, 1, 28, 28)
    assert torch.equal(loaded.model.eval()(x), model.eval()(x))
    assert torch.equal(loaded.masks["classifier.weight"], masks["classifier.weight"])
    assert not list(tmp_path.glob("*.tmp"))


def test_a_pickled_object_is_refused(tmp_path):
    """Checkpoints load with weights_only=True: arbitrary pickled code never runs."""
    torch.save(build_model("lenet_300_100"), tmp_path / "whole.pt")  # a pickled nn.Module
    with pytest.raises(DataError, match="holds pickled objects, which prunegate never unpickles"):
        load_checkpoint(tmp_path / "whole.pt")
    (tmp_path / "cut.pt").write_bytes((tmp_path / "whole.pt").read_bytes()[:100])
    with pytest.raises(DataError, match="corrupt or not a prunegate checkpoint"):
        load_checkpoint(tmp_path / "cut.pt")
    with pytest.raises(DataError, match="missing"):
        load_checkpoint(tmp_path / "absent.pt")
