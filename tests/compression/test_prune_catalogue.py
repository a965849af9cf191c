"""Each pruning option does what it says, on tiny models where the answer is known."""

import pytest
import torch
from torch import nn

from prunegate.compression.criteria import CRITERIA, lrp_relevance
from prunegate.compression.prune import PruneConfig, prune_
from prunegate.compression.unstructured import ranked_masks
from prunegate.errors import ConfigError
from prunegate.models import build_model

X = torch.zeros(1, 1, 28, 28)


def mlp_weights(model):
    return {"features.1": model.features[1].weight, "features.3": model.features[3].weight}


def zero_fraction(w: torch.Tensor) -> float:
    return float((w == 0).float().mean())


def test_local_scope_prunes_every_layer_by_the_same_fraction_and_keeps_its_largest():
    model = build_model("lenet_300_100")
    cut = {n: w.detach().abs().flatten().sort().values[round(0.6 * w.numel())]
           for n, w in mlp_weights(model).items()}
    prune_(model, PruneConfig(granularity="weights", sparsity=0.6, scope="local"), X)
    for name, w in mlp_weights(model).items():
        assert zero_fraction(w) == pytest.approx(0.6, abs=1 / w.numel())
        assert w.detach()[w != 0].abs().min() >= cut[name]
    assert zero_fraction(model.classifier.weight) == 0                # skipped by default


def test_global_scope_respects_per_layer_bounds_and_still_hits_the_total():
    scores = {"a": torch.arange(100.0), "b": torch.arange(100.0) + 1000}   # b always ranks above
    free = ranked_masks(scores, 0.5, "global")
    assert int((~free["a"]).sum()) == 100 and int((~free["b"]).sum()) == 0
    bounded = ranked_masks(scores, 0.5, "global", min_layer=0.2, max_layer=0.7)
    assert int((~bounded["a"]).sum()) == 70 and int((~bounded["b"]).sum()) == 30
    assert bounded["a"][70:].all() and bounded["b"][30:].all()        # the lowest still go first


def test_threshold_zeroes_exactly_the_weights_below_t():
    model = build_model("lenet_300_100")
    below = {n: int((w.detach().abs() < 0.02).sum()) for n, w in mlp_weights(model).items()}
    masks = prune_(model, PruneConfig(granularity="weights", selection="threshold",
                                      sparsity=None, threshold=0.02), X)
    for name, w in mlp_weights(model).items():
        assert int((w == 0).sum()) == below[name] > 0
        assert (w.detach()[w != 0].abs() >= 0.02).all()
        assert torch.equal(masks[f"{name}.weight"], w != 0)


def test_random_is_seeded_and_differs_from_magnitude():
    def pruned(criterion, seed=0):
        model = build_model("lenet_300_100")
        torch.manual_seed(1)
        for p in model.parameters():
            nn.init.normal_(p)
        return prune_(model, PruneConfig(granularity="weights", criterion=criterion, seed=seed,
                                         sparsity=0.5), X)["features.1.weight"]
    assert torch.equal(pruned("random"), pruned("random"))
    assert not torch.equal(pruned("random"), pruned("random", seed=1))
    overlap = float((pruned("random") == pruned("magnitude")).float().mean())
    assert 0.4 < overlap < 0.6                                          # chance agreement


def toy():
    """y = w_0·x_0 + w_1·x_1 with x_1 always 0: w_1 is large but has no effect on the loss;
    w_0 is small and carries everything."""
    model = nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[0.5, 3.0], [-0.5, 3.0]]))
    x = torch.stack([torch.randn(64), torch.zeros(64)], dim=1)
    y = (x[:, 0] > 0).long()
    return model, [(x, y)]


@pytest.mark.parametrize("criterion", ["taylor", "obd", "lrp"])
def test_loss_aware_criteria_rank_the_effective_weight_above_the_idle_one(criterion):
    torch.manual_seed(0)
    model, batches = toy()
    scores = CRITERIA[criterion](model, {"fc": model}, batches, {"norm": 2, "seed": 0})["fc"]
    assert (scores[:, 0] > scores[:, 1]).all()          # small but used beats large but idle
    assert (scores[:, 1] == 0).all()
    magnitude = CRITERIA["magnitude"](model, {"fc": model}, batches, {"norm": 2, "seed": 0})
    assert (magnitude["fc"][:, 1] > magnitude["fc"][:, 0]).all()   # what magnitude gets wrong


def test_lrp_conserves_relevance_layer_by_layer():
    """Bias-free ReLU net: every layer's weight relevances sum to the explained logits."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 5, bias=False), nn.ReLU(), nn.Linear(5, 4, bias=False),
                          nn.ReLU(), nn.Linear(4, 3, bias=False))
    x, y = torch.randn(8, 6), torch.randint(0, 3, (8,))
    layers = {"0": model[0], "2": model[2], "4": model[4]}
    relevance = lrp_relevance(model, layers, [(x, y)])
    explained = float(model(x).gather(1, y[:, None]).sum())
    for name, r in relevance.items():
        assert float(r.sum()) == pytest.approx(explained, rel=1e-4), name
    assert all(p.grad is None for p in model.parameters())
    scores = CRITERIA["lrp"](model, layers, [(x, y)], {})
    assert all(torch.equal(scores[n], relevance[n].abs()) for n in layers)


def test_taylor_matches_its_formula_and_leaves_no_gradients_behind():
    torch.manual_seed(0)
    model, batches = toy()
    nn.functional.cross_entropy(model(batches[0][0]), batches[0][1]).backward()
    expected = (model.weight.detach() * model.weight.grad).abs()
    model.zero_grad(set_to_none=True)
    scores = CRITERIA["taylor"](model, {"fc": model}, batches, {})["fc"]
    assert torch.allclose(scores, expected)
    assert model.weight.grad is None


@pytest.mark.parametrize("criterion", ["taylor", "obd", "lrp", "random"])
def test_neuron_pruning_works_with_every_criterion(criterion, splits):
    model = build_model("lenet_300_100")
    x, y = torch.from_numpy(splits[0]["x"][:64]), torch.from_numpy(splits[0]["y"][:64]).long()
    prune_(model, PruneConfig(criterion=criterion, sparsity=0.5), X, [(x, y)])
    assert model.features[1].weight.shape == (150, 784)
    assert model.features[3].weight.shape == (50, 150)
    assert model(x).shape == (64, 10)
    assert all(p.grad is None for p in model.parameters())   # the carried scores are gone


def test_neuron_criterion_decides_which_neurons_go():
    """Neurons 0-149 of fc1 are given tiny weights: magnitude must remove exactly them."""
    model = build_model("lenet_300_100")
    with torch.no_grad():
        model.features[1].weight[:150] *= 1e-3
        keep = model.features[1].weight[150:].clone()
    prune_(model, PruneConfig(sparsity=0.5), X)
    assert torch.equal(model.features[1].weight.detach(), keep)


def test_global_neuron_pruning_takes_more_from_the_layer_with_weak_neurons():
    torch.manual_seed(0)
    model = build_model("lenet_300_100")
    with torch.no_grad():   # fc1's neurons 0-199 are weak: their rows and their columns in fc2
        model.features[1].weight[:200] *= 1e-3
        model.features[3].weight[:, :200] *= 1e-3
    prune_(model, PruneConfig(sparsity=0.5, scope="global", max_layer_sparsity=0.9), X)
    fc1, fc2 = model.features[1].weight.shape[0], model.features[3].weight.shape[0]
    assert fc1 < 150 and fc2 > 50                    # uneven, unlike local scope
    assert fc1 >= 30                                 # but no layer beyond max_layer_sparsity
    assert fc1 + fc2 == 200


def test_skip_layers_are_left_whole_and_unknown_names_are_refused():
    model = build_model("lenet_300_100")
    prune_(model, PruneConfig(sparsity=0.5, skip_layers=["features.3"]), X)
    assert model.features[3].weight.shape[0] == 100
    with pytest.raises(ConfigError, match="names no prunable layer: fc9. Prunable layers: "):
        prune_(build_model("lenet_300_100"), PruneConfig(skip_layers=["fc9"]), X)


def test_data_driven_criteria_without_data_are_refused():
    with pytest.raises(ConfigError, match="needs training batches"):
        prune_(build_model("lenet_300_100"), PruneConfig(criterion="taylor"), X)


def test_snip_is_connection_sensitivity_on_one_combined_batch():
    torch.manual_seed(0)
    model, batches = toy()
    halves = [(batches[0][0][:32], batches[0][1][:32]), (batches[0][0][32:], batches[0][1][32:])]
    nn.functional.cross_entropy(model(batches[0][0]), batches[0][1]).backward()
    expected = (model.weight.detach() * model.weight.grad).abs()
    model.zero_grad(set_to_none=True)
    assert torch.allclose(CRITERIA["snip"](model, {"fc": model}, halves, {})["fc"], expected)


def test_snip_prunes_the_untrained_network_before_any_training_step(trained_mlp, splits):
    from prunegate.compression.budget import prune_checkpoint
    from prunegate.models import Checkpoint, fresh_copy
    pruned, report = prune_checkpoint(Checkpoint(trained_mlp), splits[0], splits[1], PruneConfig(
        granularity="weights", criterion="snip", at_init=True, sparsity=0.9, scope="global",
        seed=3))
    init = fresh_copy(trained_mlp, seed=3).features[1].weight.detach()
    w = pruned.model.features[1].weight.detach()
    kept = w != 0
    assert torch.equal(w[kept], init[kept])                          # the init values, untrained
    assert not torch.equal(w[kept], trained_mlp.features[1].weight.detach()[kept])
    assert report["config"]["at_init"] is True


def test_snip_without_pruning_at_init_is_refused():
    with pytest.raises(ConfigError, match="set prune.at_init: true"):
        PruneConfig(criterion="snip")
    with pytest.raises(ConfigError, match="needs schedule 'one_shot'"):
        PruneConfig(at_init=True, schedule="iterative", sparsity=0.5)


def test_apoz_removes_the_neurons_that_never_fire_even_with_large_weights(splits):
    model = build_model("lenet_300_100")
    with torch.no_grad():
        model.features[1].weight[:150] *= 10          # large weights...
        model.features[1].bias[:150] = -1e4           # ...but dead after the ReLU
        # the rest always fire (|w.x| < 30 on [0, 1] pixels): a random neuron that happens to be
        # dead on all 128 samples would tie with the dead ones, and which were kept would be luck
        model.features[1].bias[150:] = 1e3
        alive = model.features[1].weight[150:].clone()
    x, y = torch.from_numpy(splits[0]["x"][:128]), torch.from_numpy(splits[0]["y"][:128]).long()
    prune_(model, PruneConfig(criterion="apoz", sparsity=0.5), X, [(x, y)])
    assert torch.equal(model.features[1].weight.detach(), alive)
    with pytest.raises(ConfigError, match="needs granularity 'neurons'"):
        PruneConfig(criterion="apoz", granularity="weights")
