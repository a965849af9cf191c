"""The peers prunegate is compared with, each used the way its documentation shows.

Every peer starts from the same dense trained weights as prunegate's recipes and gets the same
fine-tuning budget in epochs (our training loop, so the optimiser and data order are equal too).
Each returns the ONNX file it would deploy; the benchmark measures them all the same way.
"""

import copy
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch_pruning as tp
from onnxruntime import quantization as ortq
from torch import nn
from torch.nn.utils import prune as torch_prune

from prunegate.onnx_io.export import export_onnx
from prunegate.training.loop import TrainConfig, fit

log = logging.getLogger(__name__)


@dataclass
class PeerResult:
    onnx: onnx.ModelProto | None
    model: nn.Module | None        # the torch model before quantization (for MACs)
    seconds: float                 # wall time of the compression itself, fine-tuning included
    note: str = ""


def _hidden(model: nn.Module) -> list[nn.Module]:
    """Linear/Conv layers except the classifier, which every method leaves whole."""
    return [m for m in model.modules() if isinstance(m, nn.Linear | nn.Conv2d)
            and m is not getattr(model, "classifier", None)]


def torch_l1_unstructured(dense: nn.Module, sparsity: float, train: dict, val: dict,
                          tuning: TrainConfig) -> PeerResult:
    """``torch.nn.utils.prune.global_unstructured`` (L1), fine-tune, ORT ``quantize_dynamic``
    with its defaults: the obvious baseline."""
    start = time.perf_counter()
    model = copy.deepcopy(dense)
    torch_prune.global_unstructured([(m, "weight") for m in _hidden(model)],
                                    pruning_method=torch_prune.L1Unstructured, amount=sparsity)
    fit(model, train, val, tuning, desc="torch.prune")   # the forward pre-hook holds the mask
    for m in _hidden(model):
        torch_prune.remove(m, "weight")
    fp32 = export_onnx(model, tuple(train["x"].shape[1:]))
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        onnx.save(fp32, src)
        ortq.quantize_dynamic(str(src), str(dst), weight_type=ortq.QuantType.QInt8)
        int8 = onnx.load(dst)
    quantized = sum(n.op_type in ("MatMulInteger", "DynamicQuantizeLinear", "ConvInteger")
                    for n in int8.graph.node)
    note = "" if quantized else ("quantize_dynamic quantized nothing: torch exports Linear as "
                                 "Gemm, which ORT's dynamic quantizer skips")
    return PeerResult(int8, model, time.perf_counter() - start, note)


def torch_pruning_matched_macs(dense: nn.Module, target_macs: int, train: dict, val: dict,
                               tuning: TrainConfig) -> PeerResult:
    """Torch-Pruning ``MagnitudePruner`` at the ratio whose MACs match ``target_macs``,
    fine-tune, ORT ``quantize_static`` (QDQ, MinMax) with its defaults."""
    start = time.perf_counter()
    example = torch.from_numpy(train["x"][:1])
    low, high = 0.0, 0.95
    for _ in range(12):   # bisect the uniform ratio: MACs fall monotonically with it
        ratio = (low + high) / 2
        macs = _macs(_tp_prune(dense, ratio, example), example)
        low, high = (ratio, high) if macs > target_macs else (low, ratio)
    model = _tp_prune(dense, high, example)
    fit(model, train, val, tuning, desc="torch-pruning")
    fp32 = export_onnx(model, tuple(train["x"].shape[1:]))
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        onnx.save(fp32, src)
        reader = _Calibration(fp32.graph.input[0].name, train["x"][:512])
        ortq.quantize_static(str(src), str(dst), reader, quant_format=ortq.QuantFormat.QDQ)
        int8 = onnx.load(dst)
    return PeerResult(int8, model, time.perf_counter() - start,
                      f"uniform ratio {high:.3f} for {_macs(model, example):,} MACs")


def nncf_ptq(dense: nn.Module, train: dict) -> PeerResult:
    """NNCF post-training int8 (``nncf.quantize``) through its ONNX backend: the dense ONNX
    model in, a QDQ ONNX model out, which is what NNCF recommends for ONNX Runtime (its torch
    backend exports OpenVINO ops and needs a C++ build). NNCF is optional (the ``peers``
    extra): when it is missing or fails, that is the result."""
    # NNCF sends usage telemetry without asking unless this is set: nothing may phone home
    os.environ.setdefault("NNCF_CI", "1")
    try:
        import nncf
    except ImportError as error:
        return PeerResult(None, None, 0.0, f"not installed ({error}); pip install -e .[peers]")
    start = time.perf_counter()
    try:
        fp32 = export_onnx(copy.deepcopy(dense).eval(), tuple(train["x"].shape[1:]))
        name = fp32.graph.input[0].name
        data = nncf.Dataset([{name: train["x"][i:i + 1]} for i in range(300)])
        int8 = nncf.quantize(fp32, data, subset_size=300)
        int8.ir_version = min(int8.ir_version, fp32.ir_version)
        ort.InferenceSession(int8.SerializeToString(), providers=["CPUExecutionProvider"])
    except Exception as error:   # report what happened instead of hiding the peer
        log.warning("NNCF failed: %s", error)
        return PeerResult(None, None, time.perf_counter() - start,
                          f"failed: {type(error).__name__}: {str(error).splitlines()[0][:120]}")
    return PeerResult(int8, None, time.perf_counter() - start)


def _tp_prune(dense: nn.Module, ratio: float, example: torch.Tensor) -> nn.Module:
    model = copy.deepcopy(dense)
    if ratio > 0:
        tp.pruner.MagnitudePruner(model, example, importance=tp.importance.MagnitudeImportance(p=2),
                                  pruning_ratio=ratio,
                                  ignored_layers=[model.classifier]).step()
    return model


def _macs(model: nn.Module, example: torch.Tensor) -> int:
    macs, _ = tp.utils.count_ops_and_params(model.eval(), example)
    return int(macs)


class _Calibration(ortq.CalibrationDataReader):
    def __init__(self, name: str, x: np.ndarray, batch: int = 64):
        self._it = iter([{name: x[i:i + batch]} for i in range(0, len(x), batch)])

    def get_next(self):
        return next(self._it, None)
