import numpy as np
import torch

from prunegate.compression.prune import PruneConfig, prune_
from prunegate.compression.quantize import QuantizeConfig, quantize_measured
from prunegate.evaluation.latency import make_session
from prunegate.evaluation.size import onnx_size
from prunegate.models import build_model
from prunegate.onnx_io.export import export_onnx
from prunegate.onnx_io.sparse_encoding import sparse_encode


def sparse_mlp(sparsity: float):
    model = build_model("lenet_300_100")
    prune_(model, PruneConfig(granularity="weights", sparsity=sparsity, scope="global"),
           torch.zeros(1, 1, 28, 28))
    return export_onnx(model, (1, 28, 28))


def test_sparse_encoding_is_smaller_and_runs_unchanged_in_onnx_runtime():
    dense = sparse_mlp(0.95)
    encoded = sparse_encode(dense)
    assert encoded is not None
    # global ranking left fc1 at <1% density; fc2 kept more than the 1/3 break-even: stays dense
    assert [t.values.name for t in encoded.graph.sparse_initializer] == ["features.1.weight"]
    assert encoded.ByteSize() < 0.2 * dense.ByteSize()
    x = np.random.default_rng(0).random((8, 1, 28, 28), dtype=np.float32)
    a = make_session(dense.SerializeToString()).run(None, {"input": x})[0]
    b = make_session(encoded.SerializeToString()).run(None, {"input": x})[0]
    assert np.array_equal(a, b)
    size = onnx_size(dense)
    assert size["size_sparse_bytes"] == encoded.ByteSize() < size["size_bytes"]


def test_it_is_offered_only_when_smaller():
    dense = sparse_mlp(0.5)                 # fp32 pays off only below 1/3 density
    assert sparse_encode(dense) is None
    assert onnx_size(dense)["size_sparse_bytes"] == onnx_size(dense)["size_bytes"]


def test_quantize_can_deploy_the_sparse_file(splits):
    fp32 = sparse_mlp(0.95)
    model, report = quantize_measured(fp32, splits[0]["x"][:64], QuantizeConfig(
        op_types=["Gemm"], calibration_samples=64, timing_repeats=20, sparse_encoding=True))
    assert report["sparse_encoding"]["used"] is True
    assert len(model.graph.sparse_initializer) > 0
    assert model.ByteSize() == report["sparse_encoding"]["sparse_bytes"] < \
        report["sparse_encoding"]["dense_bytes"]


def test_sizes_count_the_parameters_of_sparse_initializers_too():
    dense = sparse_mlp(0.95)
    before, after = onnx_size(dense), onnx_size(sparse_encode(dense))
    assert after["params"] == before["params"] == 266_610
    assert after["nonzero_params"] == before["nonzero_params"]
