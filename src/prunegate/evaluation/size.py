"""Size of an ONNX artifact, read from the artifact itself.

``size_bytes`` is the raw file. ``size_compressed_bytes`` is the same file gzip-compressed, which is
what a registry or a download moves and the only size where zeros from unstructured pruning count.
``size_sparse_bytes`` is the file with its sparse weights COO-encoded (compression/
sparse_encoding.py), which ONNX Runtime loads as is; equal to ``size_bytes`` when that is not
smaller. ``entropy_bytes`` is the zero-order entropy bound of the weights alone
(``entropy_bound_bits``): how close the file is to what its values need.
"""

import gzip

import numpy as np
import onnx
from onnx import numpy_helper

from prunegate.onnx_io.inputs import example_input
from prunegate.onnx_io.sparse_encoding import sparse_encode

# tensors that hold weights or biases; shape and index tensors (int64) are not parameters
_PARAM_TYPES = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.INT8,
                onnx.TensorProto.UINT8, onnx.TensorProto.INT32}


def onnx_size(model: onnx.ModelProto) -> dict[str, int]:
    raw = model.SerializeToString()
    params = nonzero = 0
    entropy_bits = 0.0
    for init in model.graph.initializer:
        # quantization parameters are bookkeeping, not weights
        if init.data_type not in _PARAM_TYPES or init.name.endswith(("_scale", "_zero_point")):
            continue
        values = numpy_helper.to_array(init)
        params += values.size
        nonzero += int(np.count_nonzero(values))
        entropy_bits += entropy_bound_bits(values)
    for sparse in model.graph.sparse_initializer:  # COO-encoded: count the dense shape
        params += int(np.prod(sparse.dims))
        nonzero += int(np.count_nonzero(numpy_helper.to_array(sparse.values)))
    sparse = sparse_encode(model)
    return {"size_bytes": len(raw), "size_compressed_bytes": len(gzip.compress(raw, 9)),
            "size_sparse_bytes": len(raw) if sparse is None else sparse.ByteSize(),
            "params": params, "nonzero_params": nonzero,
            "entropy_bytes": int(np.ceil(entropy_bits / 8))}


def entropy_bound_bits(values: np.ndarray) -> float:
    """The zero-order entropy of a tensor's values times its size: no coder that sees each
    value alone (gzip comes close on int8) stores them in fewer bits. For fp32 weights, where
    nearly every value is distinct, it is about log2(n) bits a value."""
    _, counts = np.unique(values.ravel(), return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum() * values.size)


def count_macs(model, input_shape: tuple[int, ...]) -> int:
    """Multiply-accumulates of one forward pass at batch 1, counted by Torch-Pruning."""
    import torch_pruning as tp

    macs, _ = tp.utils.count_ops_and_params(model.eval(), example_input(model, input_shape))
    return int(macs)
