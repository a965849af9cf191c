"""int8 weight storage with fp32 compute: the file of int8, the speed of fp32.

Each chosen weight initializer W is stored as int8 codes q and fp32 scales s (symmetric, per
tensor or per output channel), and the graph rebuilds it with two ordinary ops,
``W = Cast(q, float) * s``. Both inputs are constants, so ONNX Runtime's constant folding
(on at its default optimisation level, and at every level above "disabled") computes W once,
when the session loads: every call then runs the same fp32 kernels as the fp32 model.

Why: on this CPU int8 *compute* loses where layers are small (QLinearConv with few channels,
the Quantize/Dequantize nodes around a small Gemm cost ~3 µs a call), while the file still
needs int8 to be small. Storage mode takes the size and leaves the speed alone. The weights
carry int8 rounding error exactly as with int8 compute; activations stay fp32 (no calibration).
A DequantizeLinear would express the same, but ONNX Runtime keeps DequantizeLinear nodes
unfolded (it reserves them for its QDQ fusions), so the file would dequantize on every call.
"""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

STORABLE = ("Conv", "Gather", "Gemm", "MatMul")
QMAX = 127   # symmetric: -127..127, so -W rounds like W


def store_int8(model: onnx.ModelProto, op_types: list[str],
               per_channel: bool = True) -> onnx.ModelProto:
    """``model`` with the weights of its ``op_types`` nodes stored as int8 (see the module)."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    rebuilt: list[onnx.NodeProto] = []
    for name, axis in _weights(graph, inits, op_types).items():
        weight = numpy_helper.to_array(inits[name])
        if weight.dtype != np.float32 or weight.size < 2:
            continue
        codes, scale = quantize_symmetric(weight, axis if per_channel else None)
        graph.initializer.remove(inits[name])
        graph.initializer.extend([numpy_helper.from_array(codes, f"{name}_q"),
                                  numpy_helper.from_array(scale, f"{name}_scale")])
        # the rebuilt tensor keeps W's name, so every consumer reads it unchanged
        rebuilt += [helper.make_node("Cast", [f"{name}_q"], [f"{name}_i8"], to=TensorProto.FLOAT),
                    helper.make_node("Mul", [f"{name}_i8", f"{name}_scale"], [name])]
    nodes = rebuilt + list(graph.node)   # before their consumers: the graph stays sorted
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    return model


def quantize_symmetric(weight: np.ndarray, axis: int | None) -> tuple[np.ndarray, np.ndarray]:
    """int8 codes and the fp32 scale (one per slice along ``axis``, or one for the tensor),
    shaped to broadcast against ``weight``."""
    if axis is None:
        peak = np.abs(weight).max(keepdims=True)
    else:
        axis = axis % weight.ndim
        peak = np.abs(weight).max(axis=tuple(a for a in range(weight.ndim) if a != axis),
                                  keepdims=True)
    # an all-zero slice (a pruned row) keeps scale 1: its codes are 0 whatever the scale
    scale = np.where(peak > 0, peak / QMAX, 1.0).astype(np.float32)
    codes = np.clip(np.rint(weight / scale), -QMAX, QMAX).astype(np.int8)
    return codes, scale


def _weights(graph: onnx.GraphProto, inits: dict[str, onnx.TensorProto],
             op_types: list[str]) -> dict[str, int]:
    """Constant weight inputs of the ``op_types`` nodes, each with its output-channel axis."""
    found: dict[str, int] = {}
    for node in graph.node:
        if node.op_type not in op_types:
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "Gather":   # an embedding table: one scale per row (per token)
            slot, axis = 0, 0
        elif node.op_type == "Gemm":   # B is (out, in) with transB, else (in, out)
            slot, axis = 1, 0 if attrs.get("transB", 0) else 1
        elif node.op_type == "MatMul":  # B is (..., in, out)
            slot, axis = 1, -1
        else:                            # Conv: W is (out, in/groups, k...)
            slot, axis = 1, 0
        if len(node.input) > slot and node.input[slot] in inits:
            found.setdefault(node.input[slot], axis)
    return found
