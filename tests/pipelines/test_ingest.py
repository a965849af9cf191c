import numpy as np
import pytest

from prunegate.data import load_mnist_sample
from prunegate.errors import DataError
from prunegate.pipelines.ingest import create_pipeline
from prunegate.pipelines.ingest.nodes import load_raw_data, split_data

from .conftest import config, run_pipeline, typed


def test_split_data_node_rejects_mismatched_arrays():
    with pytest.raises(DataError):
        split_data({"x": np.zeros((10, 784), np.uint8), "y": np.zeros(9, np.int64)},
                   config("data"))


def test_ingest_pipeline_writes_three_disjoint_splits():
    out = run_pipeline(create_pipeline(), {"raw_input": load_mnist_sample(),
                                           **typed({"data": {"seed": 0}})})
    assert len(out["raw_data"]["y"]) == 5000
    assert out["train"]["shape"].tolist() == [1, 28, 28] and len(out["train"]["classes"]) == 10
    sizes = [len(out[s]["y"]) for s in ("train", "val", "test")]
    # each sample's split from its content: binomial around 70/10/20%
    assert sum(sizes) == 5000 and all(abs(n - 5000 * f) < 4 * (5000 * f * (1 - f)) ** 0.5
                                      for n, f in zip(sizes, (0.7, 0.1, 0.2), strict=True))
    train_rows = {row.tobytes() for row in out["train"]["x"]}
    assert not any(row.tobytes() in train_rows for row in out["test"]["x"])


def test_ingest_then_the_data_gate_pass_on_the_built_in_data():
    from pathlib import Path

    import yaml

    from prunegate.pipelines.validate_data import create_pipeline as data_gate

    suite = yaml.safe_load((Path(__file__).parents[2] / "conf/base/parameters_validate_data.yml")
                           .read_text())["validate_data"]
    out = run_pipeline(create_pipeline() + data_gate(),
                       {"raw_input": load_mnist_sample(),
                        **typed({"data": {"seed": 0}, "validate_data": suite})})
    report = out["data_validation"]
    assert report["success"] and set(report["splits"]) == {"train", "val", "test"}
    assert report["splits"]["train"]["rows"] == len(out["train"]["y"])


def test_the_synthetic_source_has_the_size_asked_for():
    synthetic = {"data": {"source": "synthetic", "samples": 2000}}
    out = run_pipeline(create_pipeline(), {"raw_input": {}, **typed(synthetic)})
    assert len(out["raw_data"]["y"]) == 2000 == len(
        load_raw_data({}, config("data", synthetic))["y"])
    sizes = [len(out[s]["y"]) for s in ("train", "val", "test")]
    assert sum(sizes) == 2000 and 300 < sizes[2] < 500
