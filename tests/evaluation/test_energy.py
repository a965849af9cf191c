"""The powercap (RAPL) reader, against a directory laid out like sysfs: this machine has none."""

from pathlib import Path

import numpy as np
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


def _lenet_300_100():
    import torch

    from prunegate.models import build_model
    from prunegate.onnx_io.export import export_onnx

    torch.manual_seed(0)
    return export_onnx(build_model("lenet_300_100"), (1, 28, 28))


def test_the_model_matches_a_hand_count_for_lenet_300_100():
    """266,200 MACs at 4.6 pJ; 266,200 fp32 weights (4 B) at 160 pJ/B from DRAM or 1.25 pJ/B
    from SRAM; activations (784+300) + (300+100) + (100+10) fp32 values at 1.25 pJ/B."""
    from prunegate.evaluation.energy import energy_model

    dram = energy_model(_lenet_300_100())
    assert [layer["macs"] for layer in dram["layers"]] == [235_200, 30_000, 1_000]
    assert dram["uj_per_inference"] == pytest.approx(
        (266_200 * 4.6 + 266_200 * 4 * 160 + 1_594 * 4 * 1.25) / 1e6)
    sram = energy_model(_lenet_300_100(), weights_from="sram")
    assert sram["uj_per_inference"] == pytest.approx(
        (266_200 * 4.6 + 266_200 * 4 * 1.25 + 1_594 * 4 * 1.25) / 1e6)


def test_int8_compute_cuts_energy_and_int8_storage_does_not():
    from prunegate.compression.quantize import QuantizeConfig, quantize_static
    from prunegate.compression.storage import store_int8
    from prunegate.evaluation.energy import energy_model

    fp32 = _lenet_300_100()
    x = np.random.default_rng(0).random((32, 1, 28, 28), dtype=np.float32)
    qdq = energy_model(quantize_static(fp32, x, ["Gemm"], QuantizeConfig()))
    assert {layer["precision"] for layer in qdq["layers"]} == {"int8"}
    assert qdq["uj_per_inference"] == pytest.approx(
        (266_200 * 0.3 + 266_200 * 160 + 1_594 * 1.25) / 1e6)
    stored = energy_model(store_int8(fp32, ["Gemm"]))
    assert stored["uj_per_inference"] == pytest.approx(energy_model(fp32)["uj_per_inference"])


def test_every_stage_gets_an_energy_figure_that_says_where_it_came_from(tmp_path):
    from prunegate.evaluation.energy import EnergySetup, energy_model, energy_per_inference
    from prunegate.evaluation.latency import make_session

    model = _lenet_300_100()
    models = {"a": model, "b": model}
    sessions = {k: make_session(m.SerializeToString()) for k, m in models.items()}
    x = np.zeros((1, 1, 28, 28), np.float32)
    no_counters = RaplCounters(tmp_path)
    modelled = energy_per_inference(models, sessions, x, EnergySetup("auto", "sram",
                                                                     counters=no_counters))
    assert modelled["a"]["energy_uj"] == pytest.approx(
        energy_model(model, weights_from="sram")["uj_per_inference"])
    assert modelled["a"]["energy_source"].startswith("modelled") and "sram" in \
        modelled["a"]["energy_source"]
    # a package whose counter stands still: the calls cost nothing measurable
    _zone(tmp_path, "intel-rapl:0", 500)
    measured = energy_per_inference(models, sessions, x, EnergySetup(
        "auto", counters=RaplCounters(tmp_path)), rounds=3, block_seconds=0.01)
    assert measured["b"]["energy_source"].startswith("measured")
    assert measured["b"]["energy_measured_uj"] == [0.0, 0.0, 0.0]
    assert measured["b"]["energy_uj"] == 0.0
    assert measured["b"]["energy_modelled_uj"] == pytest.approx(
        energy_model(model)["uj_per_inference"])   # weights from dram, the default


def test_a_gpu_target_reads_nvml_and_says_why_it_cannot_here():
    """This machine has no NVIDIA driver: NVML initialises to nothing, and the reason is kept
    for the one-line error a measured GPU target gets."""
    pytest.importorskip("pynvml")
    from prunegate.evaluation.energy import NvmlCounters
    from prunegate.evaluation.targets import TargetProfile

    setup = TargetProfile(provider="CUDAExecutionProvider", energy="auto").energy_setup()
    assert isinstance(setup.counters, NvmlCounters)
    if setup.counters.available:
        pytest.skip("this machine has an NVIDIA GPU with an energy counter")
    assert "NVML" in setup.counters.reason and not setup.measures   # auto: modelled here
    assert isinstance(TargetProfile(energy="auto").energy_setup().counters, RaplCounters)
