"""Layer dropping: whole blocks leave the model, chosen by the accuracy measured without each."""

import pytest
import torch
from torch import nn

from prunegate.app.recipe import check_params
from prunegate.compression.prune import PruneConfig, importance_batches, prune_
from prunegate.errors import ConfigError
from prunegate.models import Checkpoint, build_model, load_checkpoint
from prunegate.models.checkpoint import save_checkpoint
from prunegate.onnx_io.export import export_onnx
from prunegate.training.loop import TrainConfig, accuracy, fit

LAYERS = {"granularity": "layers", "criterion": "accuracy", "scope": "global"}


class Shift(nn.Module):
    def __init__(self, by: float):
        super().__init__()
        self.by = by

    def forward(self, x):
        return x + torch.tensor([self.by, 0.0])


class Toy(nn.Module):
    """logits = x + Σ shifts: every sample is class 0, more so with each shift."""

    def __init__(self):
        super().__init__()
        self.blocks = nn.Sequential(Shift(1.0), Shift(0.0), Shift(2.0))

    def forward(self, x):
        return self.blocks(x)


def test_blocks_are_dropped_in_the_order_their_measured_removal_costs():
    model = Toy()
    details = {}
    batches = [(torch.zeros(8, 2), torch.zeros(8, dtype=torch.long))]
    prune_(model, PruneConfig(**LAYERS, sparsity=0.67), None, batches, details)
    # removing the zero shift changes nothing; then shift 1.0 costs less loss than shift 2.0
    assert details["dropped"] == ["blocks.1", "blocks.0"]
    assert [b.by for b in model.blocks] == [2.0]
    first = details["rounds"][0]["accuracy_without"]
    assert first == {"blocks.0": 1.0, "blocks.1": 1.0, "blocks.2": 1.0}


def test_resnet_mini_loses_a_block_and_still_trains_exports_and_reloads(splits, tmp_path):
    torch.manual_seed(0)
    model = build_model("resnet_mini", channels=8, widths=[8, 8, 8])
    train, val = splits[0], splits[1]
    fit(model, train, val, TrainConfig(epochs=2, lr=3e-3))
    config = PruneConfig(**LAYERS, sparsity=0.34)
    details = {}
    prune_(model, config, None, importance_batches(val, config, everything=True), details)
    assert len(model.blocks) == 2 and details["blocks_before"] == 3
    assert model.arch()["widths"] == [8, 8]
    assert len(details["rounds"][0]["accuracy_without"]) == 3
    assert accuracy(model, val) > 0.5                    # the rest of the network still works
    onnx_model = export_onnx(model, (1, 28, 28))
    assert sum(n.op_type == "Conv" for n in onnx_model.graph.node) == 1 + 2 * 2
    save_checkpoint(Checkpoint(model), tmp_path / "m.pt")
    again = load_checkpoint(tmp_path / "m.pt").model
    x = torch.from_numpy(val["x"][:4])
    assert torch.allclose(again(x), model(x))


def test_channel_pruning_narrows_the_residual_stream_consistently():
    model = build_model("resnet_mini")
    prune_(model, PruneConfig(sparsity=0.5), torch.zeros(1, 1, 28, 28))
    arch = model.arch()
    assert arch["widths"] == [8, 8, 8] and arch["channels"] == 8   # coupled through the sums
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_skipped_blocks_stay_and_too_many_is_refused():
    model = Toy()
    batches = [(torch.zeros(8, 2), torch.zeros(8, dtype=torch.long))]
    prune_(model, PruneConfig(**LAYERS, sparsity=0.34, skip_layers=["blocks.1"]), None, batches)
    assert [b.by for b in model.blocks] == [0.0, 2.0]            # blocks.0 was next cheapest
    with pytest.raises(ConfigError, match="only 1 may be dropped"):
        prune_(Toy(), PruneConfig(**LAYERS, sparsity=0.67, skip_layers=["blocks.1", "blocks.2"]),
               None, batches)


@pytest.mark.parametrize("kwargs, message", [
    ({"granularity": "layers"}, "set prune.criterion to one of accuracy, random"),
    ({"granularity": "layers", "criterion": "accuracy"}, "set prune.scope: global"),
    ({"criterion": "accuracy"}, "needs granularity 'layers'"),
    ({**LAYERS, "schedule": "iterative", "rounds": 2}, "needs schedule 'one_shot'"),
])
def test_layer_settings_are_checked(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        PruneConfig(**kwargs)


def test_layer_dropping_on_a_model_without_blocks_is_refused_before_running():
    with pytest.raises(ConfigError, match="model 'lenet5' has none"):
        check_params({"model": {"name": "lenet5"}, "prune": LAYERS})
    with pytest.raises(ConfigError, match="LeNet300100 has none"):
        prune_(build_model("lenet_300_100"), PruneConfig(**LAYERS), None, [])
