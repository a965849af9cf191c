"""Batch latency in ONNX Runtime, measured interleaved.

Models compared in one run are called in turn (A B C, B C A, …) rather than one after the other, so
a machine that speeds up or slows down mid-measurement (shared CI, thermal) moves all of them alike
and their ratio stays honest.
"""

import time
from dataclasses import dataclass

import numpy as np
import onnxruntime as ort

from prunegate.onnx_io.inputs import feeds


@dataclass(frozen=True)
class LatencyStats:
    p50_ms: float
    p95_ms: float
    mean_ms: float
    samples_ms: tuple[float, ...]


def make_session(model_bytes: bytes, threads: int = 1, inter_op_threads: int = 1,
                 provider: str = "CPUExecutionProvider") -> ort.InferenceSession:
    """One-thread CPU session by default: the deployment target is one core of a shared box."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = inter_op_threads
    options.log_severity_level = 3
    return ort.InferenceSession(model_bytes, options, providers=[provider])


def measure_interleaved(sessions: dict[str, ort.InferenceSession], x: np.ndarray,
                        warmup: int = 30, repeats: int = 300) -> dict[str, LatencyStats]:
    """Time ``repeats`` calls of each session on ``x``, in a fresh random order every round.
    A rotation is not enough: it keeps each model behind the same neighbour, and a model that
    follows a heavy one (torch eager evicts the caches) was measured up to 2x slow that way."""
    names = list(sessions)
    fed = {n: feeds(sessions[n], x) for n in names}
    for _ in range(warmup):
        for n in names:
            sessions[n].run(None, fed[n])
    samples: dict[str, list[float]] = {n: [] for n in names}
    order = np.random.default_rng(0)
    for _ in range(repeats):
        for n in order.permutation(names):
            start = time.perf_counter_ns()
            sessions[n].run(None, fed[n])
            samples[n].append((time.perf_counter_ns() - start) / 1e6)
    return {n: _stats(s) for n, s in samples.items()}


def _stats(samples: list[float]) -> LatencyStats:
    a = np.asarray(samples)
    return LatencyStats(float(np.percentile(a, 50)), float(np.percentile(a, 95)),
                        float(a.mean()), tuple(samples))
