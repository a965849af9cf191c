"""Runtime faults on the machine: the process killed outright, a write refused by the OS."""

import os
import resource
import signal
import subprocess
import time

import pytest

from .conftest import (
    KEDRO,
    LOOSE,
    TINY,
    aliases,
    assert_artifacts_intact,
    assert_failed_cleanly,
)

pytestmark = pytest.mark.e2e
MODEL = "prunegate-mnist-mlp"
RUN = ("--config", "pipelines/mnist_mlp.yml", "--params")


def _popen(project, params: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "MLFLOW_TRACKING_URI": project.uri}
    return subprocess.Popen([str(KEDRO), "run", *RUN, params], cwd=project.path, env=env,
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def test_kill_9_during_fine_tuning_then_a_rerun_succeeds(project):
    run = _popen(project, f"{TINY},{LOOSE},finetune.epochs=200", start_new_session=True)
    pruned = project.path / "data/06_models/pruned.pt"
    deadline = time.monotonic() + 180
    while not pruned.exists() and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.1)
    assert pruned.exists(), run.communicate()[1][-3000:]
    time.sleep(2)                                          # well into the 200 fine-tune epochs
    os.killpg(run.pid, signal.SIGKILL)
    run.communicate(timeout=60)
    assert run.returncode == -signal.SIGKILL

    # what the dead run left: every saved artifact whole, nothing past fine-tuning, no version
    assert_artifacts_intact(project)
    assert not (project.path / "data/06_models/finetuned.pt").exists()
    assert aliases(project) == {}

    # the re-run resumes from what the dead run saved: the splits, the data gate's verdict and
    # the trained baseline are whole, so it starts again at pruning
    rerun = project.run("--env", "mnist_mlp", "--from-nodes", "prune_model", "--params",
                        f"{TINY},{LOOSE}")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "Running node: train_baseline" not in rerun.stderr
    assert aliases(project) == {MODEL: {"champion": "1", "challenger": "1"}}


def test_a_write_refused_by_the_os_fails_cleanly_and_leaves_no_partial_file(project):
    def limit_file_size():         # ulimit -f 2048: the 3.9 MB of raw digits cannot be saved
        resource.setrlimit(resource.RLIMIT_FSIZE, (2 << 20, 2 << 20))

    run = _popen(project, TINY, preexec_fn=limit_file_size)
    stdout, stderr = run.communicate(timeout=300)
    result = subprocess.CompletedProcess(run.args, run.returncode, stdout, stderr)
    raw = project.path / "data/01_raw/raw_data.npz"
    assert_failed_cleanly(project, result, 2, "could not write",
                          "raise the file size limit (ulimit -f)")
    assert "raw_data.npz: File too large" in stderr
    assert not raw.exists() and not raw.with_name(raw.name + ".tmp").exists()

    rerun = project.run(*RUN, TINY, "--to-nodes", "validate_data")      # the limit lifted
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert raw.is_file()
