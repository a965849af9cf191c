"""The prunegate models commands on a real run's registry."""

import json
import subprocess
import sys
from pathlib import Path

import onnx
import pytest

from .conftest import FAST_GATE, LOOSE

pytestmark = pytest.mark.e2e
PRUNEGATE = Path(sys.executable).with_name("prunegate")


def cli(project, *args: str) -> subprocess.CompletedProcess:
    env = {**__import__("os").environ, "MLFLOW_TRACKING_URI": project.uri}
    return subprocess.run([str(PRUNEGATE), *args], cwd=project.path, env=env, text=True,
                          capture_output=True, timeout=120)


def test_status_compare_promote_rollback(gated_project):
    project = gated_project
    # v1 is champion; re-gating the saved deployable (no retraining), made distinct by a doc
    # string (the same bytes would reuse v1), registers and promotes v2
    deployable = project.path / "data/06_models/model.int8.onnx"
    model = onnx.load(str(deployable))
    model.doc_string = "v2"
    onnx.save(model, str(deployable))
    regate = project.run("--recipe", "mnist_mlp", "--pipelines", "validate", "--params",
                         f"{LOOSE},{FAST_GATE}")
    assert regate.returncode == 0, regate.stderr[-3000:]
    status = cli(project, "models", "status")
    assert status.returncode == 0, status.stderr
    assert "champion -> v2" in status.stdout and "artifact.sha256" in status.stdout
    assert "champion history (oldest first): ['1', '2']" in status.stdout

    compare = cli(project, "models", "compare", "1", "2")
    assert compare.returncode == 0
    run_row = next(line for line in compare.stdout.splitlines() if line.startswith("run.id"))
    assert run_row.endswith("*")             # two runs: the ids differ and are marked

    back = cli(project, "rollback")
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout.strip().splitlines()[-1])["version"] == "1"

    stale = cli(project, "promote", "--version", "2", "--expect-champion", "2", "--params", LOOSE)
    assert stale.returncode == 1
    assert "moved to v1 while this run compared against v2" in stale.stderr.strip().splitlines()[-1]
    again = cli(project, "promote", "--version", "2", "--params", LOOSE)
    assert again.returncode == 0, again.stderr
    assert "champion -> v2" in cli(project, "models", "status").stdout

    missing = cli(project, "promote", "--version", "9")
    assert missing.returncode == 2
    assert "has no version 9" in missing.stderr.strip().splitlines()[-1]
    assert cli(project, "models", "status", "--recipe", "nope").returncode == 2


def test_a_recipe_reads_conf_local_on_top_of_its_own_settings(project):
    """base -> recipe -> local: the recipe's own data folder stays, conf/local's model name wins."""
    (project.path / "conf/local/parameters.yml").write_text(
        "mlflow: {registered_model: from-local}\n")
    info = json.loads(cli(project, "info", "--recipe", "mnist_lenet5").stdout)
    assert info["registered_model"] == "from-local"
    assert info["data"] == "data/mnist_lenet5" and info["recipe"] == "mnist_lenet5"
