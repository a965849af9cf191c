"""Torch → ONNX, the format we deploy and measure."""

import io
import warnings

import onnx
import torch
from torch import nn

from prunegate.onnx_io.inputs import example_input, model_inputs

INPUT_NAME, OUTPUT_NAME = "input", "logits"
OPSET = 17


class _Unpacked(nn.Module):
    """A model of several inputs, called with them one by one: the graph then takes each by
    name (``input_ids``, ``attention_mask``), not the packed array prunegate carries."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.model.forward_inputs(*inputs)


def export_onnx(model: nn.Module, input_shape: tuple[int, ...],
                example: torch.Tensor | None = None) -> onnx.ModelProto:
    """fp32 ONNX with a dynamic batch axis; one graph input per named input of the model.
    ``example``: a real batch to trace with (its dtype wins), else ``example_input``.

    The TorchScript exporter is used because it is fast and handles every zoo model; its
    deprecation warning is not actionable for us yet.
    """
    model = model.eval()
    example = example_input(model, input_shape) if example is None else example[:1]
    names = model_inputs(model)
    if names:
        model, args = _Unpacked(model), tuple(example.unbind(1))
    else:
        names, args = (INPUT_NAME,), (example,)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, args, buffer, input_names=list(names), output_names=[OUTPUT_NAME],
            opset_version=OPSET, dynamo=False,
            dynamic_axes={**{n: {0: "batch"} for n in names}, OUTPUT_NAME: {0: "batch"}})
    proto = onnx.load_from_string(buffer.getvalue())
    onnx.checker.check_model(proto)
    return proto
