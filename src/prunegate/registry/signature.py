"""A deployable's MLflow signature, read from its ONNX graph: each input's and output's name,
element type and shape, with -1 where the graph's dimension is symbolic (the batch).

Stated rather than inferred: MLflow 3 infers no signature for an ONNX model from an input
example, and the UI then shows "Schema Inputs (0)". A text model's two inputs (input_ids,
attention_mask) appear as two named int64 tensors."""

from typing import Any

import numpy as np
import onnx
from onnx import helper


def onnx_signature(model: onnx.ModelProto) -> Any:
    from mlflow.models import ModelSignature
    from mlflow.types import Schema, TensorSpec

    weights = {i.name for i in model.graph.initializer}

    def specs(values) -> Any:
        return Schema([
            TensorSpec(helper.tensor_dtype_to_np_dtype(v.type.tensor_type.elem_type),
                       tuple(d.dim_value if d.HasField("dim_value") else -1
                             for d in v.type.tensor_type.shape.dim), v.name)
            for v in values if v.name not in weights])

    return ModelSignature(inputs=specs(model.graph.input), outputs=specs(model.graph.output))


def serving_signature(model: onnx.ModelProto) -> Any:
    """The served model's signature (registry/serving.py): the graph's inputs; its logits, and
    the probabilities and labels the wrapper adds."""
    from mlflow.models import ModelSignature
    from mlflow.types import Schema, TensorSpec

    graph = onnx_signature(model)
    logits = graph.outputs.inputs[0]
    return ModelSignature(inputs=graph.inputs, outputs=Schema([
        logits, TensorSpec(logits.type, logits.shape, "probabilities"),
        TensorSpec(np.dtype("int64"), (-1,), "label")]))
