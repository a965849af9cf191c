import numpy as np
import pytest

from prunegate.app.recipe import check_params
from prunegate.errors import ConfigError
from prunegate.evaluation.targets import TargetProfile, select_target, target_profiles
from prunegate.gate.sessions import batch_of
from prunegate.models import build_model
from prunegate.onnx_io.export import export_onnx


def test_profiles_are_checked_and_the_first_batch_size_is_the_gate_batch():
    profiles = target_profiles({"edge": {"intra_op_threads": 2, "batch_sizes": [8, 1]}})
    assert profiles["edge"].gate_batch == 8
    assert profiles["edge"].provider == "CPUExecutionProvider"
    for bad, message in [({"batch_sizes": []}, "non-empty"),
                         ({"batch_sizes": [1, 1]}, "repeats"),
                         ({"batch_sizes": [0]}, ">= 1"),
                         ({"intra_op_threads": "2"}, "whole number"),
                         ({"runtime": "tflite"}, "Choose one of: onnxruntime"),
                         ({"provider": "CPUExecutionProvder"}, "did you mean 'CPUExecution"),
                         ({"threads": 1}, "did you mean 'intra_op_threads'"),
                         ({"runs_on": []}, "runner label or a non-empty list"),
                         ({"runs_on": ["self-hosted", ""]}, "runner label or a non-empty")]:
        with pytest.raises(ConfigError, match=message):
            target_profiles({"edge": bad})


def test_runs_on_is_a_hosted_label_or_self_hosted_labels():
    profiles = target_profiles({"hosted": {}, "jetson": {"runs_on": ["self-hosted", "arm64"]}})
    assert profiles["hosted"].runs_on == "ubuntu-latest"
    assert profiles["jetson"].runs_on == ["self-hosted", "arm64"]


def test_a_profile_whose_provider_this_machine_lacks_fails_with_the_fix():
    profiles = target_profiles({"gpu": {"provider": "CUDAExecutionProvider"}})
    with pytest.raises(ConfigError, match="needs CUDAExecutionProvider.*pick another "
                                          "validate.target"):
        select_target(profiles, "gpu")


def test_the_session_uses_the_profiles_threads():
    model = export_onnx(build_model("lenet_300_100", hidden=[8, 8]), (1, 28, 28))
    session = TargetProfile(intra_op_threads=2).session(model.SerializeToString())
    assert session.get_session_options().intra_op_num_threads == 2
    assert session.get_providers() == ["CPUExecutionProvider"]


def test_batch_of_cycles_a_small_split():
    x = np.arange(3, dtype=np.float32).reshape(3, 1)
    assert batch_of(x, 5)[:, 0].tolist() == [0, 1, 2, 0, 1]
    assert batch_of(x, 2).shape == (2, 1)


def test_check_params_picks_the_recipes_target_and_rejects_unknown_ones():
    configs = check_params({"targets": {"a": {}, "b": {"intra_op_threads": 2}},
                            "validate": {"target": "b"}})
    assert configs["target"].intra_op_threads == 2
    with pytest.raises(ConfigError, match="unknown validate.target 'c'.*Choose one of: a\\."):
        check_params({"targets": {"a": {}}, "validate": {"target": "c"}})


def test_a_kfold_check_needs_kfold_on_and_an_absolute_basis():
    check = {"metric": "kfold_accuracy_std", "comparator": "<=", "threshold": 0.01}
    with pytest.raises(ConfigError, match="needs k-fold results.*validate.kfold is 0"):
        check_params({"gates": {"checks": [check]}})
    assert check_params({"gates": {"checks": [check]}, "validate": {"kfold": 3}})
    with pytest.raises(ConfigError, match="must use basis: absolute"):
        check_params({"gates": {"checks": [{**check, "basis": "relative_to_baseline"}]},
                      "validate": {"kfold": 3}})
    with pytest.raises(ConfigError, match="0 \\(off\\) or at least 2"):
        check_params({"validate": {"kfold": 1}})


def test_a_profile_states_how_energy_is_obtained_and_bad_settings_are_refused():
    from prunegate.evaluation.energy import RaplCounters

    setup = TargetProfile(energy_weights_from="sram", energy_costs={"dram_byte_pj": 100.0}
                          ).energy_setup()
    assert (setup.source, setup.weights_from, setup.costs.dram_byte_pj) == ("modelled", "sram",
                                                                            100.0)
    for settings, message in (({"energy": "measure"}, "did you mean 'measured'"),
                              ({"energy_costs": {"dram_pj": 1.0}}, "unknown key"),
                              ({"energy_costs": {"mac_fp32_pj": -1.0}}, "must be >= 0.0"),
                              ({"energy_weights_from": "disk"}, "Choose one of: dram, sram")):
        with pytest.raises(ConfigError, match=message):
            TargetProfile(**settings)
    if RaplCounters().available:
        pytest.skip("this machine can read its RAPL counters")
    with pytest.raises(ConfigError, match="no readable powercap RAPL counter.*energy: auto"):
        select_target({"t": TargetProfile(energy="measured")}, "t")
