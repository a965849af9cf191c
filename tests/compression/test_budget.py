"""The accuracy budget: the most compressed sparsity whose fine-tuned drop fits, from the top."""

import pytest
import torch

from prunegate.compression.budget import ladder, prune_within_budget
from prunegate.compression.prune import PruneConfig
from prunegate.compression.schedules import finetune
from prunegate.errors import ConfigError
from prunegate.gate.config import GateConfig
from prunegate.gate.resolution import accuracy_budget_pp, drop_margin_pp
from prunegate.models import Checkpoint
from prunegate.training.loop import TrainConfig, accuracy

TUNE = TrainConfig(epochs=1)
# 99% of the neurons (3 of 300, 1 of 100) cannot hold ten digits; half of them can
EXTREMES = PruneConfig(sparsity=0.99, accuracy_budget=True, backoff_step=0.49,
                       backoff_floor=0.5)


def test_the_ladder_runs_from_the_target_down_to_the_floor():
    config = PruneConfig(sparsity=0.7, accuracy_budget=True, backoff_step=0.1, backoff_floor=0.4)
    assert ladder(config) == [0.7, 0.6, 0.5, 0.4]
    assert ladder(EXTREMES) == [0.99, 0.5]


def test_a_sparsity_the_model_cannot_afford_is_backed_off(trained_mlp, splits):
    train, val = splits[0], splits[1]
    pruned, report = prune_within_budget(Checkpoint(trained_mlp), train, val, EXTREMES, TUNE,
                                         max_drop_pp=10.0)
    budget = report["accuracy_budget"]
    assert [t["sparsity"] for t in budget["tried"]] == [0.99, 0.5]
    assert budget["tried"][0]["val_drop_pp"] > 10.0 >= budget["tried"][1]["val_drop_pp"]
    assert all(t["val_drop_lower_pp"] <= t["val_drop_pp"] for t in budget["tried"])
    assert budget["tried"][0]["over"] and not budget["tried"][1]["over"]
    assert budget["met"] and budget["chosen_sparsity"] == 0.5
    assert budget["pin"] == {"prune.sparsity": 0.5, "prune.accuracy_budget": False}
    assert pruned.model.features[1].weight.shape[0] == 150            # the chosen one
    assert report["config"]["sparsity"] == 0.5
    # the fine-tune stage, given the chosen model, reproduces the trial bit for bit
    tuned, _ = finetune(pruned, train, val, TUNE, PruneConfig(sparsity=0.5))
    again, _ = finetune(pruned, train, val, TUNE, PruneConfig(sparsity=0.5))
    assert all(torch.equal(a, b) for a, b in zip(tuned.model.parameters(),
                                                 again.model.parameters(), strict=True))
    drop = 100 * (accuracy(trained_mlp, val) - accuracy(tuned.model, val))
    assert drop == pytest.approx(budget["tried"][1]["val_drop_pp"], abs=1e-3)


def test_the_most_compressed_passing_point_wins_and_a_miss_is_reported(trained_mlp, splits):
    train, val = splits[0], splits[1]
    _, first = prune_within_budget(Checkpoint(trained_mlp), train, val, EXTREMES, TUNE,
                                   max_drop_pp=100.0)
    assert [t["sparsity"] for t in first["accuracy_budget"]["tried"]] == [0.99]   # no back-off
    _, none = prune_within_budget(Checkpoint(trained_mlp), train, val, EXTREMES, TUNE,
                                  max_drop_pp=-100.0)
    assert not none["accuracy_budget"]["met"] and none["accuracy_budget"]["chosen_sparsity"] == 0.5


def test_the_budget_is_the_drop_limit_less_the_test_splits_margin():
    gate = GateConfig(max_accuracy_drop_pp=1.5, expected_disagreement=0.02)
    assert accuracy_budget_pp(gate, 1000) == pytest.approx(1.5 - drop_margin_pp(1000, 0.02, 0.95))
    assert 0.7 < accuracy_budget_pp(gate, 1000) < 0.8
    with pytest.raises(ConfigError, match="gates.max_accuracy_drop_pp, which is null"):
        accuracy_budget_pp(GateConfig(max_accuracy_drop_pp=None), 1000)


@pytest.mark.parametrize("kwargs, message", [
    ({"accuracy_budget": True, "schedule": "iterative"}, "backs off a one-shot sparsity"),
    ({"accuracy_budget": True, "backoff_floor": 0.8}, "above prune.sparsity"),
    ({"accuracy_budget": "yes"}, "must be true or false"),
    ({"backoff_step": 0.0}, "prune.backoff_step"),
])
def test_budget_settings_are_checked(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        PruneConfig(**kwargs)
