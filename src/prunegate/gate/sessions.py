"""What every gate measures with: the test split, checked against the model, the batch a
latency call sends, and an ONNX Runtime session on the target that names what it cannot run."""

import numpy as np
import onnx

from prunegate.errors import DataError
from prunegate.evaluation.contract import io_signature
from prunegate.evaluation.targets import TargetProfile


def check_test_split(test: dict[str, np.ndarray], model: onnx.ModelProto) -> None:
    """The split must be non-empty, finite and shaped like the model's input."""
    x, y = test.get("x"), test.get("y")
    if x is None or y is None or len(x) == 0 or len(x) != len(y):
        raise DataError("the test split needs non-empty arrays 'x' and 'y' of the same length.")
    if not np.isfinite(x).all():
        raise DataError("the test split contains NaN or inf inputs.")
    graph_inputs = io_signature(model)["inputs"]
    dims = [int(d) if d.isdigit() else 0 for d in graph_inputs[0][2][1:]]
    if len(graph_inputs) > 1:  # several inputs: a sample packs one row of each (onnx_io/inputs)
        dims = [len(graph_inputs), *dims]
    if all(dims) and list(x.shape[1:]) != dims:
        raise DataError(f"test inputs have shape {list(x.shape[1:])} but the model takes {dims}: "
                        "the data and the model do not match.")


def batch_of(x: np.ndarray, size: int) -> np.ndarray:
    """``size`` test inputs (cycled when the split is smaller): the batch a latency call sends."""
    return np.ascontiguousarray(np.resize(x, (size, *x.shape[1:])))


def loaded(target: TargetProfile, model: onnx.ModelProto, name: str):
    """An ONNX Runtime session on the target, or a DataError naming what ORT cannot run (a model
    ``onnx.checker`` accepts may still use an operator no installed runtime implements)."""
    try:
        return target.session(model.SerializeToString())
    except Exception as error:  # ORT raises its own exception types, one per failure
        unknown = sorted({f"{n.domain}:{n.op_type}" for n in model.graph.node
                          if n.domain not in ("", "ai.onnx", "ai.onnx.ml", "com.microsoft")})
        text = str(error).splitlines()[0]
        if "onnxruntime::" in text:  # drop ORT's C++ source location, keep its reason
            text = text.rsplit(") ", 1)[-1]
        what = (f"it uses operators from unknown domains ({', '.join(unknown)})" if unknown
                else text[:300])
        raise DataError(f"the {name} model cannot be loaded by ONNX Runtime: {what}. Export it "
                        "with standard ONNX operators, or install the runtime extension that "
                        "implements them.") from error
