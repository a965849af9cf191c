"""Measure several ONNX models on one test split in one run, latency interleaved."""

import logging

import numpy as np
import onnx

from prunegate.errors import DataError
from prunegate.evaluation.latency import make_session, measure_interleaved
from prunegate.evaluation.metrics import classification_metrics, predict_onnx
from prunegate.evaluation.size import onnx_size

log = logging.getLogger(__name__)


def check_test_split(test: dict[str, np.ndarray], model: onnx.ModelProto) -> None:
    """The split must be non-empty, finite and shaped like the model's input."""
    x, y = test.get("x"), test.get("y")
    if x is None or y is None or len(x) == 0 or len(x) != len(y):
        raise DataError("the test split needs non-empty arrays 'x' and 'y' of the same length.")
    if not np.isfinite(x).all():
        raise DataError("the test split contains NaN or inf inputs.")
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim][1:]
    if all(dims) and list(x.shape[1:]) != dims:
        raise DataError(f"test inputs have shape {list(x.shape[1:])} but the model takes {dims}: "
                        "the data and the model do not match.")


def measure_models(models: dict[str, onnx.ModelProto], test: dict[str, np.ndarray],
                   repeats: int = 500, warmup: int = 50, threads: int = 1) -> dict[str, dict]:
    """Per model: accuracy, macro-F1, sizes, parameter counts and batch-1 latency p50/p95."""
    for model in models.values():
        check_test_split(test, model)
    sessions = {name: make_session(m.SerializeToString(), threads) for name, m in models.items()}
    timings = measure_interleaved(sessions, test["x"][:1], warmup=warmup, repeats=repeats)
    results = {}
    for name, model in models.items():
        quality = classification_metrics(test["y"], predict_onnx(sessions[name], test["x"]))
        results[name] = {**quality, **onnx_size(model),
                         "latency_p50_ms": timings[name].p50_ms,
                         "latency_p95_ms": timings[name].p95_ms,
                         "latency_mean_ms": timings[name].mean_ms}
        log.info("%-10s accuracy %.4f  %8d bytes  p95 %.4f ms", name, quality["accuracy"],
                 results[name]["size_bytes"], timings[name].p95_ms)
    return results
