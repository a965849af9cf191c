"""The machine-noise reading: load average and a model timed against itself; too much of
either makes figures unpublishable."""

import numpy as np

from prunegate.benchmark.floor import floor_model
from prunegate.evaluation.latency import make_session
from prunegate.evaluation.noise import (
    NoiseLimits,
    NoiseReading,
    other_share,
    read_noise,
    steal_share,
    verdict,
)

LIMITS = NoiseLimits(max_other_load=0.25, max_spread=0.05)


def test_a_quiet_reading_passes_and_each_kind_of_noise_is_named():
    quiet = NoiseReading(0.1, 1.0, (0.98, 1.03), 300)
    loaded = NoiseReading(1.4, 1.0, (0.98, 1.03), 300, other_load=0.6)
    jittery = NoiseReading(0.1, 1.06, (1.02, 1.09), 300)
    assert verdict({"before": quiet, "after": quiet}, LIMITS)["quiet"]
    result = verdict({"before": loaded, "after": jittery}, LIMITS)
    assert not result["quiet"]
    assert result["problems"] == [
        "before: other processes used 60% of the CPU > 25%",
        "after: a model against itself measured 1.060x [1.020, 1.090], beyond 1 ± 0.05"]
    assert abs(result["readings"]["after"]["spread"] - 0.09) < 1e-9


def test_a_reading_times_two_sessions_of_one_model():
    reading = read_noise(make_session, floor_model((1, 28, 28), 10).SerializeToString(),
                         np.zeros((1, 1, 28, 28), np.float32), rounds=40)
    low, high = reading.self_ratio_ci
    assert reading.rounds == 40 and low <= high and reading.load_per_core >= 0


def test_steal_is_the_share_of_cpu_time_the_host_took():
    before = [100, 0, 50, 800, 0, 0, 0, 50]   # user nice system idle iowait irq softirq steal
    after = [200, 0, 100, 1600, 0, 0, 0, 100]
    assert steal_share(before, after) == 50 / 1000
    assert steal_share(None, after) is None
    stolen = NoiseReading(0.1, 1.0, (0.99, 1.01), 300, steal=0.2)
    assert stolen.problems(LIMITS) == ["the hypervisor stole 20.0% of the CPU time > 5%"]


def test_other_load_leaves_out_this_process_own_cpu_time():
    import os

    tick = os.sysconf("SC_CLK_TCK")
    before = [0] * 8
    after = [2 * tick, 0, 0, 2 * tick, 0, 0, 0, 0]   # 2 s busy, 2 s idle over 2 cores
    assert other_share(before, after, own_seconds=1.0) == 0.25  # 1 s was ours, 1 s others'
    assert other_share(before, after, own_seconds=2.0) == 0.0


def test_a_window_measures_other_load_between_0_and_1():
    from prunegate.evaluation.noise import cpu_mark, other_load_since

    mark = cpu_mark()
    sum(i * i for i in range(200_000))  # our own work, which the share leaves out
    share = other_load_since(mark)
    assert share is None or 0.0 <= share <= 1.0
