"""A family recipe through the whole chain: attention heads pruned for real, reloaded by every
later stage from its checkpoint, exported, quantized, gated and registered, with the text
model's two inputs (input_ids, attention_mask) in every one of those steps. The text encoder
runs in make test because it is the only family whose data is not an image; mnist_mobilenet
(47 s) is marked slow, outside make test's 15 minutes on 2 cores (`pytest -m slow
tests/e2e/test_families.py` runs it). The depthwise pruning, reload and export of MobileNet and
the ViT are covered in tests/models/test_families.py."""

import json

import pytest
import torch

from prunegate.models.checkpoint import load_checkpoint
from prunegate.models.vit import Attention

from .conftest import LOOSE, TINY, make_project

pytestmark = pytest.mark.e2e


QUANTIZE = {"mnist_mobilenet": "quantize.op_types=[]",  # int8 convs: timed in test_quantize
            # every variant eligible, so the smallest (int8 embedding and linears) is chosen
            "text_encoder": "quantize.latency_tolerance=1.0"}


@pytest.mark.parametrize("recipe", [
    pytest.param("mnist_mobilenet", marks=pytest.mark.slow), "text_encoder"])
def test_a_family_recipe_runs_end_to_end(tmp_path, recipe):
    project = make_project(tmp_path)
    done = project.run("--config", f"pipelines/{recipe}.yml", "--params",
                       f"{TINY},{LOOSE},{QUANTIZE[recipe]}")
    assert done.returncode == 0, done.stderr[-3000:]
    out = project.path / "data" / recipe
    baseline = load_checkpoint(out / "06_models/baseline.pt").model
    pruned = load_checkpoint(out / "06_models/distilled.pt").model
    assert sum(p.numel() for p in pruned.parameters()) < 0.6 * sum(
        p.numel() for p in baseline.parameters())
    if recipe == "mnist_mobilenet":
        depthwise = [m for m in pruned.modules() if isinstance(m, torch.nn.Conv2d) and m.groups > 1]
        assert all(m.groups == m.in_channels == m.out_channels for m in depthwise)
        assert all(m.out_channels % 8 == 0 for m in pruned.modules()
                   if isinstance(m, torch.nn.Conv2d) and m is not pruned.features[0])
    else:
        heads = [m.num_heads for m in pruned.modules() if isinstance(m, Attention)]
        assert heads == [2, 2]  # 2 blocks of 4 heads of 16 each, half removed whole
        _check_two_inputs(project, out)
    report = json.loads((out / "08_reporting/prune_report.json").read_text())
    assert "left_unpruned" not in json.dumps(report)
    gate = json.loads((out / "08_reporting/gate.json").read_text())
    assert gate["passed"]


def _check_two_inputs(project, out) -> None:
    """The deployable, its registered MLflow model and its signature take both inputs."""
    import mlflow
    import onnx

    deployable = onnx.load(out / "06_models/model.int8.onnx")
    assert [i.name for i in deployable.graph.input] == ["input_ids", "attention_mask"]
    assert "DynamicQuantizeLinear" in {n.op_type for n in deployable.graph.node}
    mlflow.set_tracking_uri(project.uri)
    signature = mlflow.models.get_model_info("models:/prunegate-text-encoder/1").signature
    assert signature.inputs.input_names() == ["input_ids", "attention_mask"]

