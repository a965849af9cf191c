"""How noisy the machine is while it times models, measured rather than assumed.

Two readings, taken before and after the timing they vouch for:

- the **load average** per core (``os.getloadavg``): other work competing for the cores;
- the **steal** share (``/proc/stat``): on a virtual machine, CPU time the host gave to other
  guests while this one wanted it;
- the **self-ratio**: one model timed against an identical second session of itself,
  interleaved exactly as the real comparison is. On a quiet machine its p50 ratio is 1.00
  and its 95% interval is narrow; the interval's distance from 1 is the smallest speed-up or
  slow-down the timing can tell apart from noise right now.

A machine is too noisy when the load exceeds ``max_load_per_core`` or the self-ratio's
interval strays further than ``max_spread`` from 1. Figures measured then are still recorded,
marked noisy, but the benchmark does not publish them (benchmark/run.py).
"""

import logging
import os
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from prunegate.evaluation import bootstrap
from prunegate.evaluation.latency import measure_interleaved

log = logging.getLogger(__name__)


@dataclass
class NoiseLimits:
    max_load_per_core: float = 0.5
    max_spread: float = 0.05   # the self-ratio's 95% interval must lie within 1 ± this
    max_steal: float = 0.05    # of the CPU time while the self-ratio was timed


@dataclass
class NoiseReading:
    load_per_core: float
    self_ratio_p50: float
    self_ratio_ci: tuple[float, float]
    rounds: int
    steal: float | None = None  # None: not a Linux /proc (nothing to read)

    @property
    def spread(self) -> float:
        return max(abs(self.self_ratio_ci[0] - 1.0), abs(self.self_ratio_ci[1] - 1.0))

    def problems(self, limits: NoiseLimits) -> list[str]:
        found = []
        if self.load_per_core > limits.max_load_per_core:
            found.append(f"load average {self.load_per_core:.2f} per core > "
                         f"{limits.max_load_per_core}")
        if self.steal is not None and self.steal > limits.max_steal:
            found.append(f"the hypervisor stole {self.steal:.1%} of the CPU time > "
                         f"{limits.max_steal:.0%}")
        if self.spread > limits.max_spread:
            low, high = self.self_ratio_ci
            found.append(f"a model against itself measured {self.self_ratio_p50:.3f}x "
                         f"[{low:.3f}, {high:.3f}], beyond 1 ± {limits.max_spread}")
        return found

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "self_ratio_ci": list(self.self_ratio_ci),
                "spread": self.spread}


def load_per_core() -> float:
    """The 1-minute load average divided by the cores this process may use."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return os.getloadavg()[0] / max(1, cores or 1)


def cpu_times() -> list[int] | None:
    """The aggregate CPU line of /proc/stat (user … steal, in ticks); None off Linux."""
    try:
        with open("/proc/stat") as f:
            return [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None


def steal_share(before: list[int] | None, after: list[int] | None) -> float | None:
    if before is None or after is None:
        return None
    spent = [b - a for a, b in zip(before, after, strict=True)]
    return spent[7] / sum(spent) if sum(spent) else 0.0


def read_noise(make_session, model_bytes: bytes, x: np.ndarray, rounds: int = 300,
               call: str = "run") -> NoiseReading:
    """Time two sessions of the same model against each other, interleaved."""
    sessions = {"a": make_session(model_bytes), "b": make_session(model_bytes)}
    ticks = cpu_times()
    timed = measure_interleaved(sessions, x, warmup=20, repeats=rounds, call=call)
    steal = steal_share(ticks, cpu_times())
    a, b = np.asarray(timed["a"].samples_ms), np.asarray(timed["b"].samples_ms)
    ci = bootstrap.paired_ratio_ci(a, b, 50)
    reading = NoiseReading(load_per_core(), float(np.percentile(b, 50) / np.percentile(a, 50)),
                           (float(ci[0]), float(ci[1])), rounds, steal)
    log.info("machine noise: load %.2f per core, self-ratio %.3f [%.3f, %.3f], steal %s",
             reading.load_per_core, reading.self_ratio_p50, *reading.self_ratio_ci,
             "n/a" if steal is None else f"{steal:.1%}")
    return reading


def verdict(readings: dict[str, NoiseReading], limits: NoiseLimits) -> dict[str, Any]:
    """{"quiet": bool, "problems": [...], "readings": {...}} over every reading taken."""
    problems = [f"{when}: {p}" for when, r in readings.items() for p in r.problems(limits)]
    return {"quiet": not problems, "problems": problems, "limits": asdict(limits),
            "readings": {when: r.as_dict() for when, r in readings.items()}}
