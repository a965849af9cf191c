"""Measure several ONNX models on one test split in one run, then gate the candidate.

Latency is measured interleaved across all models. While a latency check is undecided (its
interval straddles the threshold), more interleaved rounds are added, up to the gate's budget.
"""

import logging
from typing import Any

import numpy as np
import onnx

from prunegate.errors import DataError
from prunegate.evaluation import bootstrap
from prunegate.evaluation.latency import make_session, measure_interleaved
from prunegate.evaluation.metrics import classification_metrics, predict_onnx
from prunegate.evaluation.size import onnx_size
from prunegate.gates import Evidence, GateConfig, evaluate_gate, remeasurable

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
                   repeats: int = 500, warmup: int = 50, threads: int = 1
                   ) -> tuple[dict[str, dict], dict[str, Evidence], dict]:
    """Per model: quality, sizes, latency; plus the raw evidence and the sessions behind them."""
    for model in models.values():
        check_test_split(test, model)
    sessions = {name: make_session(m.SerializeToString(), threads) for name, m in models.items()}
    timings = measure_interleaved(sessions, test["x"][:1], warmup=warmup, repeats=repeats)
    labels = sorted(set(test["y"].tolist()))
    results, evidence = {}, {}
    for name, model in models.items():
        predicted = predict_onnx(sessions[name], test["x"])
        results[name] = {**classification_metrics(test["y"], predicted, labels),
                         **onnx_size(model)}
        evidence[name] = Evidence(results[name], predicted == test["y"],
                                  np.asarray(timings[name].samples_ms))
        _latency_summary(results[name], evidence[name].latency_ms)
    return results, evidence, sessions


def measure_and_gate(models: dict[str, onnx.ModelProto], test: dict[str, np.ndarray],
                     gates: GateConfig, repeats: int = 3000, warmup: int = 50, threads: int = 1,
                     candidate: str = "quantized", baseline: str = "baseline",
                     champion: str = "champion", evidence_hook=None
                     ) -> tuple[dict, dict, dict[str, list[float]]]:
    """metrics.json content, the gate's verdict and the latency samples behind it; latency is
    re-measured while a latency check is undecided."""
    results, evidence, sessions = measure_models(models, test, repeats, warmup, threads)
    if evidence_hook is not None:  # the gate audit injects a known regression here
        evidence_hook(evidence)
    attempt = 0
    while True:
        verdict = evaluate_gate(evidence[candidate], evidence[baseline], evidence.get(champion),
                                gates, final=False)
        if not remeasurable(verdict) or attempt == gates.remeasure_budget:
            break
        attempt += 1
        log.info("latency undecided for %s: re-measuring (%d/%d)", verdict["undecided"], attempt,
                 gates.remeasure_budget)
        more = measure_interleaved(sessions, test["x"][:1], warmup=5, repeats=repeats)
        for name, ev in evidence.items():
            ev.latency_ms = np.concatenate([ev.latency_ms, more[name].samples_ms])
            _latency_summary(results[name], ev.latency_ms)
    verdict = evaluate_gate(evidence[candidate], evidence[baseline], evidence.get(champion),
                            gates)
    verdict |= {"candidate": candidate, "baseline": baseline, "remeasured": attempt,
                "champion": champion if champion in evidence else None}
    for name in results:
        _intervals(results[name], evidence[name], evidence[baseline], gates)
        log.info("%-10s accuracy %.4f  %8d bytes  p95 %.4f ms", name, results[name]["accuracy"],
                 results[name]["size_bytes"], results[name]["latency_p95_ms"])
    samples = {name: ev.latency_ms.tolist() for name, ev in evidence.items()}
    return {"stages": results, "candidate": candidate, "baseline": baseline}, verdict, samples


def _latency_summary(metrics: dict[str, Any], samples: np.ndarray) -> None:
    p50, p95, p99 = np.percentile(samples, [50, 95, 99])
    metrics |= {"latency_p50_ms": float(p50), "latency_p95_ms": float(p95),
                "latency_p99_ms": float(p99), "latency_mean_ms": float(samples.mean()),
                "throughput_per_s": float(1000.0 / samples.mean()),
                "latency_rounds": int(len(samples))}


def _intervals(metrics: dict[str, Any], ev: Evidence, base: Evidence, gates: GateConfig) -> None:
    kw = {"samples": gates.bootstrap_samples, "level": gates.confidence}
    metrics["accuracy_ci"] = list(bootstrap.accuracy_ci(ev.correct, **kw))
    metrics["accuracy_drop_pp"] = 100.0 * (base.metrics["accuracy"] - metrics["accuracy"])
    metrics["accuracy_drop_pp_ci"] = list(bootstrap.paired_accuracy_drop_ci(
        base.correct, ev.correct, **kw))
    metrics["latency_p95_ratio"] = metrics["latency_p95_ms"] / base.metrics["latency_p95_ms"]
    metrics["latency_p95_ratio_ci"] = list(bootstrap.paired_ratio_ci(
        base.latency_ms, ev.latency_ms, 95, **kw))
