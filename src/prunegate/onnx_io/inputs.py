"""How a sample with more than one model input travels: packed along axis 1.

A text classifier takes ``input_ids`` and ``attention_mask``, two (N, L) int64 arrays. Inside
prunegate a split keeps them as one (N, 2, L) array, in input order, so that everything that
indexes, hashes, batches or shuffles samples (splits, the data gate, training, the bootstrap)
handles one array as for images. Only the model's edges unpack it: a torch model that takes
several inputs declares ``input_names`` and a ``forward_inputs(*inputs)``, the ONNX export gives
the graph one input per name, and every ONNX Runtime call feeds them by name (``feeds``).
"""

from collections.abc import Sequence
from typing import Any

import numpy as np

from prunegate.errors import DataError


def model_inputs(model: Any) -> tuple[str, ...]:
    """The named inputs a torch model takes; () for a model of one tensor input."""
    return tuple(getattr(model, "input_names", ()) or ())


def example_input(model: Any, shape: Sequence[int], batch: int = 1):
    """A batch of valid samples for ``model``: zeros, or for integer inputs (token ids and
    masks) ones: a valid id in any vocabulary, and a mask that attends to every position."""
    import torch  # here: the ONNX Runtime half of this module is used without torch

    dtype = getattr(model, "input_dtype", torch.float32)
    if dtype.is_floating_point:
        return torch.zeros(batch, *shape, dtype=dtype)
    return torch.ones(batch, *shape, dtype=dtype)


def unpack(names: Sequence[str], x: np.ndarray) -> dict[str, np.ndarray]:
    """{name: array} for a graph with inputs ``names``; a packed (N, k, ...) batch is split
    along axis 1, one contiguous array per input."""
    if len(names) == 1:
        return {names[0]: x}
    if x.ndim < 2 or x.shape[1] != len(names):
        raise DataError(f"the model takes {len(names)} inputs ({', '.join(names)}), and the "
                        f"samples have shape {tuple(x.shape[1:])}: a sample of several inputs is "
                        f"({len(names)}, ...), one row per input. The data and the model do not "
                        "match.")
    return {name: np.ascontiguousarray(x[:, i]) for i, name in enumerate(names)}


def feeds(session, x: np.ndarray) -> dict[str, np.ndarray]:
    """The feed dict of an ONNX Runtime session for the batch ``x``."""
    return unpack([i.name for i in session.get_inputs()], x)


def graph_feeds(model, x: np.ndarray) -> dict[str, np.ndarray]:
    """The same, from an ONNX model's graph inputs (weights listed as inputs left out)."""
    weights = {i.name for i in model.graph.initializer}
    return unpack([i.name for i in model.graph.input if i.name not in weights], x)
