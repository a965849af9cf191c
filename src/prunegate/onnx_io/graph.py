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
