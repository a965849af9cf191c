"""A sparse on-disk encoding for ONNX models with many zero weights.

Zeros in a dense initializer cost as much as any other value. ONNX can store an initializer as a
``sparse_initializer`` (COO: the non-zero values and their int64 positions), which ONNX Runtime
expands to a dense tensor when it loads the model, so the model runs unchanged. Each stored
value then costs its own bytes plus 8 for its position, so the encoding pays off only below a
density of itemsize / (itemsize + 8): 1/3 for fp32, 1/9 for int8. Only tensors below that are
converted, and the result is offered only when the whole file is smaller.
"""

import numpy as np
import onnx
from onnx import helper, numpy_helper

INDEX_BYTES = 8


def sparse_encode(model: onnx.ModelProto) -> onnx.ModelProto | None:
    """The same model with its sparse-enough initializers COO-encoded, or None if no smaller."""
    out = onnx.ModelProto.FromString(model.SerializeToString())
    graph = out.graph
    keep, sparse = [], []
    for init in graph.initializer:
        values = numpy_helper.to_array(init)
        nonzero = np.flatnonzero(values)
        itemsize = values.dtype.itemsize
        if values.ndim < 2 or len(nonzero) * (itemsize + INDEX_BYTES) >= values.size * itemsize:
            keep.append(init)
            continue
        flat = values.reshape(-1)
        sparse.append(helper.make_sparse_tensor(
            numpy_helper.from_array(flat[nonzero], init.name),
            numpy_helper.from_array(nonzero.astype(np.int64), f"{init.name}_indices"),
            list(values.shape)))
    if not sparse:
        return None
    del graph.initializer[:]
    graph.initializer.extend(keep)
    graph.sparse_initializer.extend(sparse)
    onnx.checker.check_model(out)
    return out if out.ByteSize() < model.ByteSize() else None
