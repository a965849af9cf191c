"""compact_names: a smaller file that computes the same, with its input/output contract kept."""

import numpy as np
import onnxruntime as ort
import torch

from prunegate.compression.quantize import QuantizeConfig, quantize_static
from prunegate.evaluation.size import onnx_size
from prunegate.models import build_model
from prunegate.onnx_io.export import export_onnx
from prunegate.onnx_io.graph import compact_names


def test_compacted_int8_graph_is_smaller_and_computes_the_same():
    torch.manual_seed(0)
    model = export_onnx(build_model("mobilenet_v2_mini"), (1, 28, 28))
    x = np.random.default_rng(0).random((8, 1, 28, 28), dtype=np.float32)
    int8 = quantize_static(model, x, ["Conv", "Gemm"], QuantizeConfig(op_types=["Conv", "Gemm"]))
    compact = compact_names(int8)
    assert compact.ByteSize() < 0.7 * int8.ByteSize()  # names were most of this file
    assert [v.name for v in compact.graph.input] == ["input"]
    assert [v.name for v in compact.graph.output] == ["logits"]
    before = ort.InferenceSession(int8.SerializeToString()).run(None, {"input": x})[0]
    after = ort.InferenceSession(compact.SerializeToString()).run(None, {"input": x})[0]
    assert np.array_equal(before, after)
    # quantization scales and zero points are still told apart from weights
    assert onnx_size(compact)["params"] == onnx_size(int8)["params"]
