"""How noisy the machine is while it times models, measured rather than assumed.

Two readings, taken before and after the timing they vouch for:

- the **other load**: the share of the machine's CPU time that other processes used while the
  self-ratio was timed (``/proc/stat``'s busy time minus this process's own). The 1-minute
  load average is recorded too, but it lags and counts the bench's own recipes that just
  finished, so it does not decide;
- the **steal** share (``/proc/stat``): on a virtual machine, CPU time the host gave to other
  guests while this one wanted it;
- the **self-ratio**: one model timed against an identical second session of itself,
  interleaved exactly as the real comparison is. On a quiet machine its p50 ratio is 1.00
  and its 95% interval is narrow; the interval's distance from 1 is the smallest speed-up or
  slow-down the timing can tell apart from noise right now.

A machine is too noisy when other processes used more than ``max_other_load`` of the CPU,
the host stole more than ``max_steal``, or the self-ratio's interval strays further than
``max_spread`` from 1. Figures measured then are still recorded,
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
    max_other_load: float = 0.25  # of all cores, used by other processes meanwhile
    max_spread: float = 0.05   # the self-ratio's 95% interval must lie within 1 ± this
    max_steal: float = 0.05    # of the CPU time while the self-ratio was timed


@dataclass
class NoiseReading:
    load_per_core: float
    self_ratio_p50: float
    self_ratio_ci: tuple[float, float]
    rounds: int
    steal: float | None = None  # None: not a Linux /proc (nothing to read)
    other_load: float | None = None

    @property
    def spread(self) -> float:
        return max(abs(self.self_ratio_ci[0] - 1.0), abs(self.self_ratio_ci[1] - 1.0))

    def problems(self, limits: NoiseLimits) -> list[str]:
        found = []
        if self.other_load is not None and self.other_load > limits.max_other_load:
            found.append(f"other processes used {self.other_load:.0%} of the CPU > "
                         f"{limits.max_other_load:.0%}")
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


def other_share(before: list[int] | None, after: list[int] | None, own_seconds: float) -> \
        float | None:
    """The share of all CPU time that went to processes other than this one: busy ticks
    (everything but idle and iowait) minus this process's own CPU seconds."""
    if before is None or after is None:
        return None
    spent = [b - a for a, b in zip(before, after, strict=True)]
    total = sum(spent)
    if not total:
        return 0.0
    busy = (total - spent[3] - spent[4]) / os.sysconf("SC_CLK_TCK")
    return max(0.0, busy - own_seconds) / (total / os.sysconf("SC_CLK_TCK"))


def read_noise(make_session, model_bytes: bytes, x: np.ndarray, rounds: int = 5000,
               call: str = "run", burst: int = 1) -> NoiseReading:
    """Time two sessions of the same model against each other, interleaved."""
    sessions = {"a": make_session(model_bytes), "b": make_session(model_bytes)}
    ticks, own = cpu_times(), _own_seconds()
    timed = measure_interleaved(sessions, x, warmup=20, repeats=rounds, call=call, burst=burst)
    after = cpu_times()
    steal, other = steal_share(ticks, after), other_share(ticks, after, _own_seconds() - own)
    a, b = np.asarray(timed["a"].samples_ms), np.asarray(timed["b"].samples_ms)
    ci = bootstrap.paired_ratio_ci(a, b, 50)
    reading = NoiseReading(load_per_core(), float(np.percentile(b, 50) / np.percentile(a, 50)),
                           (float(ci[0]), float(ci[1])), rounds, steal, other)
    log.info("machine noise: other processes %s of the CPU, self-ratio %.3f [%.3f, %.3f], "
             "steal %s (load average %.2f per core)",
             "n/a" if other is None else f"{other:.0%}", reading.self_ratio_p50,
             *reading.self_ratio_ci, "n/a" if steal is None else f"{steal:.1%}",
             reading.load_per_core)
    return reading


def _own_seconds() -> float:
    times = os.times()
    return times.user + times.system


def cpu_mark() -> tuple[list[int] | None, float]:
    """The start of a window whose ``other_load_since`` is wanted."""
    return cpu_times(), _own_seconds()


def other_load_since(mark: tuple[list[int] | None, float]) -> float | None:
    """The share of the CPU other processes used since ``mark`` (None off Linux)."""
    return other_share(mark[0], cpu_times(), _own_seconds() - mark[1])


def verdict(readings: dict[str, NoiseReading], limits: NoiseLimits) -> dict[str, Any]:
    """{"quiet": bool, "problems": [...], "readings": {...}} over every reading taken."""
    problems = [f"{when}: {p}" for when, r in readings.items() for p in r.problems(limits)]
    return {"quiet": not problems, "problems": problems, "limits": asdict(limits),
            "readings": {when: r.as_dict() for when, r in readings.items()}}
