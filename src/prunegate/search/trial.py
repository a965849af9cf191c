"""One trial: the recipe's own chain with the trial's parameters, then the constraints.

A trial calls ``compression.chain.compress``, the same steps ``kedro run``'s stage nodes call one
by one, so a trial's model is exactly what the recipe would build with those parameters. It runs
wherever the executor puts it (this process, or a Ray worker), so it takes and returns plain
data and configs only.
"""

import logging
import os
import socket
import sys
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import onnx

from prunegate.compression.chain import ChainConfig, compress
from prunegate.evaluation.targets import TargetProfile
from prunegate.gate.config import GateConfig
from prunegate.gate.measure import measure_and_gate
from prunegate.models import Checkpoint

log = logging.getLogger(__name__)


@dataclass
class TrialJob:
    number: int
    chosen: dict[str, Any]          # the trial's point of the search space
    chain: ChainConfig              # the recipe's chain with ``chosen`` applied, parsed once
    constraints: GateConfig
    target: TargetProfile
    accuracy_floor: float           # below this minus the margin after fine-tuning: stop
    prune_margin_pp: float
    latency_repeats: int


@dataclass
class Inputs:
    """What every trial shares; a Ray search puts it in the object store once."""

    baseline: Checkpoint
    baseline_onnx: bytes
    train: dict[str, np.ndarray]
    val: dict[str, np.ndarray]


def run_trial(job: TrialJob, inputs: Inputs) -> dict[str, Any]:
    """prune → fine-tune → (stop if hopeless) → distill → quantize → measure on validation.

    Returns ``state`` complete or pruned (stopped early), where it ran, its figures and, when
    complete, the deployable ONNX bytes. (A combination no stage accepts never gets here: the
    study marks it invalid when it parses the trial's parameters.)"""
    from prunegate.training.loop import accuracy

    started = time.time()
    out: dict[str, Any] = {"number": job.number, "chosen": job.chosen, "where": where(),
                           "started": started}

    def keep_going(finetuned: Checkpoint) -> str | None:
        out["finetuned_val_accuracy"] = tuned = accuracy(finetuned.model, inputs.val)
        if tuned >= job.accuracy_floor - job.prune_margin_pp / 100.0:
            return None
        return (f"validation accuracy {tuned:.4f} after fine-tuning is more than "
                f"{job.prune_margin_pp:g} pp under the constraint's {job.accuracy_floor:.4f}")

    result = compress(inputs.baseline, inputs.train, inputs.val, job.chain, job.target,
                      keep_going)
    if result.stopped:
        return {**out, "state": "pruned", "ended": time.time(), "reason": result.stopped}
    deployable = result.deployable
    models = {"baseline": onnx.load_from_string(inputs.baseline_onnx), "candidate": deployable}
    # the trial is scored at the gate batch only: the other sizes are reported by the gate
    target = replace(job.target, batch_sizes=[job.target.gate_batch])
    metrics, verdict, _ = measure_and_gate(models, inputs.val, job.constraints, target,
                                           job.latency_repeats, warmup=20, report_repeats=10,
                                           candidate="candidate")
    stage = metrics["stages"]["candidate"]
    figures = {key: float(stage[key]) for key in (
        "accuracy", "latency_p95_ms", "latency_p50_ms", "size_bytes", "size_compressed_bytes",
        "accuracy_drop_pp", "latency_p95_ratio")}
    figures["size_ratio"] = stage["size_bytes"] / metrics["stages"]["baseline"]["size_bytes"]
    checks = on_point_values(verdict["checks"])
    return {**out, "state": "complete", "ended": time.time(), "figures": figures,
            "checks": checks, "feasible": all(c["passed"] for c in checks),
            "violations": violations(checks),
            "onnx": deployable.SerializeToString()}


def on_point_values(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The constraints decided on the measured values, not on their confidence intervals.

    On a validation split of a few hundred samples an accuracy interval is several points wide,
    so interval decisions would reject nearly every trial. The search ranks on point values; the
    release gate then decides the winner on the test split with intervals, like every gate."""
    decided = []
    for check in checks:
        if check["value"] is None:
            decided.append(check)
            continue
        met = (check["value"] <= check["threshold"] if check["comparator"] == "<="
               else check["value"] >= check["threshold"])
        decided.append({**check, "decision": "pass" if met else "fail", "passed": met})
    return decided


def violations(checks: list[dict[str, Any]]) -> dict[str, float]:
    """Per constraint, how far the trial is past its threshold, relative to the threshold
    (<= 0 is met): what Optuna's constrained sampler and the closest-miss ranking read."""
    amounts = {}
    for check in checks:
        if check["value"] is None:
            amounts[check["name"]] = 0.0
            continue
        over = (check["value"] - check["threshold"] if check["comparator"] == "<="
                else check["threshold"] - check["value"])
        scale = abs(check["threshold"]) or 1.0
        amounts[check["name"]] = over / scale
    return amounts


def where() -> dict[str, Any]:
    """The host, process and (on Ray) node a trial ran on."""
    place = {"host": socket.gethostname(), "pid": os.getpid()}
    ray = sys.modules.get("ray")  # a Ray worker has it imported; never import it just to ask
    if ray is not None and ray.is_initialized():
        context = ray.get_runtime_context()
        place |= {"ray_node": context.get_node_id(), "ray_worker": context.get_worker_id()}
    return place
