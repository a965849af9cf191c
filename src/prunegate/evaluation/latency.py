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


CALLS = ("run", "iobinding")


def measure_interleaved(sessions: dict[str, ort.InferenceSession], x: np.ndarray,
                        warmup: int = 30, repeats: int = 300, call: str = "run",
                        burst: int = 1) -> dict[str, LatencyStats]:
    """Time ``repeats`` rounds of each session on ``x``, in a fresh random order every round.
    A rotation is not enough: it keeps each model behind the same neighbour, and a model that
    follows a heavy one (torch eager evicts the caches) was measured up to 2x slow that way.
    ``call`` is how the deployed service calls the model (``caller``).

    ``burst`` is how many calls each model gets in a row per round. 1: every call follows
    another model's, with caches that model left (a host serving many models). n > 1: the
    first call of each burst is dropped and the n - 1 warm ones kept (a service calling one
    model back to back under steady load: on a small model the cold call was ~2x the warm one).
    Rounds still interleave, so drift still cancels out of the ratios; each model gets about
    ``repeats`` samples either way (ceil(repeats / (n - 1)) rounds of n - 1)."""
    names = list(sessions)
    calls = {n: caller(sessions[n], x, call) for n in names}
    for _ in range(warmup):
        for n in names:
            calls[n]()
    samples: dict[str, list[float]] = {n: [] for n in names}
    order = np.random.default_rng(0)
    rounds = repeats if burst == 1 else -(-repeats // (burst - 1))
    for _ in range(rounds):
        for n in order.permutation(names):
            for k in range(burst):
                start = time.perf_counter_ns()
                calls[n]()
                if k or burst == 1:
                    samples[n].append((time.perf_counter_ns() - start) / 1e6)
    return {n: _stats(s) for n, s in samples.items()}


def caller(session: ort.InferenceSession, x: np.ndarray, call: str = "run"):
    """A function that makes one inference call on ``x`` the way a service would:

    - ``run``: ``session.run(None, feeds)``, numpy in and out (~5 µs of overhead here);
    - ``iobinding``: the inputs and outputs bound once to preallocated buffers, each call
      ``run_with_iobinding`` (~3 µs): what a latency-critical service does with a fixed batch.

    Not ``run_with_ort_values``: its Python wrapper adds ~27 µs a call, more than a small
    model's whole compute."""
    fed = feeds(session, x)
    if call == "run":
        return lambda: session.run(None, fed)
    if call != "iobinding":
        raise ValueError(f"unknown call path {call!r}: one of {CALLS}")
    outputs = session.run(None, fed)  # their shapes and types, for the preallocated buffers
    binding = session.io_binding()
    # the OrtValues are kept alive by the closure: the binding holds pointers into them
    held = [ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(v)) for v in fed.values()]
    for name, value in zip(fed, held, strict=True):
        binding.bind_ortvalue_input(name, value)
    out = [ort.OrtValue.ortvalue_from_numpy(np.empty_like(o)) for o in outputs]
    for meta, value in zip(session.get_outputs(), out, strict=True):
        binding.bind_ortvalue_output(meta.name, value)

    def run_bound(_keep=(held, out)) -> None:
        session.run_with_iobinding(binding)
    run_bound.outputs = out  # what the last call wrote (tests read it)
    return run_bound


def _stats(samples: list[float]) -> LatencyStats:
    a = np.asarray(samples)
    return LatencyStats(float(np.percentile(a, 50)), float(np.percentile(a, 95)),
                        float(a.mean()), tuple(samples))
