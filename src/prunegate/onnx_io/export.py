"""Torch → ONNX, the format we deploy and measure."""

import io
import warnings

import onnx
import torch
from torch import nn

INPUT_NAME, OUTPUT_NAME = "input", "logits"
OPSET = 17


def export_onnx(model: nn.Module, input_shape: tuple[int, ...]) -> onnx.ModelProto:
    """fp32 ONNX with a dynamic batch axis.

    The TorchScript exporter is used because it is fast and handles every zoo model; its
    deprecation warning is not actionable for us yet.
    """
    model = model.eval()
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, (torch.zeros(1, *input_shape),), buffer, input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME], opset_version=OPSET, dynamo=False,
            dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}})
    proto = onnx.load_from_string(buffer.getvalue())
    onnx.checker.check_model(proto)
    return proto
