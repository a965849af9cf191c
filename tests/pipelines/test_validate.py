import numpy as np
import pytest

from prunegate.errors import ConfigError
from prunegate.onnx_io.export import export_onnx
from prunegate.pipelines.validate import create_pipeline

from .conftest import TINY_TRAIN, run_pipeline, typed

STAGES = ("baseline", "pruned", "finetuned", "distilled", "quantized")
FAST = {"latency_repeats": 60, "latency_warmup": 2, "report_repeats": 20, "target": "t"}
TARGETS = {"t": {"intra_op_threads": 1, "batch_sizes": [1, 32]}}
OFF = {"k": 0}


def test_a_wrongly_typed_threshold_is_refused_before_anything_is_measured():
    with pytest.raises(ConfigError, match="gates.max_size_ratio"):
        typed({"gates": {"max_size_ratio": "small"}})


def test_an_unknown_target_is_refused_with_the_known_ones():
    with pytest.raises(ConfigError, match="unknown validate.target 'gpu'.*Choose one of: t"):
        typed({"validate": {**FAST, "target": "gpu"}, "targets": TARGETS})

QUANTIZE_REPORT = {"measured": True, "chosen": "fp32", "rule": "the smallest within the noise",
                   "pin": {"quantize.op_types": []}}


def test_validate_pipeline_measures_every_stage_and_gates(baseline, pruned, splits):
    onnx_model = export_onnx(baseline.model, (1, 28, 28))
    inputs = {"baseline_onnx": onnx_model, "baseline_model": baseline, "pruned_model": pruned,
              "finetuned_model": pruned, "distilled_model": baseline,
              "distilled_onnx": onnx_model, "quantized_onnx": onnx_model, "champion_onnx": None,
              "champion_split": None,
              "test": splits[2], "train": splits[0], **typed({
                  "validate": FAST, "targets": TARGETS, "finetune": TINY_TRAIN,
                  "distill": {"training": TINY_TRAIN},
                  "gates": {"max_size_ratio": 0.5, "max_latency_ratio": None}}),
              "prune_report": {"config": {"granularity": "weights", "sparsity": 0.8}, "layers": {
                  "fc": {"before": {"params": 100, "sparsity": 0.0},
                         "after": {"params": 100, "sparsity": 0.8}}}},
              "quantize_report": QUANTIZE_REPORT}
    out = run_pipeline(create_pipeline(), inputs)
    stages = out["metrics"]["stages"]
    assert set(stages) == set(STAGES)
    for m in stages.values():
        assert {"accuracy", "f1_macro", "f1_weighted", "precision_macro", "recall_weighted",
                "min_class_recall", "confusion_matrix", "per_class", "size_bytes",
                "size_compressed_bytes", "params", "nonzero_params", "macs", "latency_p50_ms",
                "latency_p95_ms", "latency_p99_ms", "accuracy_ci", "accuracy_drop_pp_ci"} <= set(m)
        assert sum(map(sum, m["confusion_matrix"])) == len(splits[2]["y"])
        # every batch size of the target profile, each with its own rounds and ratio
        assert set(m["latency_by_batch"]) == {"1", "32"}
        assert m["latency_by_batch"]["1"]["rounds"] == 60
        assert m["latency_by_batch"]["32"]["rounds"] == 20
        assert m["latency_by_batch"]["1"]["p95_ms"] == m["latency_p95_ms"]
        b32 = m["latency_by_batch"]["32"]
        assert b32["throughput_per_s"] == pytest.approx(32_000 / b32["mean_ms"])
        assert b32["p50_ms"] <= b32["p95_ms"] <= b32["p99_ms"]
    # a batch of 32 costs the dense MLP more than a batch of 1
    dense = stages["baseline"]["latency_by_batch"]
    assert dense["32"]["p50_ms"] > dense["1"]["p50_ms"]
    assert dense["1"]["p95_ratio"] == 1.0
    assert out["metrics"]["target"]["name"] == "t"
    assert out["kfold_report"] == {"k": 0, "note": "off (validate.kfold: 0)"}
    assert stages["pruned"]["nonzero_params"] < 0.3 * stages["baseline"]["nonzero_params"]
    # 784·300 + 300·100 + 100·10 multiply-adds, plus 410 bias adds and 400 ReLUs, as
    # Torch-Pruning counts them
    assert stages["baseline"]["macs"] == 267_010
    # energy, calibration and the perturbed copies, for every stage, and where they came from
    for m in stages.values():
        assert m["energy_uj"] > 0 and m["energy_source"].startswith("modelled")
        assert 0 <= m["ece"] < 1 and 0 <= m["robust_accuracy"] <= 1
        assert set(m["robustness"]) == {"gaussian_noise:0.1", "brightness:0.1", "contrast:0.7",
                                        "shift:1", "shift:2"}
    # weight pruning leaves the tensors' shapes: ONNX Runtime still reads and multiplies the
    # zeros, so they save no energy (structured pruning does: tests/compression)
    assert stages["pruned"]["energy_uj"] == pytest.approx(stages["baseline"]["energy_uj"])
    assert out["metrics"]["robustness"]["seed"] == 0
    assert "µJ / inference" in out["gate_summary"] and "shift:2" in out["gate_summary"]
    verdict = out["gate_verdict"]
    # the candidate is the dense model itself here: not 2x smaller, so the size check fails
    assert not verdict["passed"] and verdict["champion"] is None
    assert [c["name"] for c in verdict["checks"] if not c["passed"]] == ["max_size_ratio"]

    # with a champion, it is re-measured in the same run and named in the verdict
    assert out["gate_summary"].startswith("## prunegate gate: ❌ **FAIL**")
    assert "`max_size_ratio`" in out["gate_summary"]
    # the choice a timing made is named, with the setting that replays it
    assert "Measured choices" in out["gate_summary"]
    assert "| quantize | variant fp32 |" in out["gate_summary"]
    assert "quantize.op_types=[]" in out["gate_summary"] and "Measured choices" in out[
        "report_html"]
    assert out["report_html"].count("<img src=\"data:image/png;base64,") == 4

    champion_run = run_pipeline(create_pipeline(), {**inputs, "champion_onnx": onnx_model})
    assert "champion" in champion_run["metrics"]["stages"]
    assert champion_run["gate_verdict"]["champion"] == "champion"


def test_kfold_stability_repeats_finetune_and_distill_per_fold_and_can_be_gated(
        baseline, pruned, splits):
    onnx_model = export_onnx(baseline.model, (1, 28, 28))
    inputs = {"baseline_onnx": onnx_model, "baseline_model": baseline, "pruned_model": pruned,
              "finetuned_model": pruned, "distilled_model": baseline,
              "distilled_onnx": onnx_model, "quantized_onnx": onnx_model, "champion_onnx": None,
              "champion_split": None,
              "test": splits[2], "train": splits[0], **typed({
                  "validate": {**FAST, "kfold": 3}, "targets": TARGETS, "finetune": TINY_TRAIN,
                  "distill": {"training": TINY_TRAIN},
                  "gates": {"max_size_ratio": None, "max_latency_ratio": None, "checks": [
                      {"metric": "kfold_accuracy_std", "comparator": "<=", "threshold": 0.0}]}}),
              "prune_report": {"config": {"granularity": "weights", "sparsity": 0.8}, "layers": {}},
              "quantize_report": QUANTIZE_REPORT}
    out = run_pipeline(create_pipeline(), inputs)
    kfold = out["kfold_report"]
    assert kfold["k"] == 3 and [f["fold"] for f in kfold["folds"]] == [1, 2, 3]
    n = len(splits[0]["y"])
    assert sum(f["held_out_rows"] for f in kfold["folds"]) == n
    assert all(f["train_rows"] + f["held_out_rows"] == n for f in kfold["folds"])
    accs = [f["test_accuracy"] for f in kfold["folds"]]
    assert kfold["test_accuracy"]["mean"] == pytest.approx(np.mean(accs))
    assert kfold["test_accuracy"]["std"] == pytest.approx(np.std(accs, ddof=1))
    # three folds on different data do not agree to the last sample, so a zero-spread budget
    # fails, and the check reads exactly the reported std
    assert kfold["test_accuracy"]["std"] > 0
    check = next(c for c in out["gate_verdict"]["checks"] if c["metric"] == "kfold_accuracy_std")
    assert check["name"] == "absolute.kfold_accuracy_std" and check["decision"] == "fail"
    assert check["value"] == pytest.approx(kfold["test_accuracy"]["std"])
    assert "k-fold stability (3 folds" in out["gate_summary"]
