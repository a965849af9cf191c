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

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

POWERCAP = Path("/sys/class/powercap")


@dataclass(frozen=True)
class EnergyCosts:
    """Picojoules per operation (Horowitz 2014, 45 nm, by default)."""

    mac_fp32_pj: float = 4.6      # 3.7 multiply + 0.9 add
    mac_int8_pj: float = 0.3      # 0.2 multiply + 0.1 (32-bit accumulate)
    sram_byte_pj: float = 1.25    # 5 pJ per 32-bit read
    dram_byte_pj: float = 160.0   # 640 pJ per 32-bit read


class RaplCounters:
    """The package-level powercap zones under ``root`` (``intel-rapl:0``, ``amd-rapl:0``…;
    their sub-zones, core and uncore, are inside the package and not summed again)."""

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


def measured_uj_per_call(counters: RaplCounters, call: Callable[[], object], calls: int,
                         clock: Callable[[], float] = time.perf_counter,
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
            "idle_watts": idle_w, "busy_seconds": busy_s, "source": "measured (powercap RAPL)"}
