"""The powercap (RAPL) reader, against a directory laid out like sysfs: this machine has none."""

from pathlib import Path

import pytest

from prunegate.evaluation.energy import RaplCounters, measured_uj_per_call


def _zone(root: Path, name: str, energy: int, max_range: int = 1_000_000) -> Path:
    zone = root / name
    zone.mkdir(parents=True)
    (zone / "name").write_text("package-0\n")
    (zone / "energy_uj").write_text(f"{energy}\n")
    (zone / "max_energy_range_uj").write_text(f"{max_range}\n")
    return zone


def test_packages_are_read_and_their_sub_zones_are_not_counted_twice(tmp_path):
    _zone(tmp_path, "intel-rapl:0", 100)
    _zone(tmp_path, "intel-rapl:1", 200)
    _zone(tmp_path, "intel-rapl:0:0", 50)   # core, inside package 0
    counters = RaplCounters(tmp_path)
    assert counters.available and counters.read() == {"intel-rapl:0": 100, "intel-rapl:1": 200}


def test_a_counter_that_wraps_is_unwrapped_with_its_own_range(tmp_path):
    _zone(tmp_path, "intel-rapl:0", 999_900, max_range=1_000_000)
    counters = RaplCounters(tmp_path)
    assert counters.spent_uj({"intel-rapl:0": 999_900}, {"intel-rapl:0": 150}) == 250


def test_no_powercap_means_not_available(tmp_path):
    assert not RaplCounters(tmp_path / "missing").available


def test_energy_per_call_subtracts_the_idle_power(tmp_path):
    """A fake package: 2 W idle, and each call costs 30 µJ on top, over a fake clock."""
    zone = _zone(tmp_path, "intel-rapl:0", 0)
    state = {"t": 0.0, "uj": 0.0}

    def advance(seconds: float, extra_uj: float = 0.0) -> None:
        state["t"] += seconds
        state["uj"] += 2.0 * seconds * 1e6 + extra_uj
        (zone / "energy_uj").write_text(f"{int(state['uj']) % 1_000_000}\n")

    result = measured_uj_per_call(RaplCounters(tmp_path), lambda: advance(1e-3, 30.0), 400,
                                  clock=lambda: state["t"], sleep=advance)
    # each call: 1 ms at 2 W idle (2,000 µJ) + 30 µJ; the idle part is taken out
    assert result["uj_per_call"] == pytest.approx(30.0, abs=0.05)
    assert result["idle_watts"] == pytest.approx(2.0, rel=1e-3)
