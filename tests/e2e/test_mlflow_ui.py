"""What a platform engineer sees in MLflow after one run, without opening an artifact: a machine
learning experiment, a parent run carrying the headline, dataset inputs with their hashes,
logged models with signatures and linked metrics, a model card, and a champion that serves
labels through `mlflow models predict`."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.e2e
MODEL = "prunegate-mnist-mlp"
MLFLOW = Path(sys.executable).with_name("mlflow")


@pytest.fixture(scope="module")
def seen(gated_project):
    client = gated_project.client()
    experiment = client.get_experiment_by_name("prunegate")
    runs = client.search_runs([experiment.experiment_id])
    parent = next(r for r in runs if "mlflow.parentRunId" not in r.data.tags
                  and r.data.tags.get("model.version") == "1")
    return gated_project, client, experiment, parent


def test_the_experiment_opens_in_the_machine_learning_views(seen):
    _, _, experiment, _ = seen
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"


def test_the_parent_run_carries_the_headline_and_the_splits(seen):
    _, client, _, parent = seen
    metrics, tags = parent.data.metrics, parent.data.tags
    assert {"accuracy", "accuracy_drop_pp", "size_ratio", "latency_p95_ratio",
            "gate_passed"} <= set(metrics)
    assert metrics["gate_passed"] == 1.0 and 0 < metrics["size_ratio"] < 1
    assert tags["gate.outcome"] == "pass" and tags["recipe"] == "mnist_mlp"
    assert len(tags["git.commit"]) in (40, 7) or tags["git.commit"] == "unknown"
    assert tags["mlflow.note.content"].startswith("mnist_mlp: gate PASS, accuracy ")
    inputs = {next(t.value for t in d.tags if t.key == "mlflow.data.context"):
              {t.key: t.value for t in d.tags} for d in client.get_run(
                  parent.info.run_id).inputs.dataset_inputs}
    assert set(inputs) == {"train", "val", "test"}
    assert all(len(tag["prunegate.sha256"]) == 64 for tag in inputs.values())


def test_every_stage_model_has_a_signature_and_its_metrics(seen):
    import mlflow

    project, client, experiment, parent = seen
    mlflow.set_tracking_uri(project.uri)
    stages = {r.info.run_id for r in client.search_runs(
        [experiment.experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'")}
    models = [m for m in client.search_logged_models([experiment.experiment_id])
              if m.source_run_id in stages]
    assert {m.name for m in models} == {"baseline", "pruned", "finetuned", "distilled",
                                         "deployable"}
    for model in models:
        info = mlflow.models.get_model_info(f"models:/{model.model_id}")
        assert [i["name"] for i in info.signature.inputs.to_dict()] == ["input"], model.name
        assert [o["name"] for o in info.signature.outputs.to_dict()] == \
            ["logits", "probabilities", "label"]
        linked = {m.key for m in model.metrics or []}
        stage = "quantized" if model.name == "deployable" else model.name
        assert f"{stage}.accuracy" in linked, (model.name, linked)


def test_the_version_has_a_model_card_and_the_model_a_description(seen):
    _, client, _, parent = seen
    card = client.get_model_version(MODEL, "1").description
    assert card.startswith("**prunegate recipe `mnist_mlp`**, gate **PASS**")
    for line in ("- pruning: neurons by", "| accuracy |", "| size vs dense |",
                 f"runs:/{parent.info.run_id}"):
        assert line in card, line
    assert "Compressed by prunegate" in client.get_registered_model(MODEL).description


def test_mlflow_models_predict_returns_labels_and_probabilities(seen, tmp_path):
    project, *_ = seen
    test = np.load(project.path / "data/05_model_input/test.npz")
    x = test["x"][:8].astype(np.float32)
    request = tmp_path / "input.json"
    request.write_text(json.dumps({"inputs": {"input": x.tolist()}}))
    out = tmp_path / "out.json"
    done = subprocess.run(
        [str(MLFLOW), "models", "predict", "-m", f"models:/{MODEL}/1", "-i", str(request),
         "-t", "json", "-o", str(out), "--env-manager", "local"],
        cwd=project.path, capture_output=True, text=True, timeout=240,
        env={**os.environ, "MLFLOW_TRACKING_URI": project.uri})
    assert done.returncode == 0, done.stderr[-2000:]
    predictions = json.loads(out.read_text())["predictions"]
    logits = np.asarray(predictions["logits"])
    assert predictions["label"] == logits.argmax(axis=1).tolist()
    probabilities = np.asarray(predictions["probabilities"])
    assert probabilities.shape == (8, 10) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)

