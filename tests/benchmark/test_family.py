"""The family peer: Torch-Pruning at the recipe's ratio, from the same dense model, beside the
recipe's artifacts, every row timed against dense in the same rounds."""

import numpy as np
import torch

from prunegate.benchmark.family import ROWS, compare, markdown, torch_pruning_at
from prunegate.evaluation.targets import TargetProfile
from prunegate.models import Checkpoint, ModelConfig
from prunegate.models.vit import Attention
from prunegate.onnx_io.export import export_onnx
from prunegate.training.loop import TrainConfig

SHAPE = (1, 28, 28)


def _split(n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    return {"x": rng.random((n, *SHAPE), dtype=np.float32), "y": rng.integers(0, 10, n)}


def test_torch_pruning_removes_whole_heads_at_the_ratio():
    torch.manual_seed(0)
    dense = ModelConfig(name="vit_mini").build(SHAPE, 10)
    train = _split(16, 0)
    peer, seconds = torch_pruning_at(dense, 0.5, 8, train, train, TrainConfig(epochs=1))
    assert [m.num_heads for m in peer.modules() if isinstance(m, Attention)] == [2] * 4
    assert sum(p.numel() for p in peer.parameters()) < 0.6 * sum(
        p.numel() for p in dense.parameters())
    assert peer.classifier.out_features == 10 and seconds > 0
    assert peer(torch.from_numpy(train["x"][:2])).shape == (2, 10)


def test_every_row_is_measured_against_dense():
    torch.manual_seed(0)
    dense = ModelConfig(name="vit_mini", kwargs={"depth": 1}).build(SHAPE, 10)
    train, test = _split(16, 0), _split(40, 1)
    fp32 = export_onnx(dense, SHAPE)
    artifacts = {"train": train, "val": train, "test": test,
                 "baseline_model": Checkpoint(dense), "distilled_model": Checkpoint(dense),
                 "baseline_onnx": fp32, "distilled_onnx": fp32, "quantized_onnx": fp32}
    result = compare(artifacts, 0.5, None, TrainConfig(epochs=1), TargetProfile(), repeats=20)
    assert list(result["rows"]) == list(ROWS)
    dense_row, peer_row = result["rows"]["dense"], result["rows"]["Torch-Pruning fp32"]
    assert dense_row["p50_b1_ratio"] == 1.0 and peer_row["params"] < dense_row["params"]
    assert peer_row["macs"] < dense_row["macs"] and 0 <= peer_row["accuracy"] <= 1
    assert "| Torch-Pruning fp32 |" in markdown("mnist_vit", result)
