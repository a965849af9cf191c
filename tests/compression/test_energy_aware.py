"""Energy-aware pruning: ratios from each layer's energy saving, until the budget is met; the
allocation differs from a MAC budget's where weights, not multiply-adds, cost the energy."""

import pytest
import torch

from prunegate.compression.prune import PruneConfig, prune_
from prunegate.errors import ConfigError
from prunegate.evaluation.energy import energy_model
from prunegate.evaluation.size import count_macs
from prunegate.evaluation.targets import TargetProfile
from prunegate.models import build_model
from prunegate.onnx_io.export import export_onnx

MLP_X = torch.zeros(1, 1, 28, 28)


def _energy(model, target=None):
    target = target or TargetProfile()
    setup = target.energy_setup()
    return energy_model(export_onnx(model, tuple(MLP_X.shape[1:])), setup.costs,
                        setup.weights_from)["uj_per_inference"]


def test_a_budget_is_met_by_shrinking_tensors_and_its_pin_replays_it():
    torch.manual_seed(0)
    model = build_model("lenet_300_100")
    dense_uj = _energy(model)
    details = {}
    prune_(model, PruneConfig(sparsity=None, scope="global", energy_budget_ratio=0.3), MLP_X,
           None, details)
    assert details["met"] and details["energy"] == "modelled"
    assert details["dense_uj"] == pytest.approx(dense_uj)
    assert details["energy_uj"] == pytest.approx(_energy(model))
    assert details["energy_uj"] <= 0.3 * dense_uj
    assert model.features[1].weight.shape[0] < 300                    # tensors really shrank
    costs = [s["cost"] for s in details["steps"]]
    assert costs == sorted(costs, reverse=True) and costs[-1] == details["energy_uj"]
    torch.manual_seed(0)
    replayed = build_model("lenet_300_100")
    prune_(replayed, PruneConfig(sparsity=None, layer_ratios=details["pin"][
        "prune.layer_ratios"]), MLP_X)
    assert _energy(replayed) == pytest.approx(details["energy_uj"])


def test_energy_and_mac_budgets_prune_lenet5_differently():
    """LeNet-5's convolutions hold 4% of its weights but 86% of its multiply-adds. With weights
    read from DRAM (160 pJ a byte) the energy budget goes where the weights are; priced by
    multiply-adds alone (no memory cost) the same budget goes where the arithmetic is. Each
    allocation wins on its own cost."""
    x = torch.zeros(1, 1, 28, 28)
    pruned = {}
    for name, costs in (("energy", {}), ("macs", {"dram_byte_pj": 0.0, "sram_byte_pj": 0.0})):
        torch.manual_seed(0)
        model = build_model("lenet5")
        details = {}
        prune_(model, PruneConfig(sparsity=None, scope="global", energy_budget_ratio=0.5), x,
               None, details, TargetProfile(energy_costs=costs))
        assert details["met"]
        pruned[name] = (model, details["ratios"])
    assert pruned["energy"][1] != pruned["macs"][1]
    weights = {k: sum(p.numel() for p in m.parameters()) for k, (m, _) in pruned.items()}
    macs = {k: count_macs(m, (1, 28, 28)) for k, (m, _) in pruned.items()}
    assert weights["energy"] < 0.8 * weights["macs"]
    assert macs["macs"] < 0.8 * macs["energy"]


def test_an_unreachable_budget_is_reported_not_met():
    torch.manual_seed(0)
    model = build_model("lenet_300_100")
    details = {}
    prune_(model, PruneConfig(sparsity=None, scope="global", energy_budget_uj=0.001), MLP_X,
           None, details)
    assert not details["met"] and details["energy_uj"] > 0.001
    assert all(r == 0.9 for r in details["ratios"].values())


@pytest.mark.parametrize("settings, message", [
    ({"energy_budget_uj": 10.0, "energy_budget_ratio": 0.2}, "set one of them"),
    ({"energy_budget_ratio": 0.2, "sparsity": 0.5}, "set prune.sparsity: null"),
    ({"energy_budget_ratio": 0.2, "sparsity": None, "granularity": "weights"},
     "granularity 'neurons'"),
    ({"energy_budget_ratio": 1.5, "sparsity": None}, "must be < 1.0"),
    ({"energy_budget_ratio": 0.2, "sparsity": None, "latency_budget_ms": 0.02},
     "two budgets"),
])
def test_bad_energy_budgets_are_one_clear_config_error(settings, message):
    with pytest.raises(ConfigError, match=message):
        PruneConfig(**{"scope": "global", **settings})
