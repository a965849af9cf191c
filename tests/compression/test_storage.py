"""int8 weight storage: the file holds int8, ONNX Runtime computes in fp32."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from torch import nn

from prunegate.compression.quantize import QuantizeConfig, quantize_measured
from prunegate.compression.storage import quantize_symmetric, store_int8
from prunegate.evaluation.latency import make_session
from prunegate.models import build_model
from prunegate.onnx_io.export import export_onnx


@pytest.fixture(scope="module")
def mlp() -> onnx.ModelProto:
    torch.manual_seed(0)
    return export_onnx(build_model("lenet_300_100", hidden=[24, 16]), (1, 28, 28))


def _run(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    session = make_session(model.SerializeToString())
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def test_stored_weights_are_int8_and_the_file_is_about_four_times_smaller(mlp):
    stored = store_int8(mlp, ["Gemm"])
    types = {i.name: i.data_type for i in stored.graph.initializer}
    assert sum(t == onnx.TensorProto.INT8 for t in types.values()) == 3   # one per Linear
    assert stored.ByteSize() < mlp.ByteSize() / 3.5


def test_outputs_match_fp32_within_int8_rounding(mlp):
    x = np.random.default_rng(0).random((16, 1, 28, 28), dtype=np.float32)
    dense, stored = _run(mlp, x), _run(store_int8(mlp, ["Gemm"]), x)
    assert np.abs(dense - stored).max() < 0.02 * np.abs(dense).max()
    assert not np.array_equal(dense, stored)   # it really was rounded


def test_onnx_runtime_folds_the_rebuild_away_when_the_session_loads(mlp, tmp_path):
    """The speed claim rests on this: after ONNX Runtime's basic optimisation the graph has no
    Cast or Mul left, only fp32 Gemms on fp32 constants, the fp32 model's own kernels."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.optimized_model_filepath = str(tmp_path / "optimized.onnx")
    ort.InferenceSession(store_int8(mlp, ["Gemm"]).SerializeToString(), options,
                         providers=["CPUExecutionProvider"])
    optimized = onnx.load(tmp_path / "optimized.onnx")
    assert [n.op_type for n in optimized.graph.node] == [n.op_type for n in mlp.graph.node]
    assert {i.data_type for i in optimized.graph.initializer} == {onnx.TensorProto.FLOAT}


def test_per_channel_scales_follow_each_ops_output_axis():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 4, 3)
            self.fc = nn.Linear(4 * 26 * 26, 5)

        def forward(self, x):
            return self.fc(torch.flatten(self.conv(x), 1))

    torch.manual_seed(0)
    model = export_onnx(Net(), (1, 28, 28))
    stored = store_int8(model, ["Conv", "Gemm"], per_channel=True)
    scales = {i.name: tuple(i.dims) for i in stored.graph.initializer
              if i.name.endswith("_scale")}
    assert sorted(scales.values()) == [(4, 1, 1, 1), (5, 1)]   # Conv out channels, Gemm rows
    per_tensor = store_int8(model, ["Conv"], per_channel=False)
    assert [tuple(i.dims) for i in per_tensor.graph.initializer
            if i.name.endswith("_scale")] == [(1, 1, 1, 1)]
    x = np.random.default_rng(0).random((2, 1, 28, 28), dtype=np.float32)
    assert np.allclose(_run(model, x), _run(stored, x), atol=0.02)


def test_symmetric_codes_keep_a_pruned_row_zero_and_round_within_half_a_step():
    w = np.array([[0.0, 0.0, 0.0], [1.27, -0.635, 0.001]], np.float32)
    codes, scale = quantize_symmetric(w, axis=0)
    assert codes[0].tolist() == [0, 0, 0] and codes[1].tolist() == [127, -64, 0]
    assert np.all(np.abs(codes * scale - w) <= scale / 2 + 1e-7)


def test_the_storage_mode_is_timed_like_any_variant_and_labelled(mlp):
    x = np.random.default_rng(0).random((64, 1, 28, 28), dtype=np.float32)
    deployable, report = quantize_measured(
        mlp, x, QuantizeConfig(mode="storage", op_types=["Gemm"], per_channel=True,
                               timing_repeats=50))
    assert report["chosen"] == "int8-storage:Gemm"
    assert set(report["variants"]) == {"int8-storage:Gemm", "fp32"}
    assert deployable.ByteSize() < report["variants"]["fp32"]["size_bytes"] / 3.5


def test_op_types_outside_what_storage_handles_are_refused():
    from prunegate.errors import ConfigError
    with pytest.raises(ConfigError, match="quantize.op_types"):
        QuantizeConfig(mode="storage", op_types=["Relu"])
