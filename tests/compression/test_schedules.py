"""Pruning schedules: the formulas, and what they do to a model during fine-tuning."""

import pytest
import torch

from prunegate.compression.prune import PruneConfig, prune_
from prunegate.compression.schedules import cubic_sparsity, finetune, round_fraction
from prunegate.errors import ConfigError
from prunegate.models import Checkpoint, build_model
from prunegate.training.loop import TrainConfig

X = torch.zeros(1, 1, 28, 28)


def test_cubic_schedule_matches_zhu_and_gupta():
    s_i, s_f, t0, n, dt = 0.1, 0.9, 5, 4, 10
    for t, expected in [(0, 0.1), (5, 0.1), (15, 0.9 - 0.8 * 0.75**3), (25, 0.9 - 0.8 * 0.5**3),
                        (35, 0.9 - 0.8 * 0.25**3), (45, 0.9), (100, 0.9)]:
        assert cubic_sparsity(t, s_i, s_f, t0, n, dt) == pytest.approx(expected)


def test_equal_rounds_compound_to_the_target():
    r = round_fraction(0.7, 3)
    assert (1 - r) ** 3 == pytest.approx(0.3)


def small_data(splits):
    return {k: v[:256] for k, v in splits[0].items()}, splits[1]


def test_gradual_pruning_follows_the_schedule_during_fine_tuning(splits):
    train, val = small_data(splits)
    config = PruneConfig(granularity="weights", schedule="gradual", sparsity=0.8,
                         gradual_events=4, gradual_end=0.5)
    model = build_model("lenet_300_100", hidden=[32, 16])
    masks = prune_(model, PruneConfig(granularity="weights", sparsity=0.0), X)
    tuned, history = finetune(Checkpoint(model, masks), train, val,
                              TrainConfig(epochs=4, batch_size=32), config)
    # 4 epochs x 8 steps = 32 steps; 4 events within the first half: every 4 steps, so the
    # epochs end (steps 8, 16, 24, 32) at s(8), s(16) = 0.8, then 0.8
    assert history["sparsity"] == pytest.approx(
        [cubic_sparsity(8, 0.0, 0.8, 0, 4, 4), 0.8, 0.8, 0.8])
    assert history["sparsity"][0] == pytest.approx(0.8 - 0.8 * 0.5**3)
    hidden = [tuned.model.features[1].weight, tuned.model.features[3].weight]
    zeros = sum(int((w == 0).sum()) for w in hidden) / sum(w.numel() for w in hidden)
    assert zeros == pytest.approx(0.8, abs=0.002)               # enforced to the last step
    assert set(tuned.masks) == {"features.1.weight", "features.3.weight"}


def test_iterative_pruning_reaches_the_target_in_rounds(splits):
    train, val = small_data(splits)
    config = PruneConfig(schedule="iterative", sparsity=0.7, rounds=3)
    model = build_model("lenet_300_100")
    prune_(model, PruneConfig(sparsity=round_fraction(0.7, 3)), X)       # the prune stage
    after_stage = model.features[1].weight.shape[0]
    tuned, history = finetune(Checkpoint(model), train, val, TrainConfig(epochs=3), config)
    width = tuned.model.features[1].weight.shape[0]
    assert after_stage == pytest.approx(201, abs=1)                   # round 1: 33%
    assert width == pytest.approx(90, abs=4)                          # 300 x (1 - 0.7)
    assert history["epoch"] == [1, 2, 3]                              # one epoch per round


def test_one_shot_holds_the_masks_through_fine_tuning(splits):
    train, val = small_data(splits)
    config = PruneConfig(granularity="weights", sparsity=0.5)
    model = build_model("lenet_300_100", hidden=[32, 16])
    masks = prune_(model, config, X)
    tuned, _ = finetune(Checkpoint(model, masks), train, val, TrainConfig(epochs=2), config)
    for name, mask in masks.items():
        weight = dict(tuned.model.named_parameters())[name]
        assert torch.equal(weight != 0, mask)                 # same zeros, nothing came back


def test_dynamic_pruning_lets_pruned_weights_come_back_at_the_same_sparsity(splits):
    train, val = small_data(splits)
    config = PruneConfig(granularity="weights", schedule="dynamic", sparsity=0.8,
                         dynamic_every=2, dynamic_end=1.0)
    model = build_model("lenet_300_100", hidden=[32, 16])
    masks = prune_(model, config, X)
    tuned, history = finetune(Checkpoint(model, masks), train, val,
                              TrainConfig(epochs=3, batch_size=32, lr=0.01), config)
    revived = 0
    for name, start in masks.items():
        weight = dict(tuned.model.named_parameters())[name]
        assert float((weight == 0).float().mean()) == pytest.approx(0.8, abs=1 / weight.numel())
        assert torch.equal(tuned.masks[name], weight != 0)
        revived += int(((weight != 0) & ~start).sum())
    assert revived > 0                                        # pruned at the start, back at the end
    assert history["revived"][-1] >= revived and history["revived"] == sorted(history["revived"])
    assert not any("parametrizations" in n for n, _ in tuned.model.named_parameters())


@pytest.mark.parametrize("kwargs, message", [
    ({"rounds": 3}, "prune.rounds is only read with prune.schedule 'iterative'"),
    ({"schedule": "iterative", "rounds": 1}, "'prune.rounds' must be >= 2"),
    ({"schedule": "gradual"}, "needs granularity 'weights'"),
    ({"schedule": "gradual", "granularity": "weights", "initial_sparsity": 0.9},
     "'prune.initial_sparsity' must be <= 0.7"),
    ({"schedule": "iterative", "gradual_events": 5}, "only read with prune.schedule 'gradual'"),
    ({"schedule": "dynamic"}, "'dynamic' re-ranks weights by magnitude"),
    ({"dynamic_every": 5}, "only read with prune.schedule 'dynamic'"),
])
def test_schedule_settings_are_checked(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        PruneConfig(**kwargs)
