import pytest

from prunegate.compression.export import export_onnx
from prunegate.errors import ConfigError
from prunegate.pipelines.validate import create_pipeline
from prunegate.pipelines.validate.nodes import measure_and_gate_stages

from .conftest import run_pipeline

STAGES = ("baseline", "pruned", "finetuned", "distilled", "quantized")
FAST = {"latency_repeats": 60, "latency_warmup": 2}


def test_node_rejects_a_wrongly_typed_threshold_before_measuring(baseline, pruned, splits):
    with pytest.raises(ConfigError, match="gates.max_size_ratio"):
        measure_and_gate_stages(None, baseline, pruned, pruned, pruned, None, None, None,
                                splits[2], FAST, {"max_size_ratio": "small"})


def test_validate_pipeline_measures_every_stage_and_gates(baseline, pruned, splits):
    onnx_model = export_onnx(baseline.model, (1, 28, 28))
    inputs = {"baseline_onnx": onnx_model, "baseline_model": baseline, "pruned_model": pruned,
              "finetuned_model": pruned, "distilled_model": baseline,
              "distilled_onnx": onnx_model, "quantized_onnx": onnx_model, "champion_onnx": None,
              "test": splits[2], "params:validate": FAST,
              "prune_report": {"method": "unstructured", "sparsity": 0.8, "layers": {
                  "fc": {"before": {"params": 100, "sparsity": 0.0},
                         "after": {"params": 100, "sparsity": 0.8}}}},
              "params:gates": {"max_size_ratio": 0.5, "max_latency_ratio": None}}
    out = run_pipeline(create_pipeline(), inputs)
    stages = out["metrics"]["stages"]
    assert set(stages) == set(STAGES)
    for m in stages.values():
        assert {"accuracy", "f1_macro", "f1_weighted", "precision_macro", "recall_weighted",
                "min_class_recall", "confusion_matrix", "per_class", "size_bytes",
                "size_compressed_bytes", "params", "nonzero_params", "macs", "latency_p50_ms",
                "latency_p95_ms", "latency_p99_ms", "accuracy_ci", "accuracy_drop_pp_ci"} <= set(m)
        assert sum(map(sum, m["confusion_matrix"])) == len(splits[2]["y"])
    assert stages["pruned"]["nonzero_params"] < 0.3 * stages["baseline"]["nonzero_params"]
    # 784·300 + 300·100 + 100·10 multiply-adds, plus 410 bias adds and 400 ReLUs, as
    # Torch-Pruning counts them
    assert stages["baseline"]["macs"] == 267_010
    verdict = out["gate_verdict"]
    # the candidate is the dense model itself here: not 2x smaller, so the size check fails
    assert not verdict["passed"] and verdict["champion"] is None
    assert [c["name"] for c in verdict["checks"] if not c["passed"]] == ["max_size_ratio"]

    # with a champion, it is re-measured in the same run and named in the verdict
    assert out["gate_summary"].startswith("## prunegate gate: ❌ **FAIL**")
    assert "`max_size_ratio`" in out["gate_summary"]
    assert out["report_html"].count("<img src=\"data:image/png;base64,") == 4

    champion_run = run_pipeline(create_pipeline(), {**inputs, "champion_onnx": onnx_model})
    assert "champion" in champion_run["metrics"]["stages"]
    assert champion_run["gate_verdict"]["champion"] == "champion"
