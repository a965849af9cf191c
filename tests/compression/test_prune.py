import copy

import pytest
import torch
import torch_pruning as tp

from prunegate.compression.prune import PruneConfig, prune_
from prunegate.errors import ConfigError
from prunegate.evaluation.latency import make_session, measure_interleaved
from prunegate.models import build_model
from prunegate.onnx_io.export import export_onnx

X = torch.zeros(1, 1, 28, 28)


def test_structured_pruning_removes_neurons_and_shrinks_the_next_layer():
    model = build_model("lenet_300_100")
    prune_(model, PruneConfig(granularity="neurons", sparsity=0.7), X)
    fc1, fc2 = model.features[1], model.features[3]
    assert fc1.weight.shape == (90, 784)          # 70% of 300 rows removed
    assert fc2.weight.shape == (30, 90)           # its inputs follow, 70% of its rows removed
    assert model.classifier.weight.shape == (10, 30)   # classes untouched, inputs follow
    assert model(torch.rand(3, 1, 28, 28)).shape == (3, 10)


def test_structured_pruning_keeps_the_largest_neurons():
    """A neuron's magnitude spans its whole dependency group: its row in fc1 and its column in
    fc2. Shrinking 210 neurons on both sides must make exactly those 210 go."""
    model = build_model("lenet_300_100")
    weak = torch.randperm(300)[:210]
    with torch.no_grad():
        model.features[1].weight[weak] *= 0.01
        model.features[1].bias[weak] *= 0.01
        model.features[3].weight[:, weak] *= 0.01
    strong = sorted(set(range(300)) - set(weak.tolist()))
    expected_rows = model.features[1].weight.detach()[strong].clone()
    prune_(model, PruneConfig(granularity="neurons", sparsity=0.7), X)
    assert torch.equal(model.features[1].weight.detach(), expected_rows)


def test_channel_pruning_shrinks_convs_macs_and_onnx_latency():
    dense = build_model("lenet5")
    pruned = copy.deepcopy(dense)
    prune_(pruned, PruneConfig(granularity="neurons", sparsity=0.5), X)
    assert pruned.arch()["channels"] == [3, 8] and pruned.arch()["hidden"] == [60, 42]
    assert pruned.features[7].in_features == 8 * 5 * 5   # flatten dependency followed
    dense_macs, dense_params = tp.utils.count_ops_and_params(dense, X)
    macs, params = tp.utils.count_ops_and_params(pruned, X)
    assert macs < 0.4 * dense_macs and params < 0.3 * dense_params
    sessions = {n: make_session(export_onnx(m, (1, 28, 28)).SerializeToString())
                for n, m in (("dense", dense), ("pruned", pruned))}
    timings = measure_interleaved(sessions, X.numpy(), repeats=200)
    assert timings["pruned"].p50_ms < timings["dense"].p50_ms


def test_global_unstructured_zeroes_exactly_the_smallest_weights_across_layers():
    model = build_model("lenet_300_100")
    weights = [model.features[1].weight, model.features[3].weight]
    all_abs = torch.cat([w.detach().abs().flatten() for w in weights])
    k = round(0.9 * all_abs.numel())
    cut = all_abs.sort().values[k - 1]
    masks = prune_(model, PruneConfig(granularity="weights", sparsity=0.9, scope="global"), X)
    zeros = sum(int((w == 0).sum()) for w in weights)
    assert zeros == k                                      # exactly 90% of the prunable weights
    for w in weights:                                      # and they are the globally smallest
        kept = w.detach()[w != 0].abs()
        assert kept.min() >= cut
    assert set(masks) == {"features.1.weight", "features.3.weight"}  # classifier skipped
    assert (model.classifier.weight != 0).all()
    # global, not per layer: the layers end up with different sparsities
    per_layer = [float((w == 0).float().mean()) for w in weights]
    assert abs(per_layer[0] - per_layer[1]) > 0.001


@pytest.mark.parametrize("sparsity", [1.0, -0.1, 1.5])
def test_sparsity_outside_0_1_is_rejected(sparsity):
    with pytest.raises(ConfigError, match="prune.sparsity"):
        PruneConfig(sparsity=sparsity)


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ConfigError, match="Choose one of: weights, neurons"):
        PruneConfig(granularity="filters")
    with pytest.raises(ConfigError, match="did you mean 'taylor'"):
        PruneConfig(criterion="taylr")


@pytest.mark.parametrize("kwargs, message", [
    ({"selection": "threshold", "threshold": 0.01, "granularity": "weights"},
     "set prune.sparsity: null"),
    ({"selection": "threshold", "sparsity": None, "granularity": "weights"}, "prune.threshold"),
    ({"selection": "threshold", "sparsity": None, "threshold": 0.1}, "needs granularity"),
    ({"threshold": 0.1}, "only read with prune.selection 'threshold'"),
    ({"sparsity": 0.9, "max_layer_sparsity": 0.8}, "outside the per-layer bounds"),
    ({"granularity": "neurons", "scope": "global", "min_layer_sparsity": 0.1},
     "not supported for neurons"),
    ({"norm": 3}, "prune.norm must be 1 or 2"),
    ({"skip_layers": "features.1"}, "list of module names"),
])
def test_contradictory_settings_are_refused_with_the_reason(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        PruneConfig(**kwargs)
