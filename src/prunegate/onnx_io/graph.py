"""Small ONNX graph rewrites the quantizers need."""

import onnx
from onnx import helper, numpy_helper


def gemm_to_matmul(model: onnx.ModelProto) -> onnx.ModelProto:
    """Gemm(x, W, b) -> MatMul(x, Wᵀ) + b, for Gemms with a constant W.

    ONNX Runtime's dynamic quantizer has integer kernels for MatMul but not for Gemm, which is
    what torch exports a Linear layer as; without this rewrite "dynamic int8" changes nothing.
    """
    model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    nodes = []
    for node in graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if (node.op_type != "Gemm" or node.input[1] not in inits or attrs.get("transA", 0)
                or attrs.get("alpha", 1.0) != 1.0 or attrs.get("beta", 1.0) != 1.0):
            nodes.append(node)
            continue
        weight = numpy_helper.to_array(inits[node.input[1]])
        if attrs.get("transB", 0):
            inits[node.input[1]].CopyFrom(numpy_helper.from_array(weight.T.copy(),
                                                                  node.input[1]))
        product = f"{node.output[0]}_matmul"
        if len(node.input) > 2 and node.input[2]:
            nodes.append(helper.make_node("MatMul", node.input[:2], [product],
                                          name=f"{node.name}_MatMul"))
            nodes.append(helper.make_node("Add", [product, node.input[2]], list(node.output),
                                          name=f"{node.name}_Add"))
        else:
            nodes.append(helper.make_node("MatMul", node.input[:2], list(node.output),
                                          name=f"{node.name}_MatMul"))
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    return model


def compact_names(model: onnx.ModelProto) -> onnx.ModelProto:
    """The same graph with short tensor names and no node names.

    The exporter and the quantizer name every tensor by its module path
    ("/features/features.4/conv/conv.0/Conv_output_0_QuantizeLinear"): in a quantized
    MobileNetV2 those strings were 56% of the file. The graph's input and output names are the
    deployable's contract and stay, and so do the suffixes "_scale" and "_zero_point" that
    mark quantization parameters (evaluation/size.py does not count them as weights); nothing
    computes differently.
    """
    model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    keep = {v.name for v in graph.input} | {v.name for v in graph.output}
    names: dict[str, str] = {}

    def short(name: str) -> str:
        if not name or name in keep:
            return name
        suffix = next((s for s in ("_scale", "_zero_point") if name.endswith(s)), "")
        return names.setdefault(name, f"t{len(names):x}{suffix}")

    for node in graph.node:
        node.name = ""
        node.input[:] = [short(n) for n in node.input]
        node.output[:] = [short(n) for n in node.output]
    for init in graph.initializer:
        init.name = short(init.name)
    del graph.value_info[:]  # shape hints only; ONNX Runtime infers them again
    onnx.checker.check_model(model)
    return model


def describe(model: onnx.ModelProto, **entries: object) -> onnx.ModelProto:
    """``model`` with ``entries`` in its metadata (JSON values under prunegate.<key>): what a
    serving process reads from the file itself, such as the class names in output order."""
    import json

    model = onnx.ModelProto.FromString(model.SerializeToString())
    kept = [p for p in model.metadata_props if not p.key.startswith("prunegate.")]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    for key, value in sorted(entries.items()):
        entry = model.metadata_props.add()
        entry.key, entry.value = f"prunegate.{key}", json.dumps(value)
    return model
