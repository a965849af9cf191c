"""The I/O contract check and non-finite outputs: decisions on models built to pass or fail."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from prunegate.errors import DataError
from prunegate.evaluation.contract import differences, io_signature
from prunegate.gate.config import GateConfig
from prunegate.gate.measure import measure_and_gate

OPEN = GateConfig(min_accuracy=0.0, max_accuracy_drop_pp=None, max_latency_ratio=None,
                  max_size_ratio=None)


def linear(weight: np.ndarray, out_name: str = "logits", domain: str = "") -> onnx.ModelProto:
    """x [batch, 4] -> x @ weight: a classifier whose logits we choose."""
    nodes = [helper.make_node("MatMul", ["input", "w"], [out_name])]
    opsets = [helper.make_opsetid("", 17)]
    if domain:
        nodes = [helper.make_node("Op", ["input"], ["y"], domain=domain),
                 helper.make_node("MatMul", ["y", "w"], [out_name])]
        opsets.append(helper.make_opsetid(domain, 1))
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, ["batch", weight.shape[1]])],
        [onnx.numpy_helper.from_array(weight.astype(np.float32), "w")])
    return helper.make_model(graph, opset_imports=opsets, ir_version=9)


@pytest.fixture
def test_split():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4)).astype(np.float32)
    return {"x": x, "y": x[:, :3].argmax(1)}


def gate(candidate, test):
    baseline = linear(np.eye(4, 3))
    _, verdict, _ = measure_and_gate({"baseline": baseline, "candidate": candidate}, test, OPEN,
                                     repeats=20, warmup=2, report_repeats=20,
                                     candidate="candidate")
    return verdict, {c["name"]: c for c in verdict["checks"]}


def test_an_extra_logit_column_fails_the_gate_with_the_difference_spelled_out(test_split):
    weight = np.concatenate([np.eye(4, 3), np.zeros((4, 1))], axis=1)  # a constant 4th column
    verdict, checks = gate(linear(weight), test_split)
    assert checks["absolute.accuracy" if "absolute.accuracy" in checks else "min_accuracy"][
        "passed"]  # it still scores like the baseline
    assert verdict["outcome"] == "fail" and not checks["io_contract"]["passed"]
    assert checks["io_contract"]["note"] == ("output 'logits' has shape [batch, 4], "
                                             "[batch, 3] in the baseline")


def test_the_same_contract_passes_and_names_differ_are_found(test_split):
    verdict, checks = gate(linear(np.eye(4, 3) * 2), test_split)
    assert verdict["outcome"] == "pass" and checks["io_contract"]["value"] == 0
    renamed = differences(linear(np.eye(4, 3), out_name="probs"), linear(np.eye(4, 3)),
                          "champion")
    assert renamed == ["output 'probs' is named 'logits' in the champion"]
    assert io_signature(linear(np.eye(4, 3)))["inputs"] == [("input", "float", ["batch", "4"])]


def test_nan_outputs_are_counted_and_never_read_as_class_0(test_split):
    # a weight of NaN in column 0: every row's logits hold a NaN; argmax would say class 0
    weight = np.eye(4, 3)
    weight[3, 0] = np.nan
    verdict, checks = gate(linear(weight), test_split)
    assert checks["finite_outputs"]["value"] == 200 and verdict["outcome"] == "fail"
    assert "200 of 200 test inputs give NaN or inf outputs from the candidate model" in \
        checks["finite_outputs"]["note"]
    assert checks["min_accuracy"]["value"] == 0.0  # all wrong, though class 0 is common


def test_an_operator_onnx_runtime_cannot_load_is_a_data_error_naming_it(test_split):
    model = linear(np.eye(4, 3), domain="com.example")
    onnx.checker.check_model(model)  # the checker accepts it; the runtime cannot run it
    with pytest.raises(DataError, match=r"candidate model cannot be loaded by ONNX Runtime: "
                                        r"it uses operators from unknown domains "
                                        r"\(com.example:Op\)"):
        gate(model, test_split)
