"""Latency, energy and MAC budgets side by side: where each one prunes LeNet-300-100 and LeNet-5.

    python benchmarks/budgets.py [--ratio 0.3] [--seed 0]

Each model is trained with conf/base's settings, scored by magnitude, and pruned three ways to
``ratio`` of its dense cost: a latency budget (p50 at batch 1, measured in ONNX Runtime on
cpu-1t), an energy budget (modelled, weights from DRAM, Horowitz 2014 costs) and a MAC budget
(the energy model with the memory costs set to 0: multiply-adds only). Every pruned model is
then measured on all three. JSON on stdout; figures and their date: docs/energy.md.
"""

import argparse
import copy
import json
import logging
import sys

import torch

from prunegate.compression.prune import PruneConfig, prune_
from prunegate.evaluation.energy import EnergyCosts, energy_model
from prunegate.evaluation.latency import measure_interleaved
from prunegate.evaluation.size import count_macs
from prunegate.evaluation.targets import TargetProfile
from prunegate.onnx_io.export import export_onnx

log = logging.getLogger("prunegate.budgets")
MACS_ONLY = {"dram_byte_pj": 0.0, "sram_byte_pj": 0.0}


def trained(name: str, seed: int):
    from speed_goals import base_parameters

    from prunegate.data import SplitConfig, load_mnist_sample, split_arrays
    from prunegate.models import ModelConfig
    from prunegate.training.baseline import train_model
    from prunegate.training.loop import TrainConfig
    from prunegate.validators import from_dict

    params = base_parameters()
    split = {k: params["data"][k] for k in ("test_fraction", "val_fraction", "seed")}
    train, val, _ = split_arrays(load_mnist_sample(), SplitConfig(**split))
    config = from_dict(TrainConfig, {**params["train"], "seed": seed}, "train")
    model, _ = train_model(from_dict(ModelConfig, {"name": name}, "model"), train, val, config)
    return model.model, torch.from_numpy(train["x"][:1])


def allocations(name: str, ratio: float, seed: int) -> dict:
    dense, x = trained(name, seed)
    target = TargetProfile()
    shape = tuple(x.shape[1:])
    p50 = _p50({"dense": dense}, x, target)["dense"]
    budgets = {
        "latency": (PruneConfig(sparsity=None, scope="global", latency_budget_ms=ratio * p50),
                    target),
        "energy": (PruneConfig(sparsity=None, scope="global", energy_budget_ratio=ratio),
                   target),
        "macs": (PruneConfig(sparsity=None, scope="global", energy_budget_ratio=ratio),
                 TargetProfile(energy_costs=MACS_ONLY))}
    models, ratios = {"dense": dense}, {}
    for budget, (config, where) in budgets.items():
        model, details = copy.deepcopy(dense), {}
        prune_(model, config, x, None, details, where)
        models[budget], ratios[budget] = model, details["ratios"]
    latency = _p50(models, x, target)
    rows = {}
    for budget, model in models.items():
        graph = export_onnx(model, shape)
        rows[budget] = {
            "ratios": ratios.get(budget, {}),
            "p50_us": latency[budget] * 1000,
            "energy_uj": energy_model(graph)["uj_per_inference"],
            "macs": count_macs(model, shape),
            "mac_energy_uj": energy_model(graph, EnergyCosts(**MACS_ONLY))["uj_per_inference"]}
    return rows


def _p50(models, x, target) -> dict[str, float]:
    sessions = {k: target.session(export_onnx(m, tuple(x.shape[1:])).SerializeToString())
                for k, m in models.items()}
    return {k: s.p50_ms for k, s in measure_interleaved(sessions, x.numpy(),
                                                        repeats=3000).items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ratio", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(1)
    json.dump({name: allocations(name, args.ratio, args.seed)
               for name in ("lenet_300_100", "lenet5")}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
