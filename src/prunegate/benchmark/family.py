"""A family recipe's artifacts beside Torch-Pruning at the same pruning ratio.

Torch-Pruning is used as its examples show: ``MetaPruner`` with L2 ``MagnitudeImportance``,
the classifier ignored, attention heads passed as ``num_heads`` with ``prune_num_heads``
(its ViT/BERT examples), the recipe's ``round_to``. It starts from the recipe's own dense
checkpoint, prunes at the ratio the recipe ended at (after its accuracy budget), and gets the
same fine-tuning (our loop: the same optimiser, epochs and data order). It has no
distillation and no quantization, so its fp32 file is set beside prunegate's fp32 stage
(distilled) as well as beside the deployable. Everything is timed interleaved in one process.
"""

import copy
import logging
import time
from typing import Any

import numpy as np
import torch
import torch_pruning as tp

from prunegate.compression.heads import attention_heads, sync_heads_
from prunegate.evaluation.latency import measure_interleaved
from prunegate.evaluation.metrics import predict_onnx
from prunegate.evaluation.size import count_macs, onnx_size
from prunegate.evaluation.targets import TargetProfile
from prunegate.gate.sessions import batch_of
from prunegate.onnx_io.export import export_onnx
from prunegate.onnx_io.inputs import example_input
from prunegate.training.loop import TrainConfig, fit

log = logging.getLogger(__name__)

ROWS = ("dense", "prunegate fp32 (distilled)", "prunegate deployable", "Torch-Pruning fp32")


def torch_pruning_at(dense: torch.nn.Module, ratio: float, round_to: int | None,
                     train: dict, val: dict, tuning: TrainConfig) -> tuple[torch.nn.Module, float]:
    """Torch-Pruning's structured pruning at ``ratio``, fine-tuned; (model, wall seconds)."""
    start = time.perf_counter()
    model = copy.deepcopy(dense).eval()
    shape = tuple(train["x"].shape[1:])
    heads = attention_heads(model)
    pruner = tp.pruner.MetaPruner(
        model, example_input(model, shape), importance=tp.importance.MagnitudeImportance(p=2),
        pruning_ratio=ratio, ignored_layers=[_head(model)], round_to=round_to,
        num_heads=dict(heads), prune_num_heads=bool(heads), prune_head_dims=False,
        head_pruning_ratio=ratio, out_channel_groups={})
    pruner.step()
    sync_heads_(model, pruner.num_heads)
    fit(model, train, val, tuning, desc="torch-pruning")
    return model, time.perf_counter() - start


def _head(model: torch.nn.Module) -> torch.nn.Module:
    classifier = getattr(model, "classifier", None)
    return classifier if classifier is not None else [
        m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1]


def compare(artifacts: dict[str, Any], ratio: float, round_to: int | None,
            tuning: TrainConfig, target: TargetProfile, repeats: int = 1000) -> dict[str, Any]:
    """Per row of ROWS: params, MACs, accuracy, size and p50/p95 at batch 1 and 32, each
    ratio to dense from the same interleaved rounds. ``artifacts``: a recipe run's catalog
    entries train, val, test, baseline_model, distilled_model, baseline_onnx, distilled_onnx
    and quantized_onnx."""
    train, val, test = (artifacts[s] for s in ("train", "val", "test"))
    shape = tuple(test["x"].shape[1:])
    dense, distilled = artifacts["baseline_model"].model, artifacts["distilled_model"].model
    peer, seconds = torch_pruning_at(dense, ratio, round_to, train, val, tuning)
    torch_models = dict(zip(ROWS, (dense, distilled, None, peer), strict=True))
    files = dict(zip(ROWS, (artifacts["baseline_onnx"], artifacts["distilled_onnx"],
                            artifacts["quantized_onnx"], export_onnx(peer, shape)), strict=True))
    sessions = {name: target.session(m.SerializeToString()) for name, m in files.items()}
    timed = {size: measure_interleaved(sessions, batch_of(test["x"], size),
                                       repeats=repeats if size == 1 else repeats // 5,
                                       call=target.call)
             for size in (1, 32)}
    rows = {}
    for name, model in files.items():
        torch_model = torch_models[name]
        rows[name] = {
            "params": onnx_size(model)["params"],
            "macs": count_macs(torch_model, shape) if torch_model is not None else None,
            "accuracy": float(np.mean(predict_onnx(sessions[name], test["x"]) == test["y"])),
            "size_bytes": model.ByteSize(),
            **{f"p{q}_b{size}_ratio": getattr(timed[size][name], f"p{q}_ms")
               / getattr(timed[size]["dense"], f"p{q}_ms")
               for size in (1, 32) for q in (50, 95)}}
    log.info("Torch-Pruning at ratio %.2f: %.1f s (pruning and fine-tuning)", ratio, seconds)
    return {"ratio": ratio, "round_to": round_to, "finetune_epochs": tuning.epochs,
            "torch_pruning_seconds": seconds, "rows": rows}


def markdown(recipe: str, result: dict[str, Any]) -> str:
    dense = result["rows"]["dense"]
    lines = [f"### {recipe}: Torch-Pruning at ratio {result['ratio']:.2f} "
             f"(round_to {result['round_to']}, {result['finetune_epochs']} fine-tune epochs)",
             "", "| | params | MACs | accuracy | size | p50 / p95 b1 | p50 / p95 b32 |",
             "|---|---|---|---|---|---|---|"]
    for name, row in result["rows"].items():
        macs = f"{row['macs'] / 1e6:.2f}M" if row["macs"] else "—"
        lines.append(f"| {name} | {row['params']:,} | {macs} | {row['accuracy']:.3f} | "
                     f"{row['size_bytes'] / dense['size_bytes']:.3f}× | "
                     f"{row['p50_b1_ratio']:.2f}× / {row['p95_b1_ratio']:.2f}× | "
                     f"{row['p50_b32_ratio']:.2f}× / {row['p95_b32_ratio']:.2f}× |")
    return "\n".join(lines)
