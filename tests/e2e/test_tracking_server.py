"""The pipeline against a real ``mlflow server`` process, including the server failing."""

import subprocess
import time

import pytest

from ..servers import MlflowServer, free_port
from .conftest import KEDRO, TINY

pytestmark = pytest.mark.e2e
MODEL = "prunegate-mnist-mlp"
LOOSE = "gates.min_accuracy=0.5,gates.max_accuracy_drop_pp=20,gates.max_latency_ratio=3.0"


@pytest.fixture
def server(tmp_path):
    srv = MlflowServer(tmp_path / "server").start()
    yield srv
    srv.stop()


def test_pipeline_logs_every_stage_model_and_promotes_on_a_server(project, server):
    project.uri = server.uri
    result = project.run("--config", "pipelines/mnist_mlp.yml", "--params", f"{TINY},{LOOSE}")
    assert result.returncode == 0, result.stderr[-2000:]
    client = project.client()
    aliases = {k: str(v) for k, v in client.get_registered_model(MODEL).aliases.items()}
    assert aliases == {"champion": "1", "challenger": "1"}
    experiment = client.get_experiment_by_name("prunegate").experiment_id
    logged = {m.name for m in client.search_logged_models([experiment])}
    assert logged == {"baseline", "pruned", "finetuned", "distilled", "deployable"}
    tags = client.get_model_version(MODEL, "1").tags
    for key in ("recipe", "gate.passed", "artifact.sha256", "validated.accuracy", "params.sha256",
                "data.test_sha256", "git.commit", "gate.max_size_ratio"):
        assert key in tags, key
    train = client.search_runs([experiment], "attributes.run_name = 'train'")[0]
    artifacts = {a.path for a in client.list_artifacts(train.info.run_id)}
    assert "train_history.png" in artifacts


def test_unreachable_server_fails_before_any_training(project):
    project.uri = f"http://127.0.0.1:{free_port()}"
    result = project.run("--config", "pipelines/mnist_mlp.yml", "--params", TINY)
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: MLflow tracking server {project.uri} cannot be reached")
    assert "MLFLOW_TRACKING_URI" in last
    assert not (project.path / "data/01_raw/mnist_sample.npz").exists()


def test_server_killed_mid_run_fails_cleanly_and_a_rerun_succeeds(project, tmp_path):
    server = MlflowServer(tmp_path / "server", port=free_port()).start()
    project.uri = server.uri
    env = {**__import__("os").environ, "MLFLOW_TRACKING_URI": server.uri}
    run = subprocess.Popen([str(KEDRO), "run", "--config", "pipelines/mnist_mlp.yml", "--params",
                            f"{TINY},{LOOSE},train.epochs=20"], cwd=project.path, env=env,
                           text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    split = project.path / "data/05_model_input/test.npz"
    deadline = time.monotonic() + 120
    while not split.exists() and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.1)
    server.stop()                                    # the server goes away during training
    _, stderr = run.communicate(timeout=300)
    assert run.returncode == 2, stderr[-2000:]
    last = stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: MLflow tracking store {server.uri} failed while")
    assert "Nothing was promoted" in last

    server.start()                                   # back on the same port and store
    try:
        assert project.client().search_registered_models() == []   # nothing half-registered
        rerun = project.run("--config", "pipelines/mnist_mlp.yml", "--params", f"{TINY},{LOOSE}")
        assert rerun.returncode == 0, rerun.stderr[-2000:]
        assert str(project.client().get_registered_model(MODEL).aliases["champion"]) == "1"
    finally:
        server.stop()
