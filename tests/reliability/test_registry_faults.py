"""Faults at the gate and the registry: a corrupt ONNX file, an artifact changed after its
validation, two promotions racing. One real run's registry (sqlite) is shared by the module."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
    """Re-gate the saved artifacts without promoting: a new verified version, not champion."""
    done = project.run("--env", "mnist_mlp", "--pipelines", "validate", "--params",
                       f"{LOOSE},{FAST_GATE},mlflow.promote=false")
    assert done.returncode == 0, done.stderr[-3000:]
    return aliases(project)[MODEL]["challenger"]


def test_a_corrupt_onnx_file_handed_to_the_gate(gated):
    deployable = gated.path / "data/06_models/model.int8.onnx"
    good = deployable.read_bytes()
    before = aliases(gated)
    (gated.path / "bad.onnx").write_bytes(good[: len(good) // 3])
    standalone = finish(cli(gated, "gate", "--candidate", "bad.onnx"))
    assert_failed_cleanly(gated, standalone, 2, "candidate bad.onnx is not a valid ONNX model",
                          "Re-export it or re-run the recipe", before)

    deployable.write_bytes(good[: len(good) // 3])
    result = gated.run("--env", "mnist_mlp", "--pipelines", "validate", "--params",
                       f"{LOOSE},{FAST_GATE}")
    assert_failed_cleanly(gated, result, 2, "model.int8.onnx is corrupt",
                          "Delete it and re-run the pipeline that writes it", before,
                          ignore=(deployable,))

    deployable.write_bytes(good)                      # the cause removed
    rerun = gated.run("--env", "mnist_mlp", "--pipelines", "validate", "--params",
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
    refused = finish(cli(gated, "promote", "--version", version))
    assert_failed_cleanly(gated, refused, 1, f"v{version}'s artifact changed after validation",
                          "Refused; re-run the recipe to validate a new version", before)

    stored[0].write_bytes(good)                       # the cause removed
    again = finish(cli(gated, "promote", "--version", version))
    assert again.returncode == 0, again.stderr[-2000:]
    assert aliases(gated)[MODEL]["champion"] == version


def test_two_promotions_at_the_same_moment_exactly_one_wins(gated):
    first, second = challenger(gated), challenger(gated)
    champion = aliases(gated)[MODEL]["champion"]
    racing = [cli(gated, "promote", "--version", v, "--expect-champion", champion,
                  PRUNEGATE_PROMOTION_PAUSE_S="3") for v in (first, second)]
    results = [finish(p) for p in racing]
    assert sorted(r.returncode for r in results) == [0, 1], [r.stderr[-500:] for r in results]
    winner, loser = (first, second) if results[0].returncode == 0 else (second, first)
    lost = results[[first, second].index(loser)]
    after = {MODEL: {**aliases(gated)[MODEL], "champion": winner}}
    assert aliases(gated)[MODEL]["champion"] == winner
    assert_failed_cleanly(gated, lost, 1, f"moved to v{winner} while this run compared against "
                          f"v{champion}", "Re-run to gate against the new champion", after)

    rerun = finish(cli(gated, "promote", "--version", loser, "--expect-champion", winner))
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert aliases(gated)[MODEL]["champion"] == loser
