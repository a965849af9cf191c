"""Same recipe, parameters, seeds, data and machine: the same deployable, bit for bit.

Two tiny default-recipe runs in two fresh project copies must give the same SHA-256 for every
model file and the same figures in every stage, latency aside (a measurement). The one choice a
timing makes (the int8 variant, when a recipe leaves it to `auto`) is recorded, and pinning it
rebuilds the same bytes."""

import hashlib
import json

import pytest

from .conftest import LOOSE, TINY, make_project

pytestmark = pytest.mark.e2e
RECIPE = ("--config", "pipelines/mnist_mlp.yml")
MODELS = ("baseline.pt", "pruned.pt", "finetuned.pt", "distilled.pt", "baseline.onnx",
          "distilled.onnx", "model.int8.onnx")


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def without_timings(value):
    """The figures of a run, every latency-derived number left out."""
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items()
                if "latency" not in k and "throughput" not in k}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


def outputs(project) -> tuple[dict, dict, dict]:
    data = project.path / "data"
    models = {name: sha256(data / "06_models" / name) for name in MODELS}
    reports = data / "08_reporting"
    figures = {name: json.loads((reports / name).read_text())
               for name in ("train_history.json", "finetune_history.json",
                            "distill_history.json", "metrics.json")}
    return models, without_timings(figures), json.loads(
        (reports / "quantize_report.json").read_text())


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    runs = []
    for name in ("a", "b"):
        project = make_project(tmp_path_factory.mktemp(name))
        done = project.run(*RECIPE, "--params", f"{TINY},{LOOSE}")
        assert done.returncode == 0, done.stderr[-3000:]
        runs.append(project)
    return runs


def test_two_fresh_copies_give_the_same_deployable_and_the_same_figures(two_runs):
    (models_a, figures_a, quant_a), (models_b, figures_b, quant_b) = map(outputs, two_runs)
    assert models_a == models_b
    assert figures_a == figures_b
    assert figures_a["metrics.json"]["stages"]["quantized"]["accuracy"] > 0   # really compared
    assert quant_a["chosen"] == quant_b["chosen"]


def test_the_measured_choice_is_reported_tagged_and_replays_to_the_same_bytes(two_runs):
    """The shipped recipes pin the int8 variant; with `auto` it is measured, and the run's
    report, gate.md and MLflow tags name the pin that rebuilds the same bytes without timing."""
    project = two_runs[0]
    measured = project.run(*RECIPE, "--from-nodes", "quantize.quantize_model", "--params",
                           f"{TINY},{LOOSE},quantize.op_types=auto")
    assert measured.returncode == 0, measured.stderr[-3000:]
    models, _, report = outputs(project)
    pin = report["pin"]["quantize.op_types"]
    assert report["measured"] and report["chosen"] == ("fp32" if not pin else
                                                       "int8:" + "+".join(pin))
    gate_md = (project.path / "data/08_reporting/gate.md").read_text()
    assert "Measured choices" in gate_md and f"quantize.op_types=[{','.join(pin)}]" in gate_md
    client = project.client()
    latest = client.search_runs([client.get_experiment_by_name("prunegate").experiment_id],
                                "tags.`choice.quantize.op_types` != ''",
                                order_by=["attributes.start_time DESC"])
    parent = next(r for r in latest if "mlflow.parentRunId" not in r.data.tags)
    assert json.loads(parent.data.tags["choice.quantize.op_types"]) == pin
    # the pin in place of the timing: quantize and validate again, the same deployable
    again = project.run(*RECIPE, "--from-nodes", "quantize.quantize_model", "--params",
                        f"{TINY},{LOOSE},quantize.op_types=[{','.join(pin)}]")
    assert again.returncode == 0, again.stderr[-3000:]
    replayed, _, pinned = outputs(project)
    assert not pinned["measured"] and pinned["chosen"] == report["chosen"]
    assert replayed["model.int8.onnx"] == models["model.int8.onnx"]
