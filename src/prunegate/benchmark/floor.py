"""Two reference points of the latency table: the runtime's floor, and torch eager."""

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper
from torch import nn

from prunegate.onnx_io.export import INPUT_NAME, OUTPUT_NAME


def floor_model(input_shape: tuple[int, ...], classes: int) -> onnx.ModelProto:
    """A trivial model with the same input and output shapes: flatten, keep the first
    ``classes`` values. What ONNX Runtime costs per call when the model does nothing."""
    starts = helper.make_tensor("starts", TensorProto.INT64, [1], [0])
    ends = helper.make_tensor("ends", TensorProto.INT64, [1], [classes])
    axes = helper.make_tensor("axes", TensorProto.INT64, [1], [1])
    graph = helper.make_graph(
        [helper.make_node("Flatten", [INPUT_NAME], ["flat"], axis=1),
         helper.make_node("Slice", ["flat", "starts", "ends", "axes"], [OUTPUT_NAME])],
        "floor", [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT,
                                                ["batch", *input_shape])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["batch", classes])],
        initializer=[starts, ends, axes])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8   # what every supported ONNX Runtime reads (onnx stamps its newest)
    onnx.checker.check_model(model)
    return model


class _Input:
    name = INPUT_NAME


class TorchSession:
    """A torch eager model behind the ``InferenceSession`` calls ``measure_interleaved`` makes,
    so it is timed in the same rounds as the ONNX models (1 thread, no autograd)."""

    def __init__(self, model: nn.Module):
        self.model = model.eval()

    def get_inputs(self) -> list[_Input]:
        return [_Input()]

    def run(self, outputs, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        with torch.inference_mode():
            return [self.model(torch.from_numpy(feeds[INPUT_NAME])).numpy()]


def torch_session(model: nn.Module) -> TorchSession:
    torch.set_num_threads(1)   # the same single core ONNX Runtime gets
    return TorchSession(model)
