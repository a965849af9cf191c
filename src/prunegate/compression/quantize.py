"""ONNX Runtime static int8 quantization (QDQ), keeping fp32 where int8 measurably loses.

On a CPU without fast int8 convolutions, ONNX Runtime's int8 Conv at batch 1 can be slower than
fp32, while int8 Gemm/MatMul is faster. So with ``op_types: auto`` every subset of the quantizable
op types in the graph is quantized and timed on this machine, and the smallest variant that is not
measurably slower than the fastest by more than ``latency_tolerance`` wins (``choose_variant``).
The measurements and the choice are returned, with the ``quantize.op_types`` value that replays
the choice without timing anything. ``mode: storage`` keeps int8 out of the compute
altogether: the weights are int8 in the file and fp32 again once the session has loaded
(storage.py), for the size of int8 at the speed of fp32.
"""

import itertools
import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnxruntime import quantization as ortq

from prunegate.compression.storage import STORABLE, store_int8
from prunegate.errors import ConfigError
from prunegate.evaluation import bootstrap
from prunegate.evaluation.latency import make_session, measure_interleaved
from prunegate.onnx_io.graph import compact_names, gemm_to_matmul
from prunegate.onnx_io.inputs import graph_feeds
from prunegate.onnx_io.sparse_encoding import sparse_encode
from prunegate.validators import choose, integer, number

log = logging.getLogger(__name__)

QUANTIZABLE = ("Conv", "Gemm", "MatMul")
# Gather: an embedding table, looked up per token (a text model's largest tensor)
DYNAMIC_QUANTIZABLE = ("Gather", "Gemm", "MatMul")
CALIBRATION = {"minmax": ortq.CalibrationMethod.MinMax,
               "entropy": ortq.CalibrationMethod.Entropy,
               "percentile": ortq.CalibrationMethod.Percentile}
# static: activations calibrated ahead of time (QDQ); dynamic: weights int8, activation ranges
# computed per call (no calibration data; Gather/Gemm/MatMul only in ONNX Runtime); qat:
# static, after fake-int8 fine-tuning in this stage; qap: static, with fake int8 already active
# while the fine-tune and distill stages prune and train (quantization-aware pruning);
# storage: weights int8 in the file, rebuilt to fp32 when the session loads (storage.py)
MODES = ("static", "dynamic", "qat", "qap", "storage")
PREFER = ("size", "latency")
QUANT_AWARE = ("qat", "qap")


@dataclass
class QuantizeConfig:
    mode: str = "static"
    # "auto" (measured) or a list drawn from QUANTIZABLE; [] keeps fp32 (what auto records when
    # no int8 variant paid for itself here)
    op_types: Any = "auto"
    calibration: str = "minmax"
    calibration_samples: int = 512
    per_channel: bool = False
    latency_tolerance: float = 0.25  # the latency cost accepted for a smaller file
    # size: the smallest file within latency_tolerance of the fastest; latency: the smallest
    # file not measurably slower than the fastest at all (latency_tolerance is not read)
    prefer: str = "size"
    timing_repeats: int = 1000
    seed: int = 0
    # deploy the COO-encoded file when it is smaller (unstructured sparsity); ORT loads it as is
    sparse_encoding: bool = False
    # short tensor names and no node names in the deployable (onnx_io/graph.compact_names):
    # the same computation in a smaller file; false keeps the exporter's names, which ONNX
    # Runtime's profiler shows
    compact_names: bool = True
    # qat: the fake-int8 fine-tuning budget (defaults 3 epochs at 1e-4, batch 64)
    qat_epochs: int | None = None
    qat_lr: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # passed to ORT's extra_options

    def __post_init__(self) -> None:
        choose(self.mode, MODES, "quantize.mode")
        if self.mode == "qat":
            self.qat_epochs = 3 if self.qat_epochs is None else self.qat_epochs
            self.qat_lr = 1e-4 if self.qat_lr is None else self.qat_lr
            integer(self.qat_epochs, "quantize.qat_epochs", low=1)
            number(self.qat_lr, "quantize.qat_lr", 1e-8, 1.0)
        elif self.qat_epochs is not None or self.qat_lr is not None:
            raise ConfigError("quantize.qat_epochs and quantize.qat_lr are only read with "
                              f"quantize.mode 'qat' (this one is '{self.mode}').")
        if self.op_types != "auto":
            if not isinstance(self.op_types, list | tuple):
                raise ConfigError("quantize.op_types must be 'auto' or a list of "
                                  f"{', '.join(QUANTIZABLE)} ([] keeps fp32).")
            if not self.op_types and self.mode in QUANT_AWARE:
                raise ConfigError(f"quantize.op_types [] keeps fp32, but mode '{self.mode}' "
                                  "trains for int8: name the op types, or use 'auto'.")
            allowed = _quantizable(self.mode)
            for op in self.op_types:
                choose(op, allowed, f"quantize.op_types entry (mode {self.mode})")
        choose(self.calibration, list(CALIBRATION), "quantize.calibration")
        integer(self.calibration_samples, "quantize.calibration_samples", low=1)
        number(self.latency_tolerance, "quantize.latency_tolerance", 0.0, 1.0)
        choose(self.prefer, PREFER, "quantize.prefer")
        integer(self.timing_repeats, "quantize.timing_repeats", low=10)
        for key in ("sparse_encoding", "compact_names"):
            if not isinstance(getattr(self, key), bool):
                raise ConfigError(f"quantize.{key} must be true or false.")


class _Reader(ortq.CalibrationDataReader):
    def __init__(self, model: onnx.ModelProto, x: np.ndarray, batch: int = 64):
        self._batches = iter([graph_feeds(model, x[i:i + batch])
                              for i in range(0, len(x), batch)])

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._batches, None)


def quantize_static(model: onnx.ModelProto, calibration_x: np.ndarray, op_types: list[str],
                    config: QuantizeConfig) -> onnx.ModelProto:
    """Static int8 QDQ quantization of ``op_types``, calibrated on ``calibration_x``."""
    with tempfile.TemporaryDirectory() as tmp:
        src, pre, dst = (Path(tmp) / n for n in ("fp32.onnx", "pre.onnx", "int8.onnx"))
        onnx.save(model, src)
        ortq.quant_pre_process(str(src), str(pre))
        ortq.quantize_static(
            str(pre), str(dst), _Reader(model, calibration_x),
            # a quantized Relu folds into its producer's int8 range; left out, it keeps a
            # DequantizeLinear/QuantizeLinear pair between every two layers (~5-25% slower here)
            quant_format=ortq.QuantFormat.QDQ, op_types_to_quantize=[*op_types, "Relu"],
            per_channel=config.per_channel, activation_type=ortq.QuantType.QInt8,
            weight_type=ortq.QuantType.QInt8, calibrate_method=CALIBRATION[config.calibration],
            extra_options=dict(config.extra))
        return onnx.load(dst)


def quantize_dynamic(model: onnx.ModelProto, op_types: list[str],
                     config: QuantizeConfig) -> onnx.ModelProto:
    """Dynamic int8: weights quantized offline, activations per call. No calibration data.
    Only the nodes that were ``op_types`` in ``model`` are quantized: Gemms become MatMuls
    for the quantizer, and are told apart from the graph's own MatMuls by name."""
    with tempfile.TemporaryDirectory() as tmp:
        src, pre, dst = (Path(tmp) / n for n in ("fp32.onnx", "pre.onnx", "int8.onnx"))
        onnx.save(gemm_to_matmul(model) if "Gemm" in op_types else model, src)
        ortq.quant_pre_process(str(src), str(pre))
        nodes = _nodes_from(onnx.load(pre), model, op_types)
        ortq.quantize_dynamic(str(pre), str(dst), op_types_to_quantize=["MatMul", "Gather"],
                              nodes_to_quantize=nodes, per_channel=config.per_channel,
                              weight_type=ortq.QuantType.QInt8, extra_options=dict(config.extra))
        return onnx.load(dst)


def _nodes_from(processed: onnx.ModelProto, model: onnx.ModelProto,
                op_types: list[str]) -> list[str]:
    """The nodes of ``processed`` that come from a node of ``op_types`` in ``model``. The
    rewrites keep the origin's name as a prefix ("/fc/Gemm" -> "/fc/Gemm_MatMul" ->
    "/fc/Gemm_MatMul/MatMulAddFusion"), so the longest original name that prefixes a node's
    names its origin. The quantizer splits a (re-fused) Gemm into ``<name>_MatMul`` and
    ``<name>_Add`` before it selects nodes, so both names are given."""
    origins = sorted(((n.name, n.op_type) for n in model.graph.node if n.name),
                     key=lambda item: -len(item[0]))
    chosen = []
    for node in processed.graph.node:
        origin = next((op for name, op in origins if node.name.startswith(name)), None)
        if origin in op_types:
            chosen += [node.name, f"{node.name}_MatMul"]
    return chosen


def quantize_measured(model: onnx.ModelProto, calibration_x: np.ndarray, config: QuantizeConfig,
                      call: str = "run", burst: int = 1
                      ) -> tuple[onnx.ModelProto, dict[str, Any]]:
    """The deployable model and a report of every variant that was measured, each called the
    way the deployed service calls it (``call``: evaluation/latency.caller)."""
    quantizable = _quantizable(config.mode)
    present = sorted({n.op_type for n in model.graph.node} & set(quantizable))
    if config.op_types == "auto":
        subsets = [list(c) for r in range(len(present) + 1)
                   for c in itertools.combinations(present, r)]
    else:
        subsets = [sorted(set(config.op_types) & set(present))]
        if config.op_types and not subsets[0]:
            log.warning("quantize.op_types %s matches no op in this graph (it has %s): the "
                        "deployable stays fp32", list(config.op_types), ", ".join(present)
                        or f"none of {', '.join(quantizable)}")
    rng = np.random.default_rng(config.seed)
    calib = calibration_x[rng.permutation(len(calibration_x))[:config.calibration_samples]]
    exported = {_label(s, config.mode): (_quantize(model, calib, s, config) if s else model)
                for s in subsets}
    # a pinned int8 list is timed beside fp32 too (never chosen): the report then says what
    # the pin costs or gains in speed
    candidates = list(exported)
    exported.setdefault("fp32", model)
    # compacted before sizing: the choice weighs the files that would ship
    variants = {label: compact_names(m) if config.compact_names else m
                for label, m in exported.items()}
    sessions = {label: make_session(m.SerializeToString()) for label, m in variants.items()}
    timings = measure_interleaved(sessions, calib[:1], repeats=config.timing_repeats, call=call,
                                  burst=burst)
    sizes = {label: m.ByteSize() for label, m in variants.items()}
    tolerance = 0.0 if config.prefer == "latency" else config.latency_tolerance
    chosen, rows = choose_variant(sizes, {lbl: t.samples_ms for lbl, t in timings.items()},
                                  tolerance, candidates=candidates)
    if config.mode in ("dynamic", "storage"):
        log.info("%s quantization: calibration settings are not used (no calibration)",
                 config.mode)
    op_types = [] if chosen == "fp32" else chosen.split(":", 1)[1].split("+")
    report = {"mode": config.mode, "chosen": chosen, "tolerance": tolerance, "call": call,
              "prefer": config.prefer, "measured": config.op_types == "auto",
              "rule": CHOICE_RULE, "variants": rows,
              "speed_note": speed_note(rows, chosen, _vs_fp32(timings, chosen),
                                       pinned=config.op_types != "auto"),
              # the setting that builds this deployable again without timing anything
              "pin": {"quantize.op_types": op_types}}
    for lbl, row in rows.items():
        log.info("quantize variant %-16s %8d bytes  p50 %.4f ms  x%.2f [%.2f, %.2f] of the "
                 "fastest%s", lbl, row["size_bytes"], row["p50_ms"], row["p50_ratio"],
                 *row["p50_ratio_ci"], "  <- chosen" if lbl == chosen else
                 "  (reference)" if lbl not in candidates else
                 ("  (measurably too slow)" if row["too_slow"] else ""))
    if report["speed_note"]:
        log.info("quantize: %s", report["speed_note"])
    deployable = variants[chosen]
    if config.compact_names:
        report["compact_names"] = {"bytes_before": exported[chosen].ByteSize(),
                                   "bytes_after": deployable.ByteSize()}
    if config.sparse_encoding:
        encoded = sparse_encode(deployable)
        report["sparse_encoding"] = {"dense_bytes": deployable.ByteSize(), "sparse_bytes":
                                     None if encoded is None else encoded.ByteSize(),
                                     "used": encoded is not None}
        if encoded is None:
            log.info("sparse encoding: not smaller than the dense file; keeping the dense one")
        deployable = encoded or deployable
    return deployable, report


CHOICE_RULE = ("the smallest file among the variants whose p50 is not measurably more than "
               "(1 + latency_tolerance) x the fastest's (95% interval of the paired p50 ratio "
               "entirely above it); equal sizes: fewer int8 op types")


def choose_variant(sizes: dict[str, int], samples_ms: dict[str, Any], tolerance: float,
                   level: float = 0.95, candidates: list[str] | None = None
                   ) -> tuple[str, dict[str, dict[str, Any]]]:
    """The variant to deploy (one of ``candidates``, default all), and per variant its size,
    latency and ratio to the fastest.

    Size is exact and latency is noisy, so noise must not decide: a variant is ruled out only
    when the whole interval of its p50 ratio to the fastest lies above ``1 + tolerance``.
    Within the noise the smaller file wins every time, which keeps the choice (and the
    deployable's bytes) stable from run to run."""
    p50 = {label: float(np.percentile(s, 50)) for label, s in samples_ms.items()}
    fastest = min(p50, key=lambda label: (p50[label], label))
    rows = {}
    for label in sizes:
        ratio = p50[label] / p50[fastest]
        low, high = ((1.0, 1.0) if label == fastest else bootstrap.paired_ratio_ci(
            np.asarray(samples_ms[fastest]), np.asarray(samples_ms[label]), 50, level=level))
        rows[label] = {"size_bytes": sizes[label], "p50_ms": p50[label],
                       "p95_ms": float(np.percentile(samples_ms[label], 95)),
                       "p50_ratio": ratio, "p50_ratio_ci": [low, high],
                       "too_slow": low > 1 + tolerance}
    pool = list(sizes) if candidates is None else candidates
    eligible = [label for label in pool if not rows[label]["too_slow"]] or pool
    chosen = min(eligible, key=lambda label: (sizes[label], _op_count(label), label))
    return chosen, rows


def _vs_fp32(timings: dict[str, Any], chosen: str) -> tuple[float, float] | None:
    """The 95% interval of the chosen file's p50 over fp32's (paired rounds)."""
    if chosen == "fp32" or "fp32" not in timings:
        return None
    return bootstrap.paired_ratio_ci(np.asarray(timings["fp32"].samples_ms),
                                     np.asarray(timings[chosen].samples_ms), 50)


def speed_note(rows: dict[str, dict[str, Any]], chosen: str,
               interval: tuple[float, float] | None, pinned: bool) -> str | None:
    """One line on what int8 did to speed, from its p50 over fp32's and that ratio's 95%
    interval: "int8:Gemm is 9% slower than fp32, kept for size (...): 65.0 -> 25.0 KB"."""
    if interval is None:
        return None
    mine, fp32 = rows[chosen], rows["fp32"]
    change = mine["p50_ms"] / fp32["p50_ms"] - 1
    sizes = f"{fp32['size_bytes'] / 1024:.1f} -> {mine['size_bytes'] / 1024:.1f} KB"
    if interval[1] < 1:
        return f"{chosen} is {-change:.0%} faster than fp32 and smaller: {sizes}"
    if interval[0] <= 1:
        return f"{chosen} is as fast as fp32 within the noise ({change:+.0%}), and smaller: {sizes}"
    fix = ("quantize.op_types: auto with quantize.prefer: latency makes speed win" if pinned
           else "quantize.prefer: latency makes speed win")
    why = "pinned by quantize.op_types" if pinned else "within quantize.latency_tolerance"
    return f"{chosen} is {change:.0%} slower than fp32, kept for size ({why}; {fix}): {sizes}"


def _op_count(label: str) -> int:
    return 0 if label == "fp32" else len(label.split(":", 1)[1].split("+"))


def _quantizable(mode: str) -> tuple[str, ...]:
    # ONNX Runtime's dynamic quantizer has no Conv kernel worth using (ConvInteger is slow)
    return {"dynamic": DYNAMIC_QUANTIZABLE, "storage": STORABLE}.get(mode, QUANTIZABLE)


def _quantize(model: onnx.ModelProto, calib: np.ndarray, op_types: list[str],
              config: QuantizeConfig) -> onnx.ModelProto:
    if config.mode == "storage":
        return store_int8(model, op_types, config.per_channel)
    if config.mode == "dynamic":
        return quantize_dynamic(model, op_types, config)
    return quantize_static(model, calib, op_types, config)


def _label(op_types: list[str], mode: str = "static") -> str:
    prefix = {"dynamic": "int8-dynamic", "storage": "int8-storage"}.get(mode, "int8")
    return f"{prefix}:" + "+".join(op_types) if op_types else "fp32"
