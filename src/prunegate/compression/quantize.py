"""ONNX Runtime static int8 quantization (QDQ), keeping fp32 where int8 measurably loses.

On a CPU without fast int8 convolutions, ONNX Runtime's int8 Conv at batch 1 can be slower than
fp32, while int8 Gemm/MatMul is faster. So with ``op_types: auto`` every subset of the quantizable
op types in the graph is quantized and timed on this machine, and the smallest variant within
``latency_tolerance`` of the fastest wins. The measurements are returned so the choice is visible.
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

from prunegate.compression.onnx_graph import gemm_to_matmul
from prunegate.compression.sparse_encoding import sparse_encode
from prunegate.config import choose, integer, number
from prunegate.errors import ConfigError
from prunegate.evaluation.latency import make_session, measure_interleaved

log = logging.getLogger(__name__)

QUANTIZABLE = ("Conv", "Gemm", "MatMul")
DYNAMIC_QUANTIZABLE = ("Gemm", "MatMul")
CALIBRATION = {"minmax": ortq.CalibrationMethod.MinMax,
               "entropy": ortq.CalibrationMethod.Entropy,
               "percentile": ortq.CalibrationMethod.Percentile}
# static: activations calibrated ahead of time (QDQ); dynamic: weights int8, activation ranges
# computed per call (no calibration data, Gemm/MatMul only in ONNX Runtime); qat: static, after
# fake-int8 fine-tuning in this stage; qap: static, with fake int8 already active while the
# fine-tune and distill stages prune and train (quantization-aware pruning)
MODES = ("static", "dynamic", "qat", "qap")
QUANT_AWARE = ("qat", "qap")


@dataclass
class QuantizeConfig:
    mode: str = "static"
    op_types: Any = "auto"  # "auto" (measured) or a list drawn from QUANTIZABLE
    calibration: str = "minmax"
    calibration_samples: int = 512
    per_channel: bool = False
    latency_tolerance: float = 0.25  # the latency cost accepted for a smaller file
    timing_repeats: int = 1000
    seed: int = 0
    # deploy the COO-encoded file when it is smaller (unstructured sparsity); ORT loads it as is
    sparse_encoding: bool = False
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
            if not isinstance(self.op_types, list | tuple) or not self.op_types:
                raise ConfigError("quantize.op_types must be 'auto' or a non-empty list of "
                                  f"{', '.join(QUANTIZABLE)}.")
            allowed = DYNAMIC_QUANTIZABLE if self.mode == "dynamic" else QUANTIZABLE
            for op in self.op_types:
                choose(op, allowed, f"quantize.op_types entry (mode {self.mode})")
        choose(self.calibration, list(CALIBRATION), "quantize.calibration")
        integer(self.calibration_samples, "quantize.calibration_samples", low=1)
        number(self.latency_tolerance, "quantize.latency_tolerance", 0.0, 1.0)
        integer(self.timing_repeats, "quantize.timing_repeats", low=10)
        if not isinstance(self.sparse_encoding, bool):
            raise ConfigError("quantize.sparse_encoding must be true or false.")


class _Reader(ortq.CalibrationDataReader):
    def __init__(self, input_name: str, x: np.ndarray, batch: int = 64):
        self._batches = iter([{input_name: x[i:i + batch]} for i in range(0, len(x), batch)])

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
            str(pre), str(dst), _Reader(model.graph.input[0].name, calibration_x),
            # a quantized Relu folds into its producer's int8 range; left out, it keeps a
            # DequantizeLinear/QuantizeLinear pair between every two layers (~5-25% slower here)
            quant_format=ortq.QuantFormat.QDQ, op_types_to_quantize=[*op_types, "Relu"],
            per_channel=config.per_channel, activation_type=ortq.QuantType.QInt8,
            weight_type=ortq.QuantType.QInt8, calibrate_method=CALIBRATION[config.calibration],
            extra_options=dict(config.extra))
        return onnx.load(dst)


def quantize_dynamic(model: onnx.ModelProto, op_types: list[str],
                     config: QuantizeConfig) -> onnx.ModelProto:
    """Dynamic int8: weights quantized offline, activations per call. No calibration data."""
    with tempfile.TemporaryDirectory() as tmp:
        src, pre, dst = (Path(tmp) / n for n in ("fp32.onnx", "pre.onnx", "int8.onnx"))
        onnx.save(gemm_to_matmul(model), src)
        ortq.quant_pre_process(str(src), str(pre))
        # a Gemm is a MatMul by now
        ortq.quantize_dynamic(str(pre), str(dst), op_types_to_quantize=["MatMul"],
                              per_channel=config.per_channel, weight_type=ortq.QuantType.QInt8,
                              extra_options=dict(config.extra))
        return onnx.load(dst)


def quantize_measured(model: onnx.ModelProto, calibration_x: np.ndarray,
                      config: QuantizeConfig) -> tuple[onnx.ModelProto, dict[str, Any]]:
    """The deployable model and a report of every variant that was measured."""
    # ONNX Runtime's dynamic quantizer has no Conv kernel worth using (ConvInteger is slow)
    quantizable = DYNAMIC_QUANTIZABLE if config.mode == "dynamic" else QUANTIZABLE
    present = sorted({n.op_type for n in model.graph.node} & set(quantizable))
    if config.op_types == "auto":
        subsets = [list(c) for r in range(len(present) + 1)
                   for c in itertools.combinations(present, r)]
    else:
        subsets = [sorted(set(config.op_types) & set(present))]
    rng = np.random.default_rng(config.seed)
    calib = calibration_x[rng.permutation(len(calibration_x))[:config.calibration_samples]]
    variants = {_label(s, config.mode): (_quantize(model, calib, s, config) if s else model)
                for s in subsets}
    sessions = {label: make_session(m.SerializeToString()) for label, m in variants.items()}
    timings = measure_interleaved(sessions, calib[:1], repeats=config.timing_repeats)
    sizes = {label: m.ByteSize() for label, m in variants.items()}
    chosen = choose_variant(sizes, {lbl: t.p50_ms for lbl, t in timings.items()},
                            config.latency_tolerance)
    if config.mode == "dynamic":
        log.info("dynamic quantization: calibration settings are not used (no calibration)")
    report = {"mode": config.mode, "chosen": chosen, "tolerance": config.latency_tolerance,
              "variants": {lbl: {"size_bytes": sizes[lbl], "p50_ms": timings[lbl].p50_ms,
                                 "p95_ms": timings[lbl].p95_ms} for lbl in variants}}
    for lbl, row in report["variants"].items():
        log.info("quantize variant %-16s %8d bytes  p50 %.4f ms%s", lbl, row["size_bytes"],
                 row["p50_ms"], "  <- chosen" if lbl == chosen else "")
    deployable = variants[chosen]
    if config.sparse_encoding:
        encoded = sparse_encode(deployable)
        report["sparse_encoding"] = {"dense_bytes": deployable.ByteSize(), "sparse_bytes":
                                     None if encoded is None else encoded.ByteSize(),
                                     "used": encoded is not None}
        if encoded is None:
            log.info("sparse encoding: not smaller than the dense file; keeping the dense one")
        deployable = encoded or deployable
    return deployable, report


def choose_variant(sizes: dict[str, int], p50_ms: dict[str, float], tolerance: float) -> str:
    """The smallest variant whose median latency is within ``tolerance`` of the fastest."""
    fastest = min(p50_ms.values())
    eligible = [label for label in sizes if p50_ms[label] <= fastest * (1 + tolerance)]
    return min(eligible, key=lambda label: sizes[label])


def _quantize(model: onnx.ModelProto, calib: np.ndarray, op_types: list[str],
              config: QuantizeConfig) -> onnx.ModelProto:
    if config.mode == "dynamic":
        return quantize_dynamic(model, op_types, config)
    return quantize_static(model, calib, op_types, config)


def _label(op_types: list[str], mode: str = "static") -> str:
    prefix = "int8-dynamic" if mode == "dynamic" else "int8"
    return f"{prefix}:" + "+".join(op_types) if op_types else "fp32"
