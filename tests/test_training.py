import torch

from prunegate.compression.prune import PruneConfig, prune_
from prunegate.models import build_model
from prunegate.training import TrainConfig, accuracy, fit


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

