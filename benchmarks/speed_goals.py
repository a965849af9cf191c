"""Issue #25's speed goals on LeNet-300-100: how far the levers we have get, measured.

Three experiments, each timed interleaved in one process, on both call paths (`run`, `iobinding`):

    python benchmarks/speed_goals.py widths [--seeds 0,1,2,3,4]   # the chain at narrower widths
    python benchmarks/speed_goals.py forms                         # one width, four graph forms
    python benchmarks/speed_goals.py fast [--seeds 0,1,2,3,4]      # mnist_mlp_fast's settings

``widths`` runs the library's chain (prune to fixed layer widths, fine-tune, KD, int8 Gemm, as
the recipes do) per seed and reports accuracy drop, gzip size and latency ratios against the
dense model and the ONNX Runtime floor. ``forms`` builds untrained models of a few widths in the
graph forms that could ship: fp32, static int8 (QDQ), dynamic int8, and 4-bit weight-only
(ONNX Runtime's MatMulNBits), and times them beside the dense model and the floor. ``fast`` is
``widths`` with the recipe mnist_mlp_fast's settings on top of conf/base (100 distillation
epochs on shifted digits, int8 weight storage) at the recipe's widths and two narrower ones.
Figures and their date: docs/benchmarks.md#the-speed-goals.
"""

import argparse
import gzip
import json
import logging
import sys
from pathlib import Path

import numpy as np
import onnx
import torch

from prunegate.benchmark.floor import floor_model
from prunegate.evaluation.latency import make_session, measure_interleaved
from prunegate.models import build_model
from prunegate.onnx_io.export import export_onnx

ROOT = Path(__file__).resolve().parents[1]
log = logging.getLogger("prunegate.speed_goals")
CALLS = ("run", "iobinding")


def timed(models: dict[str, onnx.ModelProto], x: np.ndarray,
          repeats: dict[int, int]) -> dict[str, dict[str, float]]:
    """p50 µs per model, call path and batch size, the floor timed beside them."""
    sessions = {name: make_session(m.SerializeToString()) for name, m in models.items()}
    sessions["floor"] = make_session(floor_model(tuple(x.shape[1:]), 10).SerializeToString())
    out: dict[str, dict[str, float]] = {name: {} for name in sessions}
    for call in CALLS:
        for batch, n in repeats.items():
            for name, stats in measure_interleaved(sessions, x[:batch], repeats=n,
                                                   call=call).items():
                out[name][f"{call} b{batch}"] = stats.p50_ms * 1000
    return out


def graph_forms(widths: list[list[int]], repeats: dict[int, int] | None = None
                ) -> tuple[dict[str, onnx.ModelProto], dict[str, dict[str, float]]]:
    """Each width in each graph form (untrained: speed and size do not depend on the values)."""
    from onnxruntime.quantization.matmul_nbits_quantizer import (
        DefaultWeightOnlyQuantConfig,
        MatMulNBitsQuantizer,
    )

    from prunegate.compression.quantize import QuantizeConfig, quantize_dynamic, quantize_static
    from prunegate.onnx_io.graph import compact_names, gemm_to_matmul

    torch.manual_seed(0)
    x = np.random.default_rng(0).random((256, 1, 28, 28), dtype=np.float32)
    models = {"dense fp32": export_onnx(build_model("lenet_300_100"), (1, 28, 28))}
    for hidden in widths:
        tag = "-".join(map(str, hidden))
        fp32 = export_onnx(build_model("lenet_300_100", hidden=hidden), (1, 28, 28))
        models[f"{tag} fp32"] = fp32
        models[f"{tag} int8 QDQ"] = compact_names(quantize_static(fp32, x, ["Gemm"],
                                                                  QuantizeConfig()))
        models[f"{tag} int8 dynamic"] = compact_names(quantize_dynamic(
            fp32, ["Gemm"], QuantizeConfig(mode="dynamic")))
        nbits = MatMulNBitsQuantizer(gemm_to_matmul(fp32), algo_config=DefaultWeightOnlyQuantConfig(
            block_size=32, is_symmetric=True, bits=4))
        nbits.process()
        models[f"{tag} 4-bit weights"] = nbits.model.model
    return models, timed(models, x, repeats or {1: 4000, 32: 500})


def base_parameters(recipe: str | None = None) -> dict:
    """conf/base's stage settings, as the default recipe reads them; with ``recipe``, that
    recipe's prune, distill and quantize sections on top (one level deep, as Kedro merges)."""
    import yaml

    params: dict = {}
    for path in sorted((ROOT / "conf" / "base").glob("parameters_*.yml")):
        params.update(yaml.safe_load(path.read_text()))
    if recipe:
        own = yaml.safe_load((ROOT / "conf" / "recipes" / recipe / "parameters.yml").read_text())
        for section in ("prune", "distill", "quantize"):
            for key, value in (own.get(section) or {}).items():
                merged = params[section].get(key)
                params[section][key] = ({**merged, **value} if isinstance(merged, dict)
                                        and isinstance(value, dict) else value)
    return params


def chain_widths(seeds: list[int], ratios: dict[str, dict[str, float]],
                 recipe: str | None = None) -> list[dict]:
    """The chain (conf/base settings, or ``recipe``'s) pruned to each set of layer ratios,
    per seed."""
    from prunegate.compression.chain import chain_config, compress, export_checkpoint
    from prunegate.data import SplitConfig, load_mnist_sample, split_arrays
    from prunegate.evaluation.metrics import predict_onnx
    from prunegate.models import ModelConfig
    from prunegate.training.baseline import train_model
    from prunegate.training.loop import TrainConfig
    from prunegate.validators import from_dict

    params = base_parameters(recipe)
    split = {k: params["data"][k] for k in ("test_fraction", "val_fraction", "seed")}
    train, val, test = split_arrays(load_mnist_sample(), SplitConfig(**split))
    rows = []
    for seed in seeds:
        training = from_dict(TrainConfig, {**params["train"], "seed": seed}, "train")
        dense, _ = train_model(from_dict(ModelConfig, {"name": "lenet_300_100"}, "model"), train,
                               val, training)
        models = {"dense fp32": export_checkpoint(dense, val)}
        for name, layer_ratios in ratios.items():
            p = json.loads(json.dumps(params))
            p["prune"].update(sparsity=None, layer_ratios=layer_ratios, accuracy_budget=False,
                              seed=seed)
            for section in (p["finetune"], p["distill"]["training"], p["quantize"]):
                section["seed"] = seed
            models[name] = compress(dense, train, val, chain_config(p)).deployable
        times = timed(models, test["x"], {1: 3000, 32: 500})
        for name, model in models.items():
            session = make_session(model.SerializeToString())
            rows.append({"seed": seed, "model": name, **times[name],
                         "floor": times["floor"], "dense": times["dense fp32"],
                         "accuracy": float(np.mean(predict_onnx(session, test["x"]) == test["y"])),
                         "gzip_bytes": len(gzip.compress(model.SerializeToString(), 9))})
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("experiment", choices=("widths", "forms", "fast"))
    parser.add_argument("--seeds", default="0,1,2,3,4")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(1)
    if args.experiment == "forms":
        models, times = graph_forms([[24, 16], [24]])
        result = {name: {**times[name], "gzip_bytes": len(gzip.compress(
            m.SerializeToString(), 9))} for name, m in models.items()}
        result["floor"] = times["floor"]
    elif args.experiment == "fast":
        result = chain_widths([int(s) for s in args.seeds.split(",")], {
            "24-16": {"features.1": 0.92, "features.3": 0.84},
            "16-16": {"features.1": 0.9467, "features.3": 0.84},
            "24-8": {"features.1": 0.92, "features.3": 0.92}}, recipe="mnist_mlp_fast")
    else:
        result = chain_widths([int(s) for s in args.seeds.split(",")], {
            "90-30": {"features.1": 0.7, "features.3": 0.7},
            "32-16": {"features.1": 0.8934, "features.3": 0.84},
            "24-16": {"features.1": 0.92, "features.3": 0.84}})
    json.dump(result, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
