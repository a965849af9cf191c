import numpy as np
import pytest

from prunegate.compression.prune import PruneConfig, prune_
from prunegate.errors import DataError
from prunegate.evaluation.latency import make_session, measure_interleaved
from prunegate.evaluation.metrics import classification_metrics
from prunegate.evaluation.size import onnx_size
from prunegate.evaluation.targets import TargetProfile
from prunegate.gate.measure import measure_models
from prunegate.models import build_model
from prunegate.onnx_io.export import export_onnx


def test_onnx_size_counts_params_and_nonzeros_from_the_artifact():
    import torch
    model = build_model("lenet_300_100")
    dense = onnx_size(export_onnx(model, (1, 28, 28)))
    assert dense["params"] == dense["nonzero_params"] == 266_610
    assert dense["size_bytes"] > 266_610 * 4
    prune_(model, PruneConfig(granularity="weights", sparsity=0.9, scope="global"),
           torch.zeros(1, 1, 28, 28))
    sparse = onnx_size(export_onnx(model, (1, 28, 28)))
    pruned_weights = round(0.9 * (784 * 300 + 300 * 100))
    assert sparse["nonzero_params"] == 266_610 - pruned_weights
    # zeros do not shrink the raw file, only the compressed one
    assert sparse["size_bytes"] == dense["size_bytes"]
    assert sparse["size_compressed_bytes"] < 0.3 * dense["size_compressed_bytes"]


def test_the_entropy_bound_is_the_zero_order_entropy_of_the_weights():
    from prunegate.evaluation.size import entropy_bound_bits

    # 3 of one value, 1 of another: H = -(3/4 log2 3/4 + 1/4 log2 1/4) = 0.8113 bits a value
    assert entropy_bound_bits(np.array([5, 5, 5, -2], np.int8)) == pytest.approx(4 * 0.811278)
    assert entropy_bound_bits(np.zeros(100, np.int8)) == 0.0
    assert entropy_bound_bits(np.arange(256, dtype=np.float32)) == pytest.approx(256 * 8)
    # the dense fp32 LeNet: nearly every weight distinct, so ~log2(n) bits a weight, and the
    # file (4 bytes a weight) is above the bound
    size = onnx_size(export_onnx(build_model("lenet_300_100"), (1, 28, 28)))
    assert 0.4 * size["size_bytes"] < size["entropy_bytes"] < size["size_bytes"]


def test_metrics_match_sklearn_definitions():
    y = np.array([0, 0, 1, 1, 2, 2])
    p = np.array([0, 1, 1, 1, 2, 0])
    m = classification_metrics(y, p)
    assert m["accuracy"] == pytest.approx(4 / 6)
    # per-class F1: 0.5, 0.8, 0.6667 -> macro 0.6556
    assert m["f1_macro"] == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    assert m["per_class"]["recall"] == pytest.approx([0.5, 1.0, 0.5])
    assert m["min_class_recall"] == pytest.approx(0.5)
    assert m["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    # with the data's class names, per-class scores say which class they are about
    named = classification_metrics(y, p, [0, 1, 2], ["benign", "malignant", "unsure"])
    assert named["per_class"]["names"] == ["benign", "malignant", "unsure"]
    assert "names" not in m["per_class"]


def test_interleaved_latency_orders_a_big_and_a_small_model():
    big = make_session(export_onnx(build_model("lenet_300_100", hidden=[2000, 1000]),
                                   (1, 28, 28)).SerializeToString())
    small = make_session(export_onnx(build_model("lenet_300_100", hidden=[20, 10]),
                                     (1, 28, 28)).SerializeToString())
    stats = measure_interleaved({"big": big, "small": small},
                                np.zeros((1, 1, 28, 28), np.float32), warmup=5, repeats=50)
    assert len(stats["big"].samples_ms) == 50
    assert stats["small"].p50_ms < stats["big"].p50_ms
    assert stats["big"].p50_ms <= stats["big"].p95_ms


def test_measure_models_rejects_empty_or_mismatched_test_data(splits):
    model = export_onnx(build_model("lenet_300_100"), (1, 28, 28))
    on = TargetProfile()
    empty = {"x": np.zeros((0, 1, 28, 28), np.float32), "y": np.zeros(0, np.int64)}
    with pytest.raises(DataError, match="non-empty"):
        measure_models({"m": model}, empty, on)
    small = {"x": np.zeros((5, 1, 14, 14), np.float32), "y": np.zeros(5, np.int64)}
    with pytest.raises(DataError, match="do not match"):
        measure_models({"m": model}, small, on)
    bad = splits[2]["x"][:5].copy()
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(DataError, match="NaN"):
        measure_models({"m": model}, {"x": bad, "y": splits[2]["y"][:5]}, on)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_classification_metrics_agree_with_scikit_learn(seed):
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    from prunegate.evaluation.metrics import classification_metrics

    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 5, 300)
    y_pred = np.where(rng.random(300) < 0.6, y_true, rng.integers(0, 6, 300))
    y_pred[y_pred == 3] = 4          # class 3 never predicted: zero division
    labels = [0, 1, 2, 3, 4]
    ours = classification_metrics(y_true, y_pred, labels)
    assert ours["accuracy"] == pytest.approx(float(np.mean(y_true == y_pred)))
    for average in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=labels,
                                                     average=average, zero_division=0)
        assert ours[f"precision_{average}"] == pytest.approx(p)
        assert ours[f"recall_{average}"] == pytest.approx(r)
        assert ours[f"f1_{average}"] == pytest.approx(f)
    p, r, f, support = precision_recall_fscore_support(y_true, y_pred, labels=labels,
                                                       zero_division=0)
    assert ours["per_class"]["recall"] == pytest.approx(r.tolist())
    assert ours["per_class"]["f1"] == pytest.approx(f.tolist())
    assert ours["per_class"]["support"] == support.tolist()
    assert ours["min_class_recall"] == pytest.approx(r.min())
    assert ours["confusion_matrix"] == confusion_matrix(y_true, y_pred, labels=labels).tolist()
