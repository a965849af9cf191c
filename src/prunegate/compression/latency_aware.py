"""Latency-aware pruning: per-layer ratios chosen to meet a latency budget measured in ONNX Runtime.

FLOPs and parameter counts predict latency badly on small models (a fixed per-call cost
dominates, and a 10% narrower GEMM is often no faster), so the saving of each layer is measured:
a copy of the model with only that layer pruned by r is exported and timed on the target against
the dense model, for r = step, 2·step, … This table says what each layer's width really costs
here. A greedy allocation then prunes, at each move, where the measured saving per unit of lost
importance (the criterion's scores of the neurons removed) is highest, until the predicted p50
meets the budget (allocation.py). Savings are not exactly additive, so the pruned model is
measured again; if it misses, the allocation is redone against a proportionally tighter
internal target (3 tries).

A saving the measurement cannot resolve (the 95% interval of the paired p50 ratio reaches 1) counts
as none, so noise cannot steer the allocation toward a layer whose width costs nothing measurable.
The allocation is a measured choice: the report carries the ``prune.layer_ratios`` that replay it
without timing anything.
"""

import copy
import logging
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from prunegate.compression.allocation import greedy, lost_importance, pruner
from prunegate.evaluation import bootstrap
from prunegate.evaluation.latency import LatencyStats, measure_interleaved
from prunegate.evaluation.targets import TargetProfile
from prunegate.onnx_io.export import export_onnx

log = logging.getLogger(__name__)

ATTEMPTS = 3


@dataclass
class Budget:
    budget_ms: float
    max_layer: float = 0.9
    step: float = 0.1
    repeats: int = 300


def allocate_for_latency_(model: nn.Module, scores: dict[str, torch.Tensor],
                          skip: list[str], example: torch.Tensor, budget: Budget,
                          target: TargetProfile) -> dict:
    """Prune ``model`` in place to meet ``budget`` (p50 at the target's gate batch)."""
    x = example[:1].repeat(target.gate_batch, *[1] * (example.dim() - 1)).numpy()
    shape = tuple(example.shape[1:])
    prune = pruner(scores, skip, example[:1])
    table, dense_ms = _saving_table(model, list(scores), budget, target, x, shape, prune)
    lost = {name: lost_importance(s, budget.step, budget.max_layer)
            for name, s in scores.items()}
    goal, attempts = budget.budget_ms, []
    for _ in range(ATTEMPTS):
        ratios, predicted, _ = greedy(table, lost, dense_ms, goal)
        trial = copy.deepcopy(model)
        prune(trial, ratios)
        measured = _p50(target, {"dense": model, "pruned": trial}, x, shape, budget.repeats)
        attempts.append({"internal_target_ms": goal, "ratios": ratios,
                         "predicted_p50_ms": predicted, "measured_p50_ms": measured["pruned"],
                         "dense_p50_ms": measured["dense"]})
        log.info("latency budget %.4f ms: ratios %s, predicted %.4f ms, measured %.4f ms "
                 "(dense %.4f ms)", budget.budget_ms, ratios, predicted, measured["pruned"],
                 measured["dense"])
        if measured["pruned"] <= budget.budget_ms or all(
                r >= budget.max_layer - 1e-9 for r in ratios.values()):
            break
        goal *= budget.budget_ms / measured["pruned"]
    best = attempts[-1]
    prune(model, best["ratios"])
    met = best["measured_p50_ms"] <= budget.budget_ms
    if not met:
        log.warning("latency budget %.4f ms not reached: %.4f ms measured with every layer "
                    "at its limit or after %d tries", budget.budget_ms, best["measured_p50_ms"],
                    ATTEMPTS)
    return {"budget_ms": budget.budget_ms, "met": met, "dense_p50_ms": dense_ms,
            "ratios": best["ratios"], "measured_p50_ms": best["measured_p50_ms"],
            "saving_table_ms": table, "attempts": attempts,
            # the settings that prune to this allocation again, without timing anything
            "pin": {"prune.latency_budget_ms": None, "prune.layer_ratios": best["ratios"]}}


def _saving_table(model, names, budget, target, x, shape, prune):
    """Measured p50 saving (ms) of pruning each layer alone by each ratio: monotone in r, and 0
    where the interval of the paired p50 ratio says the narrower layer may be no faster."""
    steps = [round(budget.step * k, 6) for k in range(1, int(budget.max_layer / budget.step
                                                               + 1e-9) + 1)]
    table: dict[str, dict[float, float]] = {}
    dense_runs = []
    for name in names:
        variants = {"dense": model}
        for r in steps:
            variant = copy.deepcopy(model)
            prune(variant, {name: r})
            variants[str(r)] = variant
        stats = _measure(target, variants, x, shape, budget.repeats)
        dense = stats["dense"]
        dense_runs.append(dense.p50_ms)
        running, table[name] = 0.0, {0.0: 0.0}
        for r in steps:  # noise must not make a narrower layer look slower
            _, high = bootstrap.paired_ratio_ci(np.asarray(dense.samples_ms),
                                                np.asarray(stats[str(r)].samples_ms), 50)
            resolved = dense.p50_ms - stats[str(r)].p50_ms if high < 1.0 else 0.0
            running = max(running, resolved)
            table[name][r] = running
    return table, float(np.median(dense_runs))


def _p50(target: TargetProfile, models: dict[str, nn.Module], x: np.ndarray, shape,
         repeats: int) -> dict[str, float]:
    return {k: s.p50_ms for k, s in _measure(target, models, x, shape, repeats).items()}


def _measure(target: TargetProfile, models: dict[str, nn.Module], x: np.ndarray, shape,
             repeats: int) -> dict[str, LatencyStats]:
    sessions = {k: target.session(export_onnx(m, shape).SerializeToString())
                for k, m in models.items()}
    return measure_interleaved(sessions, x, repeats=repeats, call=target.call,
                               burst=target.burst)
