import pytest

from prunegate.compression.budget import prune_checkpoint
from prunegate.compression.prune import PruneConfig
from prunegate.errors import ConfigError
from prunegate.models import Checkpoint, build_model
from prunegate.pipelines.prune import create_pipeline
from prunegate.pipelines.prune.nodes import prune_model

from .conftest import run_pipeline, typed


def test_pruning_leaves_the_baseline_untouched(baseline, splits):
    pruned, report = prune_checkpoint(baseline, splits[0], splits[1],
                                      PruneConfig(granularity="neurons", sparsity=0.5))
    assert baseline.model.features[1].weight.shape == (300, 784)
    assert pruned.model.features[1].weight.shape == (150, 784)
    assert report["layers"]["features.1"]["after"]["shape"] == [150, 784]


def test_layer_dropping_is_measured_on_the_validation_split(splits):
    model = build_model("resnet_mini", channels=4, widths=[4, 4, 4])
    pruned, report = prune_checkpoint(Checkpoint(model), splits[0], splits[1], PruneConfig(
        granularity="layers", criterion="accuracy", scope="global", sparsity=0.67))
    assert len(pruned.model.blocks) == 1 and len(model.blocks) == 3
    assert len(report["blocks"]["dropped"]) == 2
    gone = {n for n, v in report["layers"].items() if v["after"]["params"] == 0}
    dropped = report["blocks"]["dropped"]
    assert gone == {f"{b}.{c}" for b in dropped for c in ("conv1", "conv2")}
    assert len(report["layers"]) == 1 + 3 * 2 + 1


def test_a_bad_sparsity_is_refused_before_the_node_runs():
    with pytest.raises(ConfigError, match="prune.sparsity"):
        typed({"prune": {"sparsity": 1.0}})


def test_prune_node_shrinks_neurons(baseline, splits):
    configs = typed({"prune": {"granularity": "neurons", "sparsity": 0.5}})
    pruned, report = prune_model(baseline, splits[0], splits[1], splits[2],
                                 configs["config:chain"], configs["config:target"],
                                 configs["config:gates"])
    assert pruned.model.features[1].weight.shape == (150, 784)
    assert "accuracy_budget" not in report   # no budget asked: one prune, no back-off


def test_prune_pipeline_unstructured_reaches_the_sparsity(baseline, splits):
    out = run_pipeline(create_pipeline(), {
        "baseline_model": baseline, "train": splits[0], "val": splits[1], "test": splits[2],
        **typed({"prune": {"granularity": "weights", "sparsity": 0.9}})})
    layers = out["prune_report"]["layers"]
    zeros = sum(v["after"]["sparsity"] * v["after"]["params"] for k, v in layers.items()
                if k != "classifier")
    total = sum(v["after"]["params"] for k, v in layers.items() if k != "classifier")
    assert zeros / total == pytest.approx(0.9, abs=1e-4)
    assert set(out["pruned_model"].masks) == {"features.1.weight", "features.3.weight"}
