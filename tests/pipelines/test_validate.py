import pytest

from prunegate.compression.export import export_onnx
from prunegate.errors import ConfigError
from prunegate.pipelines.validate import create_pipeline
from prunegate.pipelines.validate.nodes import gate

from .conftest import run_pipeline

STAGES = ("baseline", "pruned", "finetuned", "distilled", "quantized")


def test_gate_node_rejects_a_wrongly_typed_threshold():
    with pytest.raises(ConfigError, match="gates.max_size_ratio"):
        gate({"stages": {}, "candidate": "quantized", "baseline": "baseline"},
             {"max_size_ratio": "small"})


def test_validate_pipeline_measures_every_stage_and_gates(baseline, pruned, splits):
    onnx_model = export_onnx(baseline.model, (1, 28, 28))
    out = run_pipeline(create_pipeline(), {
        "baseline_onnx": onnx_model, "pruned_model": pruned, "finetuned_model": pruned,
        "distilled_onnx": onnx_model, "quantized_onnx": onnx_model, "test": splits[2],
        "params:validate": {"latency_repeats": 20, "latency_warmup": 2},
        "params:gates": {"max_size_ratio": 0.5, "max_latency_ratio": None}})
    stages = out["metrics"]["stages"]
    assert set(stages) == set(STAGES)
    for m in stages.values():
        assert {"accuracy", "f1_macro", "size_bytes", "size_compressed_bytes", "params",
                "nonzero_params", "latency_p50_ms", "latency_p95_ms"} <= set(m)
    assert stages["pruned"]["nonzero_params"] < 0.3 * stages["baseline"]["nonzero_params"]
    verdict = out["gate_verdict"]
    # the candidate is the dense model itself here: not 2x smaller, so the size check fails
    assert not verdict["passed"]
    assert [c["name"] for c in verdict["checks"] if not c["passed"]] == ["max_size_ratio"]
