import numpy as np
import pytest
import torch

from prunegate.compression.prune import PruneConfig, prune_
from prunegate.models import build_model
from prunegate.training.loop import TrainConfig, accuracy, fit, seed_everything


def test_training_learns_and_records_a_curve_per_epoch(splits):
    train, val, _ = splits
    model = build_model("lenet_300_100")
    before = accuracy(model, val)
    history = fit(model, train, val, TrainConfig(epochs=2))
    assert history["epoch"] == [1.0, 2.0] and len(history["val_accuracy"]) == 2
    assert history["val_accuracy"][-1] > before + 0.5


def test_masks_stay_fixed_through_fine_tuning(splits, trained_mlp):
    import copy
    model = copy.deepcopy(trained_mlp)
    masks = prune_(model, PruneConfig(granularity="weights", sparsity=0.9, scope="global"),
                   torch.zeros(1, 1, 28, 28))
    fit(model, splits[0], splits[1], TrainConfig(epochs=1, lr=0.01), masks=masks)
    params = dict(model.named_parameters())
    for name, mask in masks.items():
        assert (params[name][~mask] == 0).all()           # pruned weights exactly zero
        assert (params[name][mask] != 0).float().mean() > 0.99


def test_without_masks_zeroed_weights_grow_back(splits, trained_mlp):
    """The control for the test above: the mask is what keeps them at zero."""
    import copy
    model = copy.deepcopy(trained_mlp)
    prune_(model, PruneConfig(granularity="weights", sparsity=0.9, scope="global"),
           torch.zeros(1, 1, 28, 28))
    fit(model, splits[0], splits[1], TrainConfig(epochs=1, lr=0.01))
    assert float((model.features[1].weight == 0).float().mean()) < 0.5


def test_cosine_schedule_decays_the_learning_rate(splits):
    history = fit(build_model("lenet_300_100"), splits[0], splits[1],
                  TrainConfig(epochs=3, lr=0.01, scheduler="cosine"))
    assert history["lr"][0] == 0.01 and history["lr"][2] < history["lr"][1] < 0.01



def test_epochs_are_capped_with_a_pointer_to_the_time_budget():
    from prunegate.errors import ConfigError
    from prunegate.training.loop import MAX_EPOCHS

    with pytest.raises(ConfigError, match=r"'epochs' must be <= 10,000, got 1,000,000,000\. "
                                          r"For a long job, bound it by time instead"):
        TrainConfig(epochs=1_000_000_000)
    assert TrainConfig(epochs=MAX_EPOCHS).epochs == MAX_EPOCHS


def test_the_time_budget_ends_training_cleanly_after_an_epoch(monkeypatch):
    import prunegate.training.loop as training

    clock = iter(range(0, 10_000, 60))  # every reading one minute later than the last
    monkeypatch.setattr(training.time, "monotonic", lambda: float(next(clock)))
    rng = np.random.default_rng(0)
    data = {"x": rng.normal(size=(64, 4)).astype(np.float32),
            "y": rng.integers(0, 2, 64).astype(np.int64)}
    model = torch.nn.Linear(4, 2)
    history = training.fit(model, data, data, TrainConfig(epochs=50, max_minutes=2.5))
    assert history["epoch"] == [1.0, 2.0, 3.0]  # 1, 2, 3 minutes: stops after the third


def test_seeding_asks_for_deterministic_kernels_and_only_warns_without_one():
    torch.use_deterministic_algorithms(False)
    seed_everything(3)
    assert torch.are_deterministic_algorithms_enabled()
    assert torch.is_deterministic_algorithms_warn_only_enabled()
    first = torch.rand(4)
    seed_everything(3)
    assert torch.equal(first, torch.rand(4))
