"""The prune stage as a library call: prune a copy of the baseline, within an accuracy budget.

A recipe prunes to a target sparsity, but what that costs depends on the seed, the data and the
model. With ``prune.accuracy_budget`` the stage tries the target first and then ever lower
sparsities (``backoff_step`` apart, down to ``backoff_floor``), each fine-tuned exactly as the
fine-tune stage will fine-tune it (same settings and seed, so the same weights), and keeps the
*most compressed* one whose validation drop is within the budget: the gate's
``max_accuracy_drop_pp`` minus the margin the test split's one-sided bound needs (resolution.py).
The validation drop is a point estimate, the best guess of the test drop; on ~500 samples it
errs by about 0.6 pp, so it sometimes backs off a sound model. ``backoff_floor`` is therefore set
per recipe where the gate's size limit still holds: a back-off never trades an accuracy verdict
for a size failure. The paired lower bound is recorded beside each drop. Unlike Intel Neural
Compressor's accuracy-aware tuning, which stops at the first passing point from the least
compressed end, the search runs from the most compressed end down.

The fine-tuned model is measured, not the distilled one: distillation keeps the fine-tuned model
when it would lower validation accuracy (distill.keep_if_better), so it can only help.
"""

import copy
import logging
from dataclasses import asdict, replace
from typing import Any

import numpy as np
import torch

from prunegate.compression.prune import importance_batches, prune_, sparsity_report
from prunegate.compression.prune_config import PruneConfig
from prunegate.compression.schedules import finetune, first_step_sparsity
from prunegate.evaluation.bootstrap import paired_accuracy_drop_ci
from prunegate.evaluation.targets import TargetProfile
from prunegate.models import Checkpoint, fresh_copy
from prunegate.training.loop import TrainConfig, predict

log = logging.getLogger(__name__)
Split = dict[str, np.ndarray]


def prune_checkpoint(baseline: Checkpoint, train: Split, val: Split, config: PruneConfig,
                     target: TargetProfile | None = None) -> tuple[Checkpoint, dict[str, Any]]:
    """A pruned copy of the baseline, its masks, and a per-layer before/after report.

    Criteria read a sample of the training split; layer dropping measures accuracy on the
    validation split instead, since it compares whole networks. A latency budget is measured
    on ``target``."""
    model = fresh_copy(baseline.model, config.seed) if config.at_init else copy.deepcopy(
        baseline.model)
    before = sparsity_report(model)
    # iterative and gradual schedules prune the rest during fine-tuning
    first = replace(config, sparsity=first_step_sparsity(config))
    details: dict[str, Any] = {}
    dropping = config.granularity == "layers"
    batches = importance_batches(val if dropping else train, config, everything=dropping)
    masks = prune_(model, first, torch.from_numpy(train["x"][:1]), batches, details, target)
    after = sparsity_report(model)
    if "dropped" in details:  # the kept blocks were renumbered: report them by their old names
        after = {_original_name(n, details): v for n, v in after.items()}
    gone = {"shape": [0], "params": 0, "sparsity": 0.0}
    layers = {name: {"before": before[name], "after": after.get(name, gone)} for name in before}
    return Checkpoint(model, masks), {
        "config": asdict(config), "first_step_sparsity": first.sparsity, "layers": layers,
        **({"blocks": details} if "dropped" in details else {}),
        **({"latency": details} if "budget_ms" in details else {}),
        **({"energy": details} if "energy_budget_uj" in details else {}),
        # layers whose pruning broke the model they sit in, so kept whole (structured.py)
        **({"left_unpruned": details["left_unpruned"]} if "left_unpruned" in details else {})}


def prune_within_budget(baseline: Checkpoint, train: Split, val: Split, config: PruneConfig,
                        tuning: TrainConfig, max_drop_pp: float, confidence: float = 0.95,
                        quant_mode: str = "static", per_channel: bool = False,
                        target: TargetProfile | None = None) -> tuple[Checkpoint, dict[str, Any]]:
    """The most compressed of ``config``'s sparsity and the back-off ladder below it whose
    fine-tuned validation drop is at most ``max_drop_pp``; the least compressed one tried when
    none is (the gate then decides, and the report says so). ``confidence`` sets the recorded
    lower bound of each drop."""
    dense = predict(baseline.model, val["x"]) == val["y"]
    tried = []
    for sparsity in ladder(config):
        trial = replace(config, sparsity=sparsity)
        pruned, report = prune_checkpoint(baseline, train, val, trial, target)
        tuned, _ = finetune(pruned, train, val, tuning, trial, desc=f"budget {sparsity:.2f}",
                            quant_mode=quant_mode, per_channel=per_channel)
        correct = predict(tuned.model, val["x"]) == val["y"]
        drop = 100.0 * float(dense.mean() - correct.mean())
        lower = paired_accuracy_drop_ci(dense, correct, level=2 * confidence - 1)[0]
        tried.append({"sparsity": sparsity, "val_drop_pp": round(drop, 4),
                      "val_drop_lower_pp": round(lower, 4), "over": drop > max_drop_pp})
        log.info("accuracy budget: sparsity %.2f fine-tunes to a validation drop of %.2f pp "
                 "(lower bound %.2f pp; budget %.2f pp)", sparsity, drop, lower, max_drop_pp)
        if drop <= max_drop_pp:
            break
    met = not tried[-1]["over"]
    if not met:
        log.warning("accuracy budget %.2f pp not met down to sparsity %.2f: the gate decides",
                    max_drop_pp, tried[-1]["sparsity"])
    report["accuracy_budget"] = {
        "max_val_drop_pp": max_drop_pp, "dense_val_accuracy": float(dense.mean()),
        "confidence": confidence, "target_sparsity":
        config.sparsity, "chosen_sparsity": tried[-1]["sparsity"], "met": met, "tried": tried,
        # what replays the choice without the trials: the sparsity it settled on
        "pin": {"prune.sparsity": tried[-1]["sparsity"], "prune.accuracy_budget": False}}
    return pruned, report


def ladder(config: PruneConfig) -> list[float]:
    """The target sparsity, then ``backoff_step`` lower each time, down to ``backoff_floor``."""
    steps, sparsity = [], config.sparsity
    while sparsity >= config.backoff_floor - 1e-9:
        steps.append(round(sparsity, 6))
        sparsity -= config.backoff_step
    return steps or [config.sparsity]


def _original_name(name: str, dropped: dict) -> str:
    """``blocks.j.…`` after dropping → the name that block had before."""
    if not name.startswith("blocks."):
        return name
    kept = [i for i in range(dropped["blocks_before"]) if f"blocks.{i}" not in dropped["dropped"]]
    _, index, rest = name.split(".", 2)
    return f"blocks.{kept[int(index)]}.{rest}"
