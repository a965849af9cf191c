"""benchmarks/speed_goals.py builds each graph form it claims to time."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "speed_goals.py"


def _script():
    spec = importlib.util.spec_from_file_location("speed_goals", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_graph_form_is_what_its_name_says_and_is_timed_on_both_call_paths():
    models, times = _script().graph_forms([[8]], repeats={1: 20, 32: 5})
    ops = {name: {n.op_type for n in m.graph.node} for name, m in models.items()}
    assert "QuantizeLinear" not in ops["8 fp32"] and "Gemm" in ops["8 fp32"]
    assert "QuantizeLinear" in ops["8 int8 QDQ"]
    assert "MatMulInteger" in ops["8 int8 dynamic"]
    assert "MatMulNBits" in ops["8 4-bit weights"]
    # 4-bit weights: the smallest file of the four
    sizes = {name: m.ByteSize() for name, m in models.items() if name.startswith("8 ")}
    assert min(sizes, key=sizes.get) == "8 4-bit weights"
    assert set(times) == {*models, "floor"}
    assert set(times["floor"]) == {"run b1", "run b32", "iobinding b1", "iobinding b32"}


def test_the_fast_experiment_reads_the_recipe_on_top_of_conf_base():
    params = _script().base_parameters("mnist_mlp_fast")
    assert params["quantize"]["mode"] == "storage" and params["quantize"]["per_channel"]
    assert params["distill"]["training"]["epochs"] == 100
    assert params["distill"]["training"]["scheduler"] == "cosine"   # conf/base's, kept
    assert params["prune"]["sparsity"] is None and params["prune"]["layer_ratios"]
    assert _script().base_parameters()["quantize"]["mode"] == "static"


def test_the_budgets_script_prunes_one_model_three_ways_and_measures_each_on_all_three(
        monkeypatch):
    import torch

    from prunegate.models import build_model

    monkeypatch.syspath_prepend(str(SCRIPT.parent))
    spec = importlib.util.spec_from_file_location("budgets", SCRIPT.parent / "budgets.py")
    budgets = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(budgets)
    torch.manual_seed(0)   # untrained: where each budget prunes, not how well it then does
    monkeypatch.setattr(budgets, "trained", lambda name, seed: (
        build_model(name), torch.zeros(1, 1, 28, 28)))
    rows = budgets.allocations("lenet_300_100", 0.3, 0)
    assert set(rows) == {"dense", "latency", "energy", "macs"}
    assert rows["energy"]["energy_uj"] <= 0.3 * rows["dense"]["energy_uj"]
    assert rows["macs"]["mac_energy_uj"] <= 0.3 * rows["dense"]["mac_energy_uj"]
    assert set(rows["latency"]["ratios"]) == {"features.1", "features.3"}
