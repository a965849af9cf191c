"""Security: no unpickling of model files, no credential in any record, no network but loopback;
and the default recipe against a real ``mlflow server`` process, in the same run."""

import os
import subprocess
from pathlib import Path

import pytest
import torch

from prunegate.errors import DataError
from prunegate.models.checkpoint import load_checkpoint

from ..servers import MlflowServer
from .conftest import KEDRO, LOOSE, TINY, aliases

ROOT = Path(__file__).parents[2]
MODEL = "prunegate-mnist-mlp"
SECRET = "pg-fake-secret-7f3a9c1e"        # must never appear in a record, a log or the output


class Payload:
    """What a malicious "model file" carries: code that runs when it is unpickled."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_a_malicious_pickle_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    evil = tmp_path / "baseline.pt"
    torch.save({"format": "prunegate.checkpoint/1", "name": "lenet_300_100",
                "arch": {}, "state_dict": Payload(marker)}, evil)
    with pytest.raises(DataError, match="holds pickled objects, which prunegate never "
                                        "unpickles") as refused:
        load_checkpoint(evil)
    assert "Re-save it as a state dict" in str(refused.value)
    assert not marker.exists()


def test_credentials_live_only_in_git_ignored_places():
    for path in ("conf/local/credentials.yml", "conf/local/parameters.yml",
                 "conf/staging/credentials.yml"):
        ignored = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT)
        assert ignored.returncode == 0, f"{path} is not git-ignored"


@pytest.mark.e2e
def test_default_recipe_on_a_server_needs_only_loopback_and_leaks_no_secret(project, tmp_path):
    """One run on a real ``mlflow server`` proves three things: every stage's run and model is
    logged and v1 promoted; outbound sockets to anything but 127.0.0.1 are refused in every
    Python process of the run (sitecustomize) and none was needed; and a secret handed over the
    documented ways (environment, git-ignored conf/local) is found nowhere afterwards."""
    server = MlflowServer(tmp_path / "server").start()
    guard_log = tmp_path / "netguard.log"
    (project.path / "conf/local/credentials.yml").write_text(f"warehouse:\n  token: {SECRET}\n")
    env = {**os.environ, "MLFLOW_TRACKING_URI": server.uri,
           "MLFLOW_TRACKING_USERNAME": "prunegate", "MLFLOW_TRACKING_PASSWORD": SECRET,
           "AWS_SECRET_ACCESS_KEY": SECRET, "PRUNEGATE_NETGUARD_LOG": str(guard_log),
           "PYTHONPATH": os.pathsep.join(filter(None, (str(Path(__file__).with_name("netguard")),
                                                       os.environ.get("PYTHONPATH"))))}
    try:
        run = subprocess.run([str(KEDRO), "run", "--config", "pipelines/mnist_mlp.yml",
                              "--params", f"{TINY},{LOOSE}"], cwd=project.path, env=env,
                             text=True, capture_output=True, timeout=600)
        assert run.returncode == 0, run.stderr[-3000:]
        project.uri = server.uri
        logged_every_stage_and_promoted(project)
    finally:
        server.stop()

    lines = guard_log.read_text().splitlines()
    assert any(line.endswith(" armed") for line in lines)            # the guard was on
    assert [line for line in lines if " refused " in line] == []     # and nothing needed out

    assert SECRET not in run.stdout + run.stderr
    for folder in (server.root, project.path):                       # store, artifacts, logs
        for path in folder.rglob("*"):
            if path.is_file() and path.name != "credentials.yml":
                assert SECRET.encode() not in path.read_bytes(), f"the secret is in {path}"


def logged_every_stage_and_promoted(project) -> None:
    client = project.client()
    assert aliases(project) == {MODEL: {"champion": "1", "challenger": "1"}}
    experiment = client.get_experiment_by_name("prunegate").experiment_id
    logged = {m.name for m in client.search_logged_models([experiment])}
    assert logged == {"baseline", "pruned", "finetuned", "distilled", "deployable"}
    tags = client.get_model_version(MODEL, "1").tags
    for key in ("recipe", "gate.passed", "artifact.sha256", "validated.accuracy", "params.sha256",
                "data.test_sha256", "git.commit", "gate.max_size_ratio"):
        assert key in tags, key
    train = client.search_runs([experiment], "attributes.run_name = 'train'")[0]
    assert "train_history.png" in {a.path for a in client.list_artifacts(train.info.run_id)}
