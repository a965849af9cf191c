"""Gate audit: how often does the gate flake, and does it catch known regressions?

The passing candidate plays its own champion, and the gate compares against it with tight
champion-relative budgets. Then:
- the same candidate is gated ``runs`` times: every failure is a false alarm;
- known regressions are injected and each is gated ``runs`` times: every pass is a miss.
  - ``accuracy``: 1% of the test samples the candidate gets right are scored wrong. The flip is
    applied to the measured predictions, because an ONNX graph cannot know a sample's index.
  - ``latency``: the candidate's logits go through extra Softmax/Log layers until it is measured
    ≥25% slower here (the cost of one layer is measured first).
  - ``size``: an unused initializer of 10% of the file's bytes is added.
Each run re-measures latency from scratch, so the results include this machine's noise.
"""

import logging
from dataclasses import asdict, replace
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from prunegate.evaluation.latency import measure_interleaved
from prunegate.evaluation.targets import TargetProfile
from prunegate.gate.config import GateConfig
from prunegate.gate.measure import batch_of, measure_and_gate

log = logging.getLogger(__name__)

AUDIT_GATE = {  # against the champion, which is the candidate itself here
    "min_accuracy": None, "max_accuracy_drop_pp": None, "max_latency_p95_ms": None,
    "max_latency_ratio": None, "max_size_ratio": None,
    "checks": [
        {"name": "accuracy_vs_champion", "metric": "accuracy", "comparator": "<=",
         "threshold": 0.5, "basis": "relative_to_champion"},
        {"name": "latency_vs_champion", "metric": "latency_p95_ms", "comparator": "<=",
         "threshold": 1.15, "basis": "relative_to_champion"},
        {"name": "size_vs_champion", "metric": "size_bytes", "comparator": "<=",
         "threshold": 1.05, "basis": "relative_to_champion"},
    ]}


def slower(model: onnx.ModelProto, layers: int) -> onnx.ModelProto:
    """The same predictions after ``layers`` extra Softmax→Log pairs on the logits (argmax-safe:
    log-softmax is monotonic per row)."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    graph, last = out.graph, out.graph.output[0].name
    renamed = f"{last}_raw"
    for node in graph.node:
        node.output[:] = [renamed if o == last else o for o in node.output]
    current = renamed
    for i in range(layers):
        graph.node.extend([helper.make_node("Softmax", [current], [f"audit_s{i}"], axis=1),
                           helper.make_node("Log", [f"audit_s{i}"], [f"audit_l{i}"])])
        current = f"audit_l{i}"
    graph.node.append(helper.make_node("Identity", [current], [last]))
    return out


def bigger(model: onnx.ModelProto, fraction: float = 0.10) -> onnx.ModelProto:
    out = onnx.ModelProto()
    out.CopyFrom(model)
    extra = np.random.default_rng(0).integers(1, 255, int(model.ByteSize() * fraction),
                                              dtype=np.uint8)
    out.graph.initializer.append(numpy_helper.from_array(extra, "audit_padding"))
    return out


def calibrate_slower(model: onnx.ModelProto, x: np.ndarray, on: TargetProfile,
                     slowdown: float = 1.25) -> int:
    """Layers of Softmax→Log needed to make ``model`` ``slowdown``× slower on this target."""
    for layers in (1, 2, 4, 8, 16, 32, 64):
        sessions = {"a": on.session(model.SerializeToString()),
                    "b": on.session(slower(model, layers).SerializeToString())}
        timings = measure_interleaved(sessions, x, repeats=400, call=on.call)
        ratio = timings["b"].p50_ms / timings["a"].p50_ms
        if ratio >= slowdown + 0.05:  # a margin, so the regression is at least 25% in the audit
            log.info("latency injection: %d extra layers -> %.2fx", layers, ratio)
            return layers
    return 64


def run_gate_audit(candidate: onnx.ModelProto, baseline: onnx.ModelProto,
                   test: dict[str, np.ndarray], runs: int = 20, repeats: int = 3000,
                   target: TargetProfile | None = None) -> dict[str, Any]:
    """``{"same_candidate": {runs, false_failures, undecided, checks},
    "injected": {kind: {runs, caught, failed, undecided, checks}}}``, where ``checks`` counts
    each check's decisions over the runs; measured at the target's gate batch size (the only
    one the gate decides on)."""
    gate = GateConfig(**AUDIT_GATE)
    target = target or TargetProfile()
    target = replace(target, batch_sizes=[target.gate_batch])
    layers = calibrate_slower(candidate, batch_of(test["x"], target.gate_batch), target)
    variants = {"same_candidate": candidate, "accuracy": candidate,
                "latency": slower(candidate, layers), "size": bigger(candidate)}
    results: dict[str, Any] = {"same_candidate": {}, "injected": {},
                               "gate": AUDIT_GATE["checks"], "latency_layers": layers,
                               "target": asdict(target)}
    for kind, model in variants.items():
        outcomes = {"pass": 0, "fail": 0, "undecided": 0}
        checks: dict[str, dict[str, int]] = {}  # check name -> {decision: runs}
        for _ in range(runs):
            models = {"baseline": baseline, "champion": candidate, "quantized": model}
            evidence_hook = _flip_one_percent if kind == "accuracy" else None
            _, verdict, _ = measure_and_gate(models, test, gate, target, repeats=repeats,
                                             warmup=20, evidence_hook=evidence_hook)
            outcomes[verdict["outcome"]] += 1
            for row in verdict["checks"]:
                counts = checks.setdefault(row["name"], {})
                counts[row["decision"]] = counts.get(row["decision"], 0) + 1
        if kind == "same_candidate":  # an undecided verdict blocks a good model too: reported
            results["same_candidate"] = {"runs": runs, "false_failures": outcomes["fail"],
                                         "undecided": outcomes["undecided"],
                                         "checks": checks}
        else:  # caught: not passed, so not deployed (failed, or undecided)
            results["injected"][kind] = {"runs": runs, "caught": runs - outcomes["pass"],
                                         "failed": outcomes["fail"],
                                         "undecided": outcomes["undecided"], "checks": checks}
        log.info("audit %-14s %d/%d passed, %d failed, %d undecided", kind, outcomes["pass"],
                 runs, outcomes["fail"], outcomes["undecided"])
    return results


def _flip_one_percent(evidence: dict) -> None:
    correct = evidence["quantized"].correct
    right = np.flatnonzero(correct)
    flip = right[:max(1, round(0.01 * len(correct)))]
    correct[flip] = False
    evidence["quantized"].metrics["accuracy"] = float(correct.mean())
