"""Target hardware profiles: the runtime, provider, threads and batch sizes latency is timed on.

``conf/base/targets.yml`` names the profiles and a recipe picks one with ``validate.target``. A
self-hosted runner with other hardware adds its own profile (there, or in
``conf/recipes/<recipe>/targets.yml``) and points its recipe at it. The gate's latency checks use
the first batch size; the others are measured and reported beside it.
"""

from dataclasses import dataclass, field
from typing import Any

import onnxruntime as ort

from prunegate.errors import ConfigError
from prunegate.evaluation.energy import (
    ENERGY_SOURCES,
    EnergyCosts,
    EnergySetup,
    NvmlCounters,
    RaplCounters,
    counters_for,
)
from prunegate.evaluation.latency import CALLS, make_session
from prunegate.validators import choose, from_dict, integer

RUNTIMES = ("onnxruntime",)


@dataclass
class TargetProfile:
    runtime: str = "onnxruntime"
    provider: str = "CPUExecutionProvider"
    intra_op_threads: int = 1
    inter_op_threads: int = 1
    batch_sizes: list[int] = field(default_factory=lambda: [1, 32])
    # where CI measures this target: a hosted runner label, or a list of self-hosted runner
    # labels (e.g. [self-hosted, linux, arm64, jetson]); compress.yml's runs-on reads it
    runs_on: str | list[str] = "ubuntu-latest"
    # how the deployed service calls the model (latency.caller): run, numpy in and out; or
    # iobinding, inputs and outputs bound once to preallocated buffers
    call: str = "run"
    # calls per model in a row when timing (latency.measure_interleaved): 1, each call after
    # another model's (a host of many models); n, the n - 1 warm calls after the first (one
    # model called back to back under steady load)
    burst: int = 1
    # energy per inference (evaluation/energy.py): modelled from the graph, measured from the
    # machine's powercap RAPL counters, or auto (measured where they can be read); the model's
    # weights come from dram (cold, or too big for the caches) or sram; energy_costs overrides
    # the per-operation picojoules (EnergyCosts: Horowitz 2014, 45 nm)
    energy: str = "modelled"
    energy_weights_from: str = "dram"
    energy_costs: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        choose(self.energy, ENERGY_SOURCES, "target energy")
        choose(self.energy_weights_from, ["dram", "sram"], "target energy_weights_from")
        if not isinstance(self.energy_costs, dict):
            raise ConfigError(f"'energy_costs' must map EnergyCosts fields to picojoules, got "
                              f"{self.energy_costs!r}.")
        from_dict(EnergyCosts, self.energy_costs, "energy_costs")
        choose(self.runtime, RUNTIMES, "target runtime")
        choose(self.provider, ort.get_all_providers(), "target provider")
        choose(self.call, CALLS, "target call")
        integer(self.intra_op_threads, "intra_op_threads", low=1)
        integer(self.burst, "burst", low=1, high=1000)
        integer(self.inter_op_threads, "inter_op_threads", low=1)
        if not isinstance(self.batch_sizes, list) or not self.batch_sizes:
            raise ConfigError(f"'batch_sizes' must be a non-empty list, got {self.batch_sizes!r}.")
        for size in self.batch_sizes:
            integer(size, "batch_sizes entry", low=1)
        if len(set(self.batch_sizes)) != len(self.batch_sizes):
            raise ConfigError(f"'batch_sizes' repeats a size: {self.batch_sizes}.")
        labels = [self.runs_on] if isinstance(self.runs_on, str) else self.runs_on
        if not isinstance(labels, list) or not labels or not all(
                isinstance(label, str) and label.strip() for label in labels):
            raise ConfigError("'runs_on' must be a runner label or a non-empty list of labels "
                              f"(e.g. [self-hosted, arm64]), got {self.runs_on!r}.")

    @property
    def gate_batch(self) -> int:
        return self.batch_sizes[0]

    def energy_setup(self, counters: RaplCounters | NvmlCounters | None = None) -> EnergySetup:
        """How this target's energy is obtained; measured from the counters of the device
        its provider runs on (RAPL for the CPU, NVML for an NVIDIA GPU)."""
        if counters is None and self.energy != "modelled":
            counters = counters_for(self.provider)
        return EnergySetup(self.energy, self.energy_weights_from,
                           from_dict(EnergyCosts, self.energy_costs, "energy_costs"), counters)

    def session(self, model_bytes: bytes) -> ort.InferenceSession:
        return make_session(model_bytes, self.intra_op_threads, self.inter_op_threads,
                            self.provider)


def target_profiles(params: dict[str, Any] | None) -> dict[str, TargetProfile]:
    if params is None:
        return {"cpu-1t": TargetProfile()}
    if not isinstance(params, dict) or not params:
        raise ConfigError(f"'targets' must map profile names to settings, got {params!r}.")
    return {name: from_dict(TargetProfile, values, f"targets.{name}")
            for name, values in params.items()}


def select_target(profiles: dict[str, TargetProfile], name: str) -> TargetProfile:
    """The recipe's profile; it must exist and its provider must be usable on this machine."""
    choose(name, list(profiles), "validate.target")
    profile = profiles[name]
    available = ort.get_available_providers()
    if profile.provider not in available:
        raise ConfigError(f"target '{name}' needs {profile.provider}, which this ONNX Runtime "
                          f"build does not have (it has: {', '.join(available)}). Run on the "
                          "target machine with the matching onnxruntime package, or pick "
                          "another validate.target.")
    counters = counters_for(profile.provider) if profile.energy == "measured" else None
    if counters is not None and not counters.available:
        where = (counters.reason if isinstance(counters, NvmlCounters) else
                 "this machine has no readable powercap RAPL counter (/sys/class/powercap/"
                 "*-rapl:*/energy_uj; reading it needs root on many kernels)")
        raise ConfigError(f"target '{name}' measures energy (energy: measured), but {where}. "
                          "Run on the target with read access, or set energy: auto or "
                          "modelled.")
    return profile
