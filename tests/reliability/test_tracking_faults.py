"""A real ``mlflow server`` that is not there at the start, or dies in the middle of a run."""

import os
import subprocess
import time

import pytest

from ..servers import MlflowServer, free_port
from .conftest import KEDRO, LOOSE, TINY, aliases, assert_failed_cleanly

pytestmark = pytest.mark.e2e
MODEL = "prunegate-mnist-mlp"
RUN = ("--config", "pipelines/mnist_mlp.yml", "--params")


def test_unreachable_server_fails_before_any_training_and_a_rerun_succeeds(project, tmp_path):
    port = free_port()
    project.uri = f"http://127.0.0.1:{port}"
    result = project.run(*RUN, TINY)
    server = MlflowServer(tmp_path / "server", port=port).start()      # the server is back
    try:                                          # (the registry can only be inspected now)
        message = assert_failed_cleanly(project, result, 2, f"MLflow tracking server "
                                        f"{project.uri} cannot be reached", "MLFLOW_TRACKING_URI")
        assert len(message.splitlines()) == 1
        assert not (project.path / "data/01_raw/raw_data.npz").exists()
        rerun = project.run(*RUN, TINY, "--to-nodes", "validate_data.validate_data")
        assert rerun.returncode == 0, rerun.stderr[-2000:]
    finally:
        server.stop()


def test_server_killed_mid_run_fails_cleanly_and_a_rerun_succeeds(project, tmp_path):
    server = MlflowServer(tmp_path / "server", port=free_port()).start()
    project.uri = server.uri
    env = {**os.environ, "MLFLOW_TRACKING_URI": server.uri}
    run = subprocess.Popen([str(KEDRO), "run", *RUN, f"{TINY},{LOOSE},train.epochs=20"],
                           cwd=project.path, env=env, text=True, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    split = project.path / "data/05_model_input/test.npz"
    deadline = time.monotonic() + 120
    while not split.exists() and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.1)
    server.stop()                                    # the server goes away during training
    stdout, stderr = run.communicate(timeout=300)
    server.start()                                   # back on the same port and store, so the
    try:                                             # registry can be inspected
        result = subprocess.CompletedProcess(run.args, run.returncode, stdout, stderr)
        assert_failed_cleanly(project, result, 2, f"MLflow tracking store {server.uri} failed "
                              "while", "Check that the server is up, then re-run")
        assert aliases(project) == {}                                      # nothing half-registered
        rerun = project.run(*RUN, f"{TINY},{LOOSE}")
        assert rerun.returncode == 0, rerun.stderr[-2000:]
        assert aliases(project) == {MODEL: {"champion": "1", "challenger": "1"}}
    finally:
        server.stop()
