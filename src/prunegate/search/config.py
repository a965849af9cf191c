"""The search's own settings: budget, where trials run, the constraints and the space."""

import os
from dataclasses import dataclass, field
from typing import Any

from prunegate.errors import ConfigError
from prunegate.gate.config import ABSOLUTE_ONLY, CheckSpec, GateConfig, gate_config
from prunegate.validators import choose, integer, number

BACKENDS = ("ray", "local")
SHORTHANDS = ("min_accuracy", "max_accuracy_drop_pp", "max_latency_p95_ms", "max_latency_ratio",
              "max_size_ratio")
# what every trial is scored on; the Pareto front is over all three
OBJECTIVES = (("accuracy", "maximize"), ("latency_p95_ms", "minimize"), ("size_bytes", "minimize"))


@dataclass
class SearchConfig:
    trials: int = 20                 # budget in trials ...
    timeout_s: float | None = 3600   # ... and in wall time: no new trial starts after this
    seed: int = 0
    backend: str = "ray"             # ray: trials are Ray tasks; local: one at a time, in here
    workers: int = 2                 # ray: trials at once (one CPU each)
    ray_address: str | None = None   # a cluster (host:port, ray://host:port, auto); default
                                     # RAY_ADDRESS, else a local Ray started for the search
    # the gate vocabulary (min_accuracy, max_accuracy_drop_pp, max_latency_p95_ms,
    # max_latency_ratio, max_size_ratio, checks); null: the recipe's own gates
    constraints: dict[str, Any] | None = None
    space: dict[str, Any] = field(default_factory=dict)
    # a trial whose fine-tuned validation accuracy is this far under the accuracy constraint
    # stops there: distillation has never recovered that much
    prune_margin_pp: float = 5.0
    latency_repeats: int = 300       # interleaved rounds per trial (validation split)
    closest: int = 3                 # trials reported when none meets every constraint

    def __post_init__(self) -> None:
        integer(self.trials, "search.trials", low=1)
        if self.timeout_s is not None:
            number(self.timeout_s, "search.timeout_s", low=1.0)
        integer(self.seed, "search.seed")
        choose(self.backend, BACKENDS, "search.backend")
        integer(self.workers, "search.workers", low=1)
        if self.backend == "local" and self.workers != 1:
            raise ConfigError("search.backend 'local' runs one trial at a time: set "
                              "search.workers to 1, or search.backend to ray for parallel trials.")
        if self.backend == "local" and self.ray_address:
            raise ConfigError("search.ray_address is only read with search.backend 'ray'; "
                              "remove it, or set search.backend to ray.")
        if self.ray_address is not None and not isinstance(self.ray_address, str):
            raise ConfigError(f"search.ray_address must be host:port, ray://host:port or auto, "
                              f"got {self.ray_address!r}.")
        number(self.prune_margin_pp, "search.prune_margin_pp", low=0.0)
        integer(self.latency_repeats, "search.latency_repeats", low=10)
        integer(self.closest, "search.closest", low=1)

    def address(self) -> str | None:
        return self.ray_address or os.environ.get("RAY_ADDRESS") or None


def constraint_gate(config: SearchConfig, gates: dict[str, Any] | None) -> GateConfig:
    """The constraints as a gate; a trial is feasible when this gate passes on validation data.

    Champion and k-fold checks belong to the release gate, not to a trial: they are refused in
    explicit constraints and dropped from the recipe's gates when those stand in."""
    if config.constraints is None:
        gate = gate_config(dict(gates or {}))
    elif not isinstance(config.constraints, dict):
        raise ConfigError("search.constraints must be a mapping in the gates' vocabulary, e.g. "
                          "{min_accuracy: 0.9, max_size_ratio: 0.05}.")
    else:  # only what is written is a constraint: no gate default slips in unseen
        gate = gate_config({**dict.fromkeys(SHORTHANDS), **config.constraints})
    kept = []
    for check in gate.checks:
        spec = CheckSpec(**check)
        if spec.basis == "relative_to_champion" or spec.metric in ABSOLUTE_ONLY:
            if config.constraints is not None:
                raise ConfigError(f"search.constraints check '{spec.name}' needs the champion "
                                  "or k-fold runs, which a trial does not have; the release gate "
                                  "checks it after the search. Remove it from the constraints.")
            continue
        kept.append(check)
    gate.checks = kept
    _require_possible(gate)
    return gate


def _require_possible(gate: GateConfig) -> None:
    """Thresholds nothing can meet: say so before hours of trials."""
    problems = []
    if gate.min_accuracy is not None and gate.min_accuracy > 1.0:
        problems.append(f"min_accuracy {gate.min_accuracy} is above 1.0")
    for key in ("max_latency_p95_ms", "max_latency_ratio", "max_size_ratio"):
        if getattr(gate, key) == 0:
            problems.append(f"{key} is 0")
    for spec in gate.specs():
        if spec.comparator == ">=" and spec.basis == "absolute" and spec.threshold > 1.0:
            problems.append(f"{spec.name} needs {spec.metric} >= {spec.threshold}, above 1.0")
        if spec.comparator == "<=" and spec.threshold <= 0 and spec.basis == "absolute":
            problems.append(f"{spec.name} needs {spec.metric} <= {spec.threshold}")
    if problems:
        raise ConfigError(f"the search constraints cannot be met: {'; '.join(problems)}. "
                          "Relax them in search.constraints (the gate vocabulary: "
                          "min_accuracy, max_accuracy_drop_pp, max_latency_p95_ms, "
                          "max_size_ratio, ...).")
