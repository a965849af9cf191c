"""The default recipe end to end, as a user runs it, with tiny epochs."""

import hashlib
import json
from pathlib import Path

import pytest

from .conftest import FAST_GATE, LOOSE, TINY

pytestmark = pytest.mark.e2e
MODEL = "prunegate-mnist-mlp"


def test_default_recipe_registers_promotes_and_an_impossible_gate_does_not(project):
    ok = project.run("--config", "pipelines/mnist_mlp.yml", "--params", f"{TINY},{LOOSE}")
    assert ok.returncode == 0, ok.stderr[-3000:]
    for artifact in ("06_models/model.int8.onnx", "06_models/baseline.onnx",
                     "08_reporting/metrics.json", "08_reporting/gate.json"):
        assert (project.path / "data" / artifact).is_file(), artifact
    metrics = json.loads((project.path / "data/08_reporting/metrics.json").read_text())
    assert set(metrics["stages"]) == {"baseline", "pruned", "finetuned", "distilled", "quantized"}
    for stage in metrics["stages"].values():
        assert {"accuracy", "f1_macro", "size_bytes", "params", "nonzero_params",
                "latency_p50_ms", "latency_p95_ms"} <= set(stage)
    gate = json.loads((project.path / "data/08_reporting/gate.json").read_text())
    assert gate["passed"] is True
    assert {"name", "value", "threshold", "passed"} <= set(gate["checks"][0])
    first = {c["name"]: c for c in gate["checks"]}["no_worse_than_champion"]
    assert first["decision"] == "skipped" and "no champion yet" in first["note"]
    assert "SKIP" in ok.stdout
    for report in ("gate.md", "report.html"):
        assert (project.path / "data/08_reporting" / report).stat().st_size > 500
    assert "stage" in ok.stdout and "quantized" in ok.stdout and "PASS" in ok.stdout

    client = project.client()
    assert client.get_registered_model(MODEL).aliases == {"champion": 1, "challenger": 1}
    # what the registry serves is byte for byte what was validated
    import mlflow
    mlflow.set_tracking_uri(project.uri)
    served = Path(mlflow.artifacts.download_artifacts(f"models:/{MODEL}@champion",
                                                      dst_path=str(project.path / "dl")))
    local = (project.path / "data/06_models/model.int8.onnx").read_bytes()
    assert (served / "artifacts" / "model.onnx").read_bytes() == local
    assert client.get_model_version(MODEL, "1").tags["artifact.sha256"] == \
        hashlib.sha256(local).hexdigest()
    runs = client.search_runs([client.get_experiment_by_name("prunegate").experiment_id])
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId")]
    assert len(runs) - len(children) == 1                       # one parent run
    assert len(children) == 8                                   # one child run per stage
    assert {r.info.run_name for r in children} == {"ingest", "validate_data", "train", "prune",
                                                   "finetune", "distill", "quantize", "validate"}
    # the data gate's result is logged with its stage
    data_gate = next(r for r in children if r.info.run_name == "validate_data")
    assert "data_validation.json" in {a.path for a in client.list_artifacts(
        data_gate.info.run_id)}
    train = next(r for r in children if r.info.run_name == "train")
    assert len(client.get_metric_history(train.info.run_id, "val_accuracy")) == 2
    assert train.data.params["train.epochs"] == "2"
    assert train.data.params["model.name"] == "lenet_300_100"

    # the saved artifacts re-gated (no retraining) against an impossible accuracy floor
    bad = project.run("--recipe", "mnist_mlp", "--pipelines", "validate",
                      "--params", f"{LOOSE},{FAST_GATE},gates.min_accuracy=0.999")
    assert bad.returncode == 1
    last = bad.stderr.strip().splitlines()[-1]
    assert last.startswith("FAIL: min_accuracy: accuracy = ") and "needs >= 0.999" in last
    aliases = client.get_registered_model(MODEL).aliases
    assert aliases == {"champion": 1, "challenger": 1}   # the same bytes: v1 reused, not promoted
    # the second run re-measured the champion (v1) beside the candidate
    second = json.loads((project.path / "data/08_reporting/gate.json").read_text())
    assert {c["name"]: c for c in second["checks"]}["no_worse_than_champion"]["decision"] == "pass"
    metrics = json.loads((project.path / "data/08_reporting/metrics.json").read_text())
    assert "champion" in metrics["stages"]
    tags = client.get_model_version(MODEL, "1").tags
    assert (tags["gate.passed"], tags["revalidated.outcome"]) == ("true", "fail")
    assert len(client.search_model_versions(f"name='{MODEL}'")) == 1
