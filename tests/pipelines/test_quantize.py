import pytest

from prunegate.errors import ConfigError
from prunegate.pipelines.quantize import create_pipeline
from prunegate.pipelines.quantize.nodes import quantize_model

from .conftest import config, run_pipeline, typed


def test_qat_style_op_types_are_refused_before_the_node_runs():
    with pytest.raises(ConfigError, match="op_types"):
        typed({"quantize": {"op_types": ["FakeQuant"]}})


def test_quantize_pipeline_exports_and_quantizes(baseline, splits):
    out = run_pipeline(create_pipeline(), {
        "baseline_model": baseline, "distilled_model": baseline, "test": splits[2],
        "train": splits[0], "val": splits[1],
        **typed({"quantize": {"op_types": ["Gemm"], "timing_repeats": 20,
                              "calibration_samples": 64}})})
    assert out["quantized_onnx"].ByteSize() < 0.3 * out["baseline_onnx"].ByteSize()
    assert out["quantize_report"]["chosen"] == "int8:Gemm"


def test_qat_mode_fine_tunes_under_fake_int8_before_quantizing(baseline, splits):
    deployable, report = quantize_model(None, baseline, splits[0], splits[1], config("chain", {
        "quantize": {"mode": "qat", "qat_epochs": 1, "op_types": ["Gemm"],
                     "timing_repeats": 20, "calibration_samples": 64}}))
    assert len(report["qat_history"]["val_accuracy"]) == 1
    assert report["chosen"] == "int8:Gemm"
    assert any(n.op_type == "QuantizeLinear" for n in deployable.graph.node)
