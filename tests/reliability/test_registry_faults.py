"""Faults at the gate and the registry: a corrupt ONNX file, an artifact changed after its
validation, two promotions racing. One real run's registry (sqlite) is shared by the module."""

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import helper

from .conftest import FAST_GATE, LOOSE, TINY, aliases, assert_failed_cleanly, make_project

pytestmark = pytest.mark.e2e
MODEL = "prunegate-mnist-mlp"
PRUNEGATE = Path(sys.executable).with_name("prunegate")


@pytest.fixture(scope="module")
def gated(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("gated"))
    done = project.run("--config", "pipelines/mnist_mlp.yml", "--params", f"{TINY},{LOOSE}")
    assert done.returncode == 0, done.stderr[-3000:]
    return project


def cli(project, *args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen([str(PRUNEGATE), *args], cwd=project.path, text=True,
                            env={**os.environ, "MLFLOW_TRACKING_URI": project.uri, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(process: subprocess.Popen) -> subprocess.CompletedProcess:
    stdout, stderr = process.communicate(timeout=300)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def challenger(project) -> str:
    """Re-gate the saved deployable, made distinct (identical bytes would reuse their version)
    by a new doc string, without promoting: a new verified version, not champion."""
    deployable = project.path / "data/06_models/model.int8.onnx"
    model = onnx.load(str(deployable))
    model.doc_string = f"challenger {uuid.uuid4().hex}"
    onnx.save(model, str(deployable))
    done = project.run("--recipe", "mnist_mlp", "--pipelines", "validate", "--params",
                       f"{LOOSE},{FAST_GATE},mlflow.promote=false")
    assert done.returncode == 0, done.stderr[-3000:]
    return aliases(project)[MODEL]["challenger"]


def edited(project, name: str, edit) -> Path:
    """The deployable with ``edit(model)`` applied, saved as ``name`` in the project."""
    model = onnx.load(str(project.path / "data/06_models/model.int8.onnx"))
    edit(model)
    onnx.save(model, str(project.path / name))
    return project.path / name


def test_a_corrupt_onnx_file_handed_to_the_gate(gated):
    deployable = gated.path / "data/06_models/model.int8.onnx"
    good = deployable.read_bytes()
    before = aliases(gated)
    (gated.path / "bad.onnx").write_bytes(good[: len(good) // 3])
    standalone = finish(cli(gated, "gate", "--candidate", "bad.onnx"))
    assert_failed_cleanly(gated, standalone, 2, "candidate bad.onnx is not a valid ONNX model",
                          "Re-export it or re-run the recipe", before)

    deployable.write_bytes(good[: len(good) // 3])
    result = gated.run("--recipe", "mnist_mlp", "--pipelines", "validate", "--params",
                       f"{LOOSE},{FAST_GATE}")
    assert_failed_cleanly(gated, result, 2, "model.int8.onnx is corrupt",
                          "Delete it and re-run the pipeline that writes it", before,
                          ignore=(deployable,))

    deployable.write_bytes(good)                      # the cause removed
    rerun = gated.run("--recipe", "mnist_mlp", "--pipelines", "validate", "--params",
                      f"{LOOSE},{FAST_GATE},mlflow.promote=false")
    assert rerun.returncode == 0, rerun.stderr[-3000:]


def test_an_artifact_changed_after_validation_is_never_promoted(gated):
    version = challenger(gated)
    source = gated.client().get_model_version(MODEL, version).source.rsplit("/", 1)[-1]
    stored = [p for p in (gated.path / "mlruns").rglob("model.onnx") if source in str(p)]
    assert len(stored) == 1, stored
    good = stored[0].read_bytes()
    stored[0].write_bytes(good + b"\x00")             # a bad actor, or a broken copy
    before = aliases(gated)
    refused = finish(cli(gated, "promote", "--version", version, "--params", LOOSE))
    assert_failed_cleanly(gated, refused, 1, f"v{version}'s artifact changed after validation",
                          "Refused; re-run the recipe to validate a new version", before)

    stored[0].write_bytes(good)                       # the cause removed
    again = finish(cli(gated, "promote", "--version", version, "--params", LOOSE))
    assert again.returncode == 0, again.stderr[-2000:]
    assert aliases(gated)[MODEL]["champion"] == version


def test_two_promotions_at_the_same_moment_exactly_one_wins(gated):
    first, second = challenger(gated), challenger(gated)
    champion = aliases(gated)[MODEL]["champion"]
    racing = [cli(gated, "promote", "--version", v, "--expect-champion", champion,
                  "--params", LOOSE, PRUNEGATE_PROMOTION_PAUSE_S="3") for v in (first, second)]
    results = [finish(p) for p in racing]
    assert sorted(r.returncode for r in results) == [0, 1], [r.stderr[-500:] for r in results]
    winner, loser = (first, second) if results[0].returncode == 0 else (second, first)
    lost = results[[first, second].index(loser)]
    after = {MODEL: {**aliases(gated)[MODEL], "champion": winner}}
    assert aliases(gated)[MODEL]["champion"] == winner
    assert_failed_cleanly(gated, lost, 1, f"moved to v{winner} while this run compared against "
                          f"v{champion}", "Re-run to gate against the new champion", after)

    rerun = finish(cli(gated, "promote", "--version", loser, "--expect-champion", winner,
                       "--params", LOOSE))
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert aliases(gated)[MODEL]["champion"] == loser


def test_a_tag_edited_to_passed_cannot_get_a_failing_version_promoted(gated):
    # the dense baseline as the deployable: its size ratio is 1, over the limit of 0.5
    deployable = gated.path / "data/06_models/model.int8.onnx"
    good = deployable.read_bytes()
    shutil.copy(gated.path / "data/06_models/baseline.onnx", deployable)
    failed = gated.run("--recipe", "mnist_mlp", "--pipelines", "validate", "--params",
                       f"{LOOSE},{FAST_GATE}")
    deployable.write_bytes(good)
    assert failed.returncode == 1, failed.stderr[-3000:]
    version = aliases(gated)[MODEL]["challenger"]
    client = gated.client()
    client.set_model_version_tag(MODEL, version, "gate.passed", "true")   # a hand in the UI
    client.set_model_version_tag(MODEL, version, "gate.outcome", "pass")
    client.set_model_version_tag(MODEL, version, "gate.max_size_ratio", "0.05")
    before = aliases(gated)
    refused = finish(cli(gated, "promote", "--version", version, "--params", LOOSE))
    assert_failed_cleanly(gated, refused, 1, f"v{version} does not pass its gate, re-measured "
                          "from the registry's copy: max_size_ratio: size_bytes ratio vs "
                          "baseline = 1", "Not promoted", before={
                              MODEL: {**before[MODEL], "champion": before[MODEL]["champion"]}})
    # the re-run: a version that does pass is promoted by the same command
    good_version = challenger(gated)
    again = finish(cli(gated, "promote", "--version", good_version, "--params", LOOSE))
    assert again.returncode == 0, again.stderr[-2000:]


def _pad_logits(model):
    """One more logit column, constant 0: [batch, 10] -> [batch, 11]."""
    out = model.graph.output[0]
    model.graph.node[-1].output[0] = "unpadded"
    model.graph.initializer.append(onnx.numpy_helper.from_array(
        np.array([0, 0, 0, 1], dtype=np.int64), "pads"))
    model.graph.node.append(helper.make_node("Pad", ["unpadded", "pads"], [out.name]))
    out.type.tensor_type.shape.dim[1].dim_value = 11


def _nan_logits(model):
    """Log of the logits: NaN wherever a logit is negative."""
    out = model.graph.output[0]
    model.graph.node[-1].output[0] = "raw"
    model.graph.node.append(helper.make_node("Log", ["raw"], [out.name]))


def _unknown_op(model):
    out = model.graph.output[0]
    model.graph.node[-1].output[0] = "raw"
    model.graph.node.append(helper.make_node("Op", ["raw"], [out.name], domain="com.example"))
    model.opset_import.append(helper.make_opsetid("com.example", 1))


@pytest.mark.parametrize(("edit", "code", "problem", "fix"), [
    (_pad_logits, 1, "io_contract: io_differences = 2, needs <= 0",
     "output '{out}' has shape [batch, 11], [batch, 10] in the baseline"),
    (_nan_logits, 1, "finite_outputs: nonfinite_outputs = ",
     "test inputs give NaN or inf outputs from the candidate model; they count as wrong, not "
     "as class 0"),
    (_unknown_op, 2, "the candidate model cannot be loaded by ONNX Runtime: it uses operators "
     "from unknown domains (com.example:Op)", "Export it with standard ONNX operators"),
])
def test_a_candidate_that_breaks_its_contract_is_caught(gated, edit, code, problem, fix):
    before = aliases(gated)
    path = edited(gated, "edited.onnx", edit)
    onnx.checker.check_model(onnx.load(str(path)))      # a well-formed model, to the checker
    out = onnx.load(str(path)).graph.output[0].name
    result = finish(cli(gated, "gate", "--candidate", "edited.onnx"))
    assert_failed_cleanly(gated, result, code, problem, fix.format(out=out), before)


def test_a_read_only_tracking_database_is_named_with_its_permission(gated):
    db = gated.path / "mlflow.db"
    if subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here: root ignores file modes, so the store "
                    "cannot be made read-only")
    before = aliases(gated)
    try:
        result = gated.run("--recipe", "mnist_mlp", "--pipelines", "validate", "--params",
                           f"{LOOSE},{FAST_GATE}")
    finally:
        subprocess.run(["chattr", "-i", str(db)], check=True)
    assert_failed_cleanly(gated, result, 2, f"The tracking database {db} is read-only for "
                          "this user", f"chmod u+w {db} {db.parent}", before)
    rerun = gated.run("--recipe", "mnist_mlp", "--pipelines", "validate", "--params",
                      f"{LOOSE},{FAST_GATE},mlflow.promote=false")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
