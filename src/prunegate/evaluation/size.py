"""Size of an ONNX artifact, read from the artifact itself.

``size_bytes`` is the raw file. ``size_compressed_bytes`` is the same file gzip-compressed, which is
what a registry or a download moves and the only size where zeros from unstructured pruning count.
"""

import gzip

import numpy as np
import onnx
from onnx import numpy_helper

# tensors that hold weights or biases; shape and index tensors (int64) are not parameters
_PARAM_TYPES = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.INT8,
                onnx.TensorProto.UINT8, onnx.TensorProto.INT32}


def onnx_size(model: onnx.ModelProto) -> dict[str, int]:
    raw = model.SerializeToString()
    params = nonzero = 0
    for init in model.graph.initializer:
        # quantization parameters are bookkeeping, not weights
        if init.data_type not in _PARAM_TYPES or init.name.endswith(("_scale", "_zero_point")):
            continue
        values = numpy_helper.to_array(init)
        params += values.size
        nonzero += int(np.count_nonzero(values))
    return {"size_bytes": len(raw), "size_compressed_bytes": len(gzip.compress(raw, 9)),
            "params": params, "nonzero_params": nonzero}


def count_macs(model, input_shape: tuple[int, ...]) -> int:
    """Multiply-accumulates of one forward pass at batch 1, counted by Torch-Pruning."""
    import torch
    import torch_pruning as tp

    macs, _ = tp.utils.count_ops_and_params(model.eval(), torch.zeros(1, *input_shape))
    return int(macs)
