import pytest

from prunegate.errors import ConfigError
from prunegate.pipelines.distill import create_pipeline
from prunegate.pipelines.distill.nodes import distill_model

from .conftest import TINY_TRAIN, config, run_pipeline, typed


def test_a_bad_temperature_is_refused_before_the_node_runs():
    with pytest.raises(ConfigError, match="distill.temperature"):
        typed({"distill": {"temperature": 0}})


def test_smaller_zoo_student_learns_from_the_pruned_teacher(pruned, baseline, splits):
    # the fine-tuned stage is the teacher here: the dense baseline stands in for it
    student, history = distill_model(baseline, pruned, splits[0], splits[1], config("chain", {
        "distill": {"student": "lenet_300_100", "student_kwargs": {"hidden": [32, 16]},
                    "training": {**TINY_TRAIN, "epochs": 3, "lr": 0.01}}}))
    assert student.model.arch()["hidden"] == [32, 16]
    assert student.masks == {}
    assert history["val_accuracy"][-1] > 0.5


def test_distill_pipeline_trains_the_pruned_student_and_keeps_its_masks(pruned, baseline, splits):
    out = run_pipeline(create_pipeline(), {
        "finetuned_model": pruned, "baseline_model": baseline, "train": splits[0],
        "val": splits[1], **typed({"distill": {"temperature": 4.0, "alpha": 0.7,
                                               "training": TINY_TRAIN}})})
    params = dict(out["distilled_model"].model.named_parameters())
    for name, mask in pruned.masks.items():
        assert (params[name][~mask] == 0).all()
    assert len(out["distill_history"]["train_loss"]) == 1
