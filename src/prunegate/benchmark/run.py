"""``make bench``: prunegate's recipes against the peers, on the same models, data and weights.

Per model and seed: the reference recipe trains the dense model; every peer starts from that
checkpoint with the same fine-tuning budget; every artifact (and the torch eager dense model, and
a trivial ONNX model as the runtime's floor) is then timed interleaved in one session set, so the
ratios come from one run on one machine state.
"""

import json
import logging
import math
import os
import platform
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime
import torch

from prunegate import progress
from prunegate.benchmark.floor import floor_model, torch_session
from prunegate.benchmark.peers import (
    PeerResult,
    nncf_ptq,
    torch_l1_unstructured,
    torch_pruning_matched_macs,
)
from prunegate.benchmark.recipes import run_recipe, scratch_project
from prunegate.data.arrays import read_npz
from prunegate.evaluation.latency import measure_interleaved
from prunegate.evaluation.metrics import predict_onnx
from prunegate.evaluation.noise import NoiseLimits, read_noise, verdict
from prunegate.evaluation.size import count_macs, onnx_size
from prunegate.evaluation.targets import TargetProfile
from prunegate.gate.sessions import batch_of
from prunegate.models import load_checkpoint
from prunegate.reporting.benchmark import markdown_table, pareto_plot, summarise
from prunegate.training.loop import TrainConfig

log = logging.getLogger(__name__)

MODELS = {  # model -> (reference recipe: its baseline and MACs are the peers' start and target,
            #           every recipe of that model)
    "lenet_300_100": ("mnist_mlp", ["mnist_mlp", "mnist_mlp_fast", "deep_compression",
                                    "prune_at_init", "latency_budget"]),
    "lenet5": ("mnist_lenet5", ["mnist_lenet5", "structured_kd"]),
}


@dataclass
class BenchConfig:
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2, 3, 4])
    models: dict[str, tuple[str, list[str]]] = field(default_factory=lambda: dict(MODELS))
    # the default recipes' budget: 10 fine-tune + 10 distillation epochs
    tuning_epochs: int = 20
    unstructured_sparsity: float = 0.95   # deep_compression's
    repeats: dict[int, int] = field(default_factory=lambda: {1: 500, 32: 100})
    recipe_params: dict[str, Any] = field(default_factory=dict)   # extra --params (quick mode)
    peers: bool = True
    # how every ONNX model (floor, dense, candidates) is called: run or iobinding
    call: str = "run"
    # calls per model in a row (the first dropped): 1 cold, n warm (latency.measure_interleaved)
    burst: int = 1
    # beyond these, the machine is too noisy and latest.* is not written (evaluation/noise.py)
    noise: NoiseLimits = field(default_factory=NoiseLimits)
    allow_noisy: bool = False   # publish anyway, marked NOISY (smoke tests on a busy machine)

    @classmethod
    def quick(cls) -> "BenchConfig":
        """A smoke test in about two minutes: one seed, one model, short training."""
        return cls(seeds=[0], models={"lenet_300_100": ("mnist_mlp", ["mnist_mlp"])},
                   tuning_epochs=2, repeats={1: 100, 32: 20},
                   recipe_params={"train.epochs": 3, "finetune.epochs": 1,
                                  "distill.training.epochs": 1, "validate.latency_repeats": 100,
                                  "validate.report_repeats": 20, "quantize.timing_repeats": 50})


def run_bench(root: Path, out: Path, config: BenchConfig) -> dict[str, Any]:
    """Run everything, write ``<date>.json``, ``latest.json``, ``latest.md`` and the Pareto PNG."""
    rows: list[dict[str, Any]] = []
    target = TargetProfile(call=config.call, burst=config.burst)  # 1 thread, batch 1 and 32
    readings = {"before": _noise(target)}
    with tempfile.TemporaryDirectory(prefix="prunegate-bench-") as tmp:
        jobs = [(m, s) for m in config.models for s in config.seeds]
        for model_name, seed in progress.bar(jobs, desc="bench", unit="model×seed"):
            project = scratch_project(root, Path(tmp) / f"{model_name}-{seed}")
            rows += _one(project, model_name, seed, config, target)
    readings["after"] = _noise(target)
    results = {"date": date.today().isoformat(), "machine": machine(), "config": {
        "seeds": config.seeds, "tuning_epochs": config.tuning_epochs,
        "unstructured_sparsity": config.unstructured_sparsity, "call": config.call,
        "burst": config.burst,
        "repeats": config.repeats, "quick": bool(config.recipe_params)},
        "noise": verdict(readings, config.noise), "runs": rows, "summary": summarise(rows)}
    publish(results, out, quick=bool(config.recipe_params), allow_noisy=config.allow_noisy)
    return results


def publish(results: dict[str, Any], out: Path, quick: bool = False,
            allow_noisy: bool = False) -> None:
    """``<date>.json``, ``latest.json``, ``latest.md`` and the Pareto PNG; for figures measured
    on a noisy machine only ``<date>-noisy.json``, and NoisyMachine (unless ``allow_noisy``:
    then everything, the table marked NOISY)."""
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(_json_safe(results), indent=2) + "\n"
    stem = f"{results['date']}{'-quick' if quick else ''}"
    if not results["noise"]["quiet"] and not allow_noisy:
        # kept for the record, never published: latest.* stays what a quiet machine measured
        (out / f"{stem}-noisy.json").write_text(text)
        raise NoisyMachine(results["noise"]["problems"], out / f"{stem}-noisy.json")
    (out / f"{stem}.json").write_text(text)
    (out / "latest.json").write_text(text)
    (out / "latest.md").write_text(markdown_table(results))
    pareto_plot(results["summary"]).savefig(out / "pareto.png", dpi=120)


class NoisyMachine(RuntimeError):
    def __init__(self, problems: list[str], path: Path):
        super().__init__(f"the machine was too noisy for these figures to mean anything "
                         f"({'; '.join(problems)}). Nothing was published; the measurements "
                         f"are in {path}. Re-run make bench on a quiet machine.")


def _noise(target: TargetProfile):
    """A reading on the dense LeNet-300-100 floor-sized model: the self-ratio of a trivial
    graph is what per-call overhead noise looks like, the regime the small models live in."""
    x = np.zeros((1, 1, 28, 28), np.float32)
    return read_noise(target.session, floor_model((1, 28, 28), 10).SerializeToString(), x,
                      call=target.call, burst=target.burst)


def _one(project: Path, model_name: str, seed: int, config: BenchConfig,
         target: TargetProfile) -> list[dict[str, Any]]:
    reference, recipes = config.models[model_name]
    seeds = {"train.seed": seed, "finetune.seed": seed, "distill.training.seed": seed,
             "prune.seed": seed, "mlflow.tracking_uri": f"sqlite:///{project}/mlflow.db"}
    artifacts: dict[str, tuple[onnx.ModelProto | None, dict[str, Any]]] = {}
    for recipe in recipes:
        folder, seconds, passed = run_recipe(project, recipe, {**seeds, **config.recipe_params})
        distilled = load_checkpoint(folder / "06_models" / "distilled.pt").model
        artifacts[f"prunegate:{recipe}"] = (
            onnx.load(folder / "06_models" / "model.int8.onnx"),
            {"seconds": seconds, "macs": count_macs(distilled, (1, 28, 28)),
             "gate_passed": passed})
        if recipe == reference:
            base_folder = folder
    data = {k: read_npz(base_folder / "05_model_input" / f"{k}.npz")
            for k in ("train", "val", "test")}
    dense = load_checkpoint(base_folder / "06_models" / "baseline.pt").model
    dense_onnx = onnx.load(base_folder / "06_models" / "baseline.onnx")
    dense_macs = count_macs(dense, (1, 28, 28))
    artifacts["dense fp32 (ONNX Runtime)"] = (dense_onnx, {"seconds": 0.0, "macs": dense_macs})
    if config.peers:
        tuning = TrainConfig(epochs=config.tuning_epochs, scheduler="cosine", seed=seed)
        target_macs = artifacts[f"prunegate:{reference}"][1]["macs"]
        peers: dict[str, PeerResult] = {
            "torch.nn.utils.prune L1 + ORT dynamic int8": torch_l1_unstructured(
                dense, config.unstructured_sparsity, data["train"], data["val"], tuning),
            "Torch-Pruning (matched MACs) + ORT static int8": torch_pruning_matched_macs(
                dense, target_macs, data["train"], data["val"], tuning),
            "NNCF PTQ int8": nncf_ptq(dense, data["train"]),
        }
        for name, peer in peers.items():
            macs = count_macs(peer.model, (1, 28, 28)) if peer.model is not None else (
                dense_macs if peer.onnx is not None else None)
            artifacts[name] = (peer.onnx, {"seconds": peer.seconds, "macs": macs,
                                           "note": peer.note})
    return _measure(artifacts, dense, data["test"], target, config, model_name, seed)


def _measure(artifacts, dense, test, target, config, model_name, seed) -> list[dict[str, Any]]:
    usable = {name: a for name, (a, _) in artifacts.items() if a is not None}
    sessions = {name: target.session(m.SerializeToString()) for name, m in usable.items()}
    sessions["ONNX Runtime floor (trivial model)"] = target.session(
        floor_model(tuple(test["x"].shape[1:]), 10).SerializeToString())
    latency = {size: measure_interleaved(sessions, batch_of(test["x"], size), repeats=repeats,
                                         call=target.call, burst=target.burst)
               for size, repeats in config.repeats.items()}
    # torch eager in rounds of its own: between ORT calls it evicted their caches and slowed
    # them; its ratios are to the dense ORT model timed beside it, with plain run()
    threads = torch.get_num_threads()
    try:
        eager = {"dense": sessions["dense fp32 (ONNX Runtime)"], "eager": torch_session(dense)}
        for size, repeats in config.repeats.items():
            timed = measure_interleaved(eager, batch_of(test["x"], size), repeats=repeats,
                                        burst=target.burst)
            latency[size]["dense fp32 (torch eager)"] = timed["eager"]
            latency[size]["dense fp32 (ONNX Runtime), beside torch"] = timed["dense"]
    finally:
        torch.set_num_threads(threads)
    sessions["dense fp32 (torch eager)"] = eager["eager"]
    rows = []
    dense_size = onnx_size(usable["dense fp32 (ONNX Runtime)"])
    for name in [*artifacts, "dense fp32 (torch eager)", "ONNX Runtime floor (trivial model)"]:
        extra = artifacts.get(name, (None, {}))[1]
        row: dict[str, Any] = {"model": model_name, "method": name, "seed": seed,
                               "compression_seconds": extra.get("seconds"),
                               "macs": extra.get("macs"), "note": extra.get("note", ""),
                               "gate_passed": extra.get("gate_passed")}
        if name in sessions:
            for size, stats in latency.items():
                row[f"p50_ms_b{size}"] = stats[name].p50_ms
                row[f"p95_ms_b{size}"] = stats[name].p95_ms
                if name == "dense fp32 (torch eager)":  # the dense ORT of its own rounds
                    row[f"dense_beside_p50_ms_b{size}"] = stats[
                        "dense fp32 (ONNX Runtime), beside torch"].p50_ms
        if name in usable:
            size = onnx_size(usable[name])
            raw = min(size["size_bytes"], size["size_sparse_bytes"])
            row.update(accuracy=float(np.mean(predict_onnx(sessions[name], test["x"])
                                              == test["y"])),
                       size_bytes=raw, size_compressed_bytes=size["size_compressed_bytes"],
                       size_ratio=raw / dense_size["size_bytes"],
                       size_compressed_ratio=size["size_compressed_bytes"]
                       / dense_size["size_compressed_bytes"],
                       params=size["params"], nonzero_params=size["nonzero_params"],
                       entropy_bytes=size["entropy_bytes"])
        elif name == "dense fp32 (torch eager)":
            row["accuracy"] = float(np.mean(predict_onnx(sessions[name], test["x"])
                                            == test["y"]))
        rows.append(row)
    return rows


def machine() -> dict[str, Any]:
    info = Path("/proc/cpuinfo")
    lines = info.read_text().splitlines() if info.exists() else []
    cpu = next((line.split(":", 1)[1].strip() for line in lines
                if line.startswith("model name")), platform.processor())
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "torch": torch.__version__, "onnxruntime": onnxruntime.__version__}


def _json_safe(value: Any) -> Any:
    """NaN (not measured) as null, so the file is strict JSON."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
