"""Energy-aware pruning (Yang et al. 2017): per-layer ratios chosen to meet an energy budget.

The energy of a layer is not its share of the MACs: a fully connected layer's weights are read
once per inference from DRAM, and at 160 pJ per byte against 4.6 pJ per multiply-add that read
dominates (evaluation/energy.py), while a convolution reuses each weight across the image. So the
saving of each layer is evaluated on the target's own energy figures: a copy of the model with
only that layer pruned by r, against the dense model, for r = step, 2·step, … (measured on a
target that can read its counters, modelled from the ONNX graph elsewhere). A greedy allocation
then prunes where the energy saved per unit of lost importance is highest, and re-evaluates the
whole pruned model after each move (savings are not exactly additive) until it meets the budget
(allocation.py). The report records every move and the ratios that replay it.
"""

import copy
import logging
from dataclasses import dataclass

import torch
from torch import nn

from prunegate.compression.allocation import greedy, lost_importance, pruner
from prunegate.evaluation.energy import energy_per_inference
from prunegate.evaluation.targets import TargetProfile
from prunegate.onnx_io.export import export_onnx

log = logging.getLogger(__name__)


@dataclass
class EnergyBudget:
    budget_uj: float | None = None   # µJ per inference
    ratio: float | None = None       # or a fraction of the dense model's energy
    max_layer: float = 0.9
    step: float = 0.1


def allocate_for_energy_(model: nn.Module, scores: dict[str, torch.Tensor], skip: list[str],
                         example: torch.Tensor, budget: EnergyBudget,
                         target: TargetProfile) -> dict:
    """Prune ``model`` in place to meet ``budget`` (µJ per inference at batch 1)."""
    shape = tuple(example.shape[1:])
    x = example[:1].numpy()
    prune = pruner(scores, skip, example[:1])
    setup = target.energy_setup()

    def energy(models: dict[str, nn.Module]) -> dict[str, float]:
        onnx_models = {k: export_onnx(m, shape) for k, m in models.items()}
        sessions = ({k: target.session(m.SerializeToString()) for k, m in onnx_models.items()}
                    if setup.measures else {})
        return {k: v["energy_uj"] for k, v in
                energy_per_inference(onnx_models, sessions, x, setup).items()}

    def pruned(ratios: dict[str, float]) -> nn.Module:
        trial = copy.deepcopy(model)
        prune(trial, ratios)
        return trial

    dense_uj = energy({"dense": model})["dense"]
    goal = budget.budget_uj if budget.budget_uj is not None else budget.ratio * dense_uj
    table = _saving_table(model, list(scores), budget, energy, pruned, dense_uj)
    lost = {name: lost_importance(s, budget.step, budget.max_layer)
            for name, s in scores.items()}
    ratios, reached, steps = greedy(table, lost, dense_uj, goal,
                                    cost=lambda r: energy({"m": pruned(r)})["m"])
    prune(model, ratios)
    met = reached <= goal
    log.info("energy budget %.4g µJ (%s): ratios %s, %.4g µJ (dense %.4g µJ)", goal,
             "measured" if setup.measures else "modelled", ratios, reached, dense_uj)
    if not met:
        log.warning("energy budget %.4g µJ not reached: %.4g µJ with every layer at its limit",
                    goal, reached)
    return {"energy_budget_uj": goal, "met": met, "dense_uj": dense_uj, "energy_uj": reached,
            "energy": "measured" if setup.measures else "modelled",
            "ratios": ratios, "saving_table_uj": table, "steps": steps,
            # the settings that prune to this allocation again, without evaluating anything
            "pin": {"prune.energy_budget_uj": None, "prune.energy_budget_ratio": None,
                    "prune.layer_ratios": ratios}}


def _saving_table(model, names, budget, energy, pruned, dense_uj):
    """µJ saved by pruning each layer alone by each ratio, kept monotone in the ratio (a
    measured figure may wobble; a narrower layer never costs more energy)."""
    steps = [round(budget.step * k, 6) for k in range(1, int(budget.max_layer / budget.step
                                                               + 1e-9) + 1)]
    table = {}
    for name in names:
        figures = energy({str(r): pruned({name: r}) for r in steps})
        running, table[name] = 0.0, {0.0: 0.0}
        for r in steps:
            running = max(running, dense_uj - figures[str(r)])
            table[name][r] = running
    return table
