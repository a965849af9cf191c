"""mnist_mlp_fast through the whole chain: a one-hidden-layer student taught by the dense
model, int8 weight storage, the IOBinding call path. Its speed and accuracy are benchmark
figures (docs/benchmarks.md#the-speed-goals); this checks that the recipe builds what it
says, with a tiny training budget."""

import json

import numpy as np
import onnx
import pytest

from prunegate.models.checkpoint import load_checkpoint

from .conftest import LOOSE, TINY, make_project

pytestmark = pytest.mark.e2e


def test_the_fast_recipe_ships_int8_weights_that_run_as_fp32(tmp_path):
    project = make_project(tmp_path)
    done = project.run("--config", "pipelines/mnist_mlp_fast.yml", "--params",
                       f"{TINY},{LOOSE},gates.checks.gzip_50x_smaller.threshold=0.05")
    assert done.returncode == 0, done.stderr[-3000:]
    out = project.path / "data" / "mnist_mlp_fast"
    widths = {stage: [m.out_features for m in load_checkpoint(
        out / f"06_models/{stage}.pt").model.modules() if hasattr(m, "out_features")]
        for stage in ("finetuned", "distilled")}
    assert widths == {"finetuned": [24, 16, 10], "distilled": [24, 10]}
    deployable = onnx.load(out / "06_models/model.int8.onnx")
    int8 = [i for i in deployable.graph.initializer if i.data_type == onnx.TensorProto.INT8]
    assert sorted(tuple(i.dims) for i in int8) == [(10, 24), (24, 784)]
    assert "QuantizeLinear" not in {n.op_type for n in deployable.graph.node}
    quantize = json.loads((out / "08_reporting/quantize_report.json").read_text())
    assert quantize["chosen"] == "int8-storage:Gemm" and quantize["call"] == "iobinding"
    # the int8 file computes what the distilled fp32 model computes, up to weight rounding
    fp32 = onnx.load(out / "06_models/distilled.onnx")
    x = np.load(out / "05_model_input/test.npz")["x"][:64]
    from prunegate.evaluation.latency import make_session
    a, b = (make_session(m.SerializeToString()) for m in (fp32, deployable))
    ya, yb = (s.run(None, {s.get_inputs()[0].name: x})[0] for s in (a, b))
    assert np.mean(ya.argmax(1) == yb.argmax(1)) >= 0.95
    assert "models called with `iobinding`" in (out / "08_reporting/gate.md").read_text()
