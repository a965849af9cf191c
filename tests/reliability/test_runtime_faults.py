"""Runtime faults on the machine: the process killed outright, a write refused by the OS."""

import os
import resource
import signal
import subprocess
import time

import pytest

from .conftest import (
    FAST_GATE,
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
    rerun = project.run("--recipe", "mnist_mlp", "--from-nodes", "prune.prune_model", "--params",
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
    assert not raw.exists() and not list(raw.parent.glob(f".{raw.name}.*.tmp"))

    # the limit lifted
    rerun = project.run(*RUN, TINY, "--to-nodes", "validate_data.validate_data")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert raw.is_file()


def _wait_for(path, run, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists() and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.1)
    assert path.exists(), run.communicate()[1][-3000:]


def test_a_second_run_in_the_same_folder_is_refused_and_the_record_stays_true(project):
    import hashlib
    import json

    first = _popen(project, f"{TINY},{LOOSE},finetune.epochs=30")
    _wait_for(project.path / "data/.prunegate.lock.json", first)
    second = project.run(*RUN, f"{TINY},{LOOSE},prune.sparsity=0.5")
    assert_failed_cleanly(project, second, 2, "data/ is in use by another run (pid "
                          f"{first.pid}", "Wait for it to finish")
    stdout, stderr = first.communicate(timeout=600)
    assert first.returncode == 0, stderr[-3000:]

    # the one version describes exactly its own bytes: artifact, hash and validated accuracy
    client = project.client()
    (version,) = client.search_model_versions(f"name='{MODEL}'")
    source = version.source.rsplit("/", 1)[-1]
    (stored,) = [p for p in (project.path / "mlruns").rglob("model.onnx") if source in str(p)]
    local = (project.path / "data/06_models/model.int8.onnx").read_bytes()
    assert version.tags["artifact.sha256"] == hashlib.sha256(local).hexdigest() == \
        hashlib.sha256(stored.read_bytes()).hexdigest()
    metrics = json.loads((project.path / "data/08_reporting/metrics.json").read_text())
    assert float(version.tags["validated.accuracy"]) == metrics["stages"]["quantized"]["accuracy"]
    assert not (project.path / "data/.prunegate.lock.json").exists()   # released

    # the re-run: the same bytes gated again reuse their version, nothing registered twice
    rerun = project.run("--recipe", "mnist_mlp", "--pipelines", "validate", "--params",
                        f"{LOOSE},{FAST_GATE}")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "the same bytes as the champion; nothing moved" in rerun.stdout + rerun.stderr
    assert len(client.search_model_versions(f"name='{MODEL}'")) == 1


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_an_interrupted_run_ends_its_mlflow_runs_and_says_so(project, sig, code):
    run = _popen(project, f"{TINY},{LOOSE},finetune.epochs=200")
    _wait_for(project.path / "data/06_models/pruned.pt", run)
    time.sleep(2)                                          # well into fine-tuning
    run.send_signal(sig)
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == code, stderr[-3000:]
    assert stderr.strip().splitlines()[-1] == "interrupted: nothing registered"
    assert "Traceback" not in stderr, stderr[-3000:]
    runs = project.client().search_runs(
        [e.experiment_id for e in project.client().search_experiments()])
    status = {r.info.run_name: r.info.status for r in runs}
    # nothing left RUNNING: the parent and the stage it was in are KILLED, earlier stages done
    assert status["mnist_mlp"] == status["finetune"] == "KILLED", status
    assert set(status.values()) == {"KILLED", "FINISHED"}, status
    assert aliases(project) == {}
    assert not (project.path / "data/.prunegate.lock.json").exists()   # the folder is free
    rerun = project.run("--recipe", "mnist_mlp", "--from-nodes", "prune.prune_model", "--params",
                        f"{TINY},{LOOSE}")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
