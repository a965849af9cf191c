"""Energy per inference: measured from the target's own counters where it has them, modelled
from the graph where it has not.

Measured: Linux powercap (RAPL) exposes each package's cumulative energy in
``/sys/class/powercap/<zone>/energy_uj``, which wraps at ``max_energy_range_uj``. The energy of
a block of calls is the counters' difference around it, less the idle power (read around a
sleep of the same kind) times the block's duration.

Modelled (``energy_model``): per compute node of the deployable ONNX graph, the multiply-adds
at the precision they run in, plus the bytes of weights and activations moved, each times a
per-operation energy of the target profile. The defaults are the 45 nm figures of Horowitz
(ISSCC 2014), as tabled by Han et al. (2016) and used by Yang et al. (2017, energy-aware
pruning): an fp32 multiply 3.7 pJ and add 0.9 pJ, an int8 multiply 0.2 pJ with a 32-bit add
0.1 pJ, a 32-bit SRAM (cache) read 5 pJ, a 32-bit DRAM read 640 pJ.
"""

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from prunegate.validators import number

log = logging.getLogger(__name__)
POWERCAP = Path("/sys/class/powercap")
ENERGY_SOURCES = ("modelled", "measured", "auto")


@dataclass(frozen=True)
class EnergyCosts:
    """Picojoules per operation (Horowitz 2014, 45 nm, by default)."""

    mac_fp32_pj: float = 4.6      # 3.7 multiply + 0.9 add
    mac_int8_pj: float = 0.3      # 0.2 multiply + 0.1 (32-bit accumulate)
    sram_byte_pj: float = 1.25    # 5 pJ per 32-bit read
    dram_byte_pj: float = 160.0   # 640 pJ per 32-bit read

    def __post_init__(self) -> None:
        for f in fields(self):
            number(getattr(self, f.name), f"energy_costs.{f.name}", low=0.0)


class RaplCounters:
    """The package-level powercap zones under ``root`` (``intel-rapl:0``, ``amd-rapl:0``…;
    their sub-zones, core and uncore, are inside the package and not summed again)."""

    label = "powercap RAPL, CPU package"

    def __init__(self, root: Path = POWERCAP):
        self.root = Path(root)
        self.zones = sorted(p for p in self.root.glob("*-rapl:*")
                            if p.name.count(":") == 1 and (p / "energy_uj").exists())

    @property
    def available(self) -> bool:
        """True when there is a zone and its counter can be read (it is root-only on many
        kernels since the Platypus side channel, CVE-2020-8694)."""
        try:
            return bool(self.zones) and bool(self.read())
        except OSError:
            return False

    def read(self) -> dict[str, int]:
        return {z.name: int((z / "energy_uj").read_text()) for z in self.zones}

    def spent_uj(self, before: dict[str, int], after: dict[str, int]) -> int:
        """Microjoules between two readings, across at most one wrap of each counter."""
        total = 0
        for zone, start in before.items():
            end = after[zone]
            if end < start:   # the counter wrapped at max_energy_range_uj
                end += int((self.root / zone / "max_energy_range_uj").read_text())
            total += end - start
        return total


class NvmlCounters:
    """NVIDIA GPUs' energy since the driver loaded (NVML's total energy consumption, in mJ;
    Volta and newer), through pynvml: ``pip install 'prunegate[gpu-energy]'``."""

    label = "NVML, GPU"

    def __init__(self):
        self.handles, self.reason = [], ""
        try:
            import pynvml
        except ImportError:
            self.reason = "pynvml is not installed (pip install 'prunegate[gpu-energy]')"
            return
        self._nvml = pynvml
        try:
            pynvml.nvmlInit()
            self.handles = [pynvml.nvmlDeviceGetHandleByIndex(i)
                            for i in range(pynvml.nvmlDeviceGetCount())]
        except pynvml.NVMLError as error:   # no driver, no GPU: nothing to read
            self.reason = f"NVML cannot be read here ({error})"

    @property
    def available(self) -> bool:
        try:
            return bool(self.handles) and bool(self.read())
        except Exception as error:  # pynvml.NVMLError_NotSupported on pre-Volta GPUs, among others
            self.reason = f"NVML has no energy counter here ({error})"
            return False

    def read(self) -> dict[str, int]:
        return {f"gpu{i}": 1000 * int(self._nvml.nvmlDeviceGetTotalEnergyConsumption(h))
                for i, h in enumerate(self.handles)}

    def spent_uj(self, before: dict[str, int], after: dict[str, int]) -> int:
        """Microjoules between two readings (a 64-bit millijoule count: it does not wrap)."""
        return sum(after[gpu] - start for gpu, start in before.items())


GPU_PROVIDERS = ("CUDAExecutionProvider", "TensorrtExecutionProvider")


def counters_for(provider: str) -> RaplCounters | NvmlCounters:
    """The energy counters of the device that runs ``provider``'s kernels."""
    return NvmlCounters() if provider in GPU_PROVIDERS else RaplCounters()


def measured_uj_per_call(counters: RaplCounters | NvmlCounters, call: Callable[[], object],
                         calls: int, clock: Callable[[], float] = time.perf_counter,
                         sleep: Callable[[float], None] = time.sleep) -> dict[str, float]:
    """µJ per call: the counters around ``calls`` calls, less the idle power measured over a
    sleep of the same length right before."""
    start = clock()
    for _ in range(min(calls, 50)):   # warm-up, and a first estimate of the block's length
        call()
    seconds = max((clock() - start) * calls / min(calls, 50), 0.05)
    idle_before, idle_start = counters.read(), clock()
    sleep(seconds)
    idle_uj, idle_s = counters.spent_uj(idle_before, counters.read()), clock() - idle_start
    before, start = counters.read(), clock()
    for _ in range(calls):
        call()
    busy_uj, busy_s = counters.spent_uj(before, counters.read()), clock() - start
    idle_w = idle_uj / idle_s / 1e6 if idle_s > 0 else 0.0
    return {"uj_per_call": max(0.0, busy_uj - idle_w * 1e6 * busy_s) / calls,
            "idle_watts": idle_w, "busy_seconds": busy_s,
            "source": f"measured ({counters.label})"}


COMPUTE = ("Gemm", "MatMul", "Conv")
INT8_COMPUTE = ("QLinearConv", "QLinearMatMul", "MatMulInteger", "ConvInteger")


def energy_model(model, costs: EnergyCosts = EnergyCosts(),
                 weights_from: str = "dram") -> dict[str, Any]:
    """Modelled µJ per inference at batch 1, per compute node and in total.

    A node's energy is its multiply-adds times the MAC energy of the precision it runs in, plus
    the bytes of its weights read from ``weights_from`` (dram: a cold model, or one too big for
    the caches; sram: a warm model that fits) and of its input and output activations read and
    written in SRAM. Precision follows what ONNX Runtime executes: integer ops, and Gemm/MatMul/
    Conv fed by DequantizeLinear on both inputs (QDQ, fused to int8 kernels), run int8; a weight
    stored int8 and rebuilt by Cast*scale (quantize.mode storage) runs, and is held, in fp32."""
    import onnx
    from onnx import numpy_helper, shape_inference

    if weights_from not in ("dram", "sram"):
        raise ValueError(f"weights_from must be 'dram' or 'sram', not {weights_from!r}")
    model = onnx.ModelProto.FromString(model.SerializeToString())
    for value in model.graph.input:   # batch 1 everywhere, so shapes infer to numbers
        dims = value.type.tensor_type.shape.dim
        if dims and not dims[0].dim_value:
            dims[0].dim_value = 1
    model = shape_inference.infer_shapes(model)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in (*model.graph.input, *model.graph.value_info, *model.graph.output)}
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    producer = {out: node for node in model.graph.node for out in node.output}
    weight_pj = costs.dram_byte_pj if weights_from == "dram" else costs.sram_byte_pj
    layers, total = [], 0.0
    for node in model.graph.node:
        if node.op_type not in COMPUTE + INT8_COMPUTE:
            continue
        int8 = node.op_type in INT8_COMPUTE or all(
            getattr(producer.get(name), "op_type", None) == "DequantizeLinear"
            for name in node.input[:2])
        weight = _weight(node, inits, producer)
        out = int(np.prod(shapes.get(node.output[0]) or [0]))
        macs = out * _per_output(node, weight)
        elem = 1 if int8 else 4
        act_bytes = (int(np.prod(shapes.get(node.input[0]) or [0])) + out) * elem
        weight_bytes = (weight.size if weight is not None else 0) * elem
        pj = (macs * (costs.mac_int8_pj if int8 else costs.mac_fp32_pj)
              + weight_bytes * weight_pj + act_bytes * costs.sram_byte_pj)
        layers.append({"node": node.name or node.output[0], "op": node.op_type,
                       "precision": "int8" if int8 else "fp32", "macs": macs,
                       "weight_bytes": weight_bytes, "activation_bytes": act_bytes,
                       "uj": pj / 1e6})
        total += pj
    return {"uj_per_inference": total / 1e6, "layers": layers, "weights_from": weights_from,
            "source": "modelled (Horowitz 2014 45 nm per-operation energies)"}


def _weight(node, inits, producer):
    """The node's weight tensor as stored, looking through DequantizeLinear and Cast*scale."""
    name = node.input[3] if node.op_type in ("QLinearConv", "QLinearMatMul") else node.input[1]
    seen = 0
    while name not in inits and name in producer and seen < 4:
        name, seen = producer[name].input[0], seen + 1
    return inits.get(name)


def _per_output(node, weight) -> int:
    """Multiply-adds per output element: the reduced dimension of the weight."""
    if weight is None:
        return 0
    if node.op_type in ("Conv", "QLinearConv", "ConvInteger"):
        return int(np.prod(weight.shape[1:]))   # in/groups × kernel
    attrs = {a.name: a.i for a in node.attribute}
    if node.op_type == "Gemm" and attrs.get("transB", 0):
        return int(weight.shape[1])
    return int(weight.shape[0])                 # (in, out)


@dataclass
class EnergySetup:
    """How a target gets its energy figures (its targets.yml settings, and its counters)."""

    source: str = "modelled"
    weights_from: str = "dram"
    costs: EnergyCosts = EnergyCosts()
    counters: RaplCounters | NvmlCounters | None = None

    @property
    def measures(self) -> bool:
        available = self.counters is not None and self.counters.available
        return self.source == "measured" or (self.source == "auto" and available)


def energy_per_inference(models: dict[str, Any], sessions: dict[str, Any], x: np.ndarray,
                         setup: EnergySetup, rounds: int = 5,
                         block_seconds: float = 0.2) -> dict[str, dict[str, Any]]:
    """Per model: ``energy_uj`` per inference (``x`` is one sample), its source, and the modelled
    figure with its per-layer split (always: it says where the energy goes). Measured figures
    are the median over ``rounds`` interleaved rounds, each a block of calls per model in a
    random order, so a drift of the machine's power spreads over every model alike."""
    from prunegate.evaluation.latency import caller

    out = {}
    for name, model in models.items():
        modelled = energy_model(model, setup.costs, setup.weights_from)
        out[name] = {"energy_uj": modelled["uj_per_inference"],
                     "energy_source": modelled["source"] + f", weights from {setup.weights_from}",
                     "energy_modelled_uj": modelled["uj_per_inference"],
                     "energy_layers": modelled["layers"]}
    if not setup.measures:
        return out
    calls = {name: caller(sessions[name], x) for name in models}
    per_call = {name: _calls_per_block(call, block_seconds) for name, call in calls.items()}
    readings: dict[str, list[float]] = {name: [] for name in models}
    order = list(models)
    for r in range(rounds):
        random.Random(r).shuffle(order)
        for name in order:
            readings[name].append(measured_uj_per_call(setup.counters, calls[name],
                                                       per_call[name])["uj_per_call"])
    for name, values in readings.items():
        out[name] |= {"energy_uj": float(np.median(values)),
                      "energy_source": f"measured ({setup.counters.label}, idle power "
                                       f"subtracted; median of {rounds} interleaved blocks)",
                      "energy_measured_uj": values}
        log.info("%s: %.3g µJ per inference measured, %.3g modelled", name,
                 out[name]["energy_uj"], out[name]["energy_modelled_uj"])
    return out


def _calls_per_block(call: Callable[[], object], seconds: float) -> int:
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < 0.02:
        call()
        n += 1
    return max(1, int(n * seconds / 0.02))
