"""The DVC mirror of the pipelines, with real dvc commands in a temporary git repository."""

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import LOOSE_GATES, ROOT, make_project

pytestmark = pytest.mark.e2e
DVC = Path(sys.executable).with_name("dvc")
PRUNEGATE = Path(sys.executable).with_name("prunegate")
MODEL = "prunegate-mnist-mlp"
STAGES = ["ingest", "validate_data", "train", "prune", "finetune", "distill", "quantize",
          "validate"]
# tiny, and loose enough that a 1-epoch model passes its gate on any machine (conftest.py)
TINY = {"parameters_train.yml": {"train": {"epochs": 1}},
        "parameters_finetune.yml": {"finetune": {"epochs": 1}},
        "parameters_prune.yml": {"prune": {"accuracy_budget": False}},
        "parameters_distill.yml": {"distill": {"training": {"epochs": 1}}},
        "parameters_quantize.yml": {"quantize": {"timing_repeats": 200}},
        "parameters_validate.yml": {"validate": {"latency_repeats": 200, "report_repeats": 50},
                                    "gates": LOOSE_GATES}}


def sh(project, *args: str, check: bool = True, **extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MLFLOW_TRACKING_URI": project.uri,
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", **extra}
    done = subprocess.run(list(args), cwd=project.path, env=env, text=True, capture_output=True,
                          timeout=600)
    if check:
        assert done.returncode == 0, f"{args}: {done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def ran(output: str) -> list[str]:
    return [s for s in STAGES if f"Running stage '{s}'" in output]


def set_params(project, file: str, values: dict) -> None:
    path = project.path / "conf" / "base" / file
    params = yaml.safe_load(path.read_text())
    merge(params, values)
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def merge(into: dict, values: dict) -> None:
    for key, value in values.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value)


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("dvc"))
    shutil.copytree(ROOT / "src", project.path / "src", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("dvc.yaml", ".dvcignore", ".gitignore"):
        shutil.copy(ROOT / name, project.path / name)
    shutil.copytree(ROOT / ".dvc", project.path / ".dvc", ignore=shutil.ignore_patterns("tmp"))
    for file, values in TINY.items():
        set_params(project, file, values)
    sh(project, "git", "init", "-q")
    sh(project, "git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", "commit", "-qm",
       "init", "--allow-empty")
    sh(project, "git", "add", "-A")
    sh(project, "git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", "commit", "-qm",
       "project")
    return project


def commit(project, message: str) -> None:
    sh(project, "git", "add", "-A")
    sh(project, "git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", "commit", "-qm",
       message)


def compress_job(project, name: str) -> tuple[subprocess.CompletedProcess, dict, str]:
    """.ci/compress.sh as compress.yml runs it, with GitHub's output and summary files."""
    out, summary = project.path / f"{name}.out", project.path / f"{name}.md"
    done = sh(project, "bash", str(ROOT / ".ci" / "compress.sh"), "mnist_mlp",
              GITHUB_OUTPUT=str(out), GITHUB_STEP_SUMMARY=str(summary))
    outputs = dict(line.split("=", 1) for line in out.read_text().splitlines())
    return done, outputs, summary.read_text()


def test_repro_gate_register_promote_then_noop(repo):
    # compress.yml's jobs, in order, through the scripts the workflow runs. plan: where to run
    plan = sh(repo, "bash", str(ROOT / ".ci" / "plan.sh"), "mnist_mlp",
              GITHUB_OUTPUT=str(repo.path / "plan.out"))
    assert (repo.path / "plan.out").read_text() == 'runs-on="ubuntu-latest"\n', plan.stderr
    # compress: dvc repro, gate, register without promoting, report to GitHub
    first, outputs, summary = compress_job(repo, "first")
    assert ran(first.stdout) == STAGES
    assert outputs == {"data": "data", "passed": "true", "outcome": "pass", "version": "1",
                       "champion": "none"}
    assert "## prunegate: mnist_mlp -> v1 PASS" in summary
    assert (repo.path / "data/08_reporting/gate.md").read_text() in summary
    client = repo.client()
    assert client.get_registered_model(MODEL).aliases == {"challenger": 1}
    # promote (after approval): verified, compare-and-set against the champion gated against,
    # re-gated on the test split and against the baseline the compress job uploaded
    uploaded = repo.path.parent / "compress-artifact"
    for file in ("05_model_input/test.npz", "06_models/baseline.onnx"):
        (uploaded / file).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(repo.path / "data" / file, uploaded / file)
    promote = sh(repo, "bash", str(ROOT / ".ci" / "promote.sh"), "mnist_mlp",
                 outputs["version"], outputs["champion"], str(uploaded))
    assert json.loads(promote.stdout.strip().splitlines()[-1])["version"] == "1"
    assert client.get_registered_model(MODEL).aliases == {"champion": 1, "challenger": 1}
    assert (repo.path / "dvc.lock").is_file()
    # the raw data is a DVC-tracked output, in the local cache without any remote
    lock = yaml.safe_load((repo.path / "dvc.lock").read_text())
    raw = next(o for o in lock["stages"]["ingest"]["outs"]
               if o["path"] == "data/01_raw/raw_data.npz")
    assert (repo.path / ".dvc" / "cache" / "files" / "md5" / raw["md5"][:2] /
            raw["md5"][2:]).is_file()
    commit(repo, "repro")

    # next week, nothing changed: every stage is up to date, nothing to gate or promote
    again, outputs, summary = compress_job(repo, "again")
    assert ran(again.stdout) == []
    assert "Data and pipelines are up to date" in again.stdout
    assert outputs["passed"] == "false" and "nothing changed" in summary
    assert len(client.search_model_versions(f"name='{MODEL}'")) == 1


@pytest.mark.slow  # five more stages (~2 min): make test-slow, which .ci/run also runs
def test_an_experiment_reruns_from_prune_onward_and_diffs(repo):
    if not (repo.path / "dvc.lock").is_file():  # run alone (-m slow): the first repro first
        sh(repo, str(DVC), "repro")
        commit(repo, "repro")
    # a new sparsity, as an experiment: from prune onward re-runs, train does not
    exp = sh(repo, str(DVC), "exp", "run", "-S",
             "conf/base/parameters_prune.yml:prune.sparsity=0.95")
    assert ran(exp.stdout) == ["prune", "finetune", "distill", "quantize", "validate"]
    assert "Stage 'train' didn't change, skipping" in exp.stdout
    shown = sh(repo, str(DVC), "exp", "show", "--no-pager", "--csv")
    assert "0.95" in shown.stdout
    diff = sh(repo, str(DVC), "metrics", "diff", "--md")
    # 95% of the neurons gone instead of 70%: the pruned model's parameter count changes
    row = next(line for line in diff.stdout.splitlines() if "stages.pruned.params" in line)
    assert "metrics.json" in row
    plots = sh(repo, str(DVC), "plots", "diff", "-o", "dvc_plots")
    assert (repo.path / "dvc_plots" / "index.html").is_file(), plots.stdout


def test_the_plan_job_refuses_to_run_without_a_shared_registry(repo):
    done = sh(repo, "bash", str(ROOT / ".ci" / "plan.sh"), "mnist_mlp", check=False,
              MLFLOW_TRACKING_URI="")
    assert done.returncode == 2
    assert "Set the MLFLOW_TRACKING_URI repository secret" in done.stderr


def test_the_runner_comes_from_the_recipes_target_profile(repo):
    """compress.yml's runs-on: a recipe for an edge device names its self-hosted runner's labels.
    Asked on the scheduling machine, which need not have the target's execution provider."""
    (repo.path / "pipelines" / "edge.yml").write_text(
        "run: {pipelines: __default__, recipe: edge}\n")
    edge = repo.path / "conf" / "recipes" / "edge"
    edge.mkdir()
    (edge / "targets.yml").write_text(
        "targets:\n  jetson: {provider: CUDAExecutionProvider, runs_on: [self-hosted, arm64]}\n")
    (edge / "parameters.yml").write_text("validate: {target: jetson}\n")
    info = sh(repo, str(PRUNEGATE), "info", "--recipe", "edge", "--field", "runs_on")
    assert json.loads(info.stdout) == ["self-hosted", "arm64"]
    hosted = sh(repo, str(PRUNEGATE), "info", "--recipe", "mnist_mlp", "--field", "runs_on")
    assert json.loads(hosted.stdout) == "ubuntu-latest"


@pytest.mark.slow  # two tiny pipeline runs (~80 s on a loaded runner): make test-slow
def test_the_pull_request_gate_posts_the_metrics_diff_against_main(repo):
    """.ci/gate_pr.sh as gate.yml runs it: this checkout (half the pruning) vs the last commit."""
    set_params(repo, "parameters_prune.yml", {"prune": {"sparsity": 0.35}})
    done = sh(repo, "bash", str(ROOT / ".ci" / "gate_pr.sh"), "HEAD")
    rows = {cells[0]: cells[1:] for line in done.stdout.splitlines() if line.startswith("| ")
            for cells in [[c.strip() for c in line.strip("|").split("|")]]}
    assert done.stdout.startswith("## prunegate: mnist_mlp on tiny settings, HEAD vs this PR")
    base, head, change = rows["parameters"]
    assert "–" not in (base, head), done.stderr[-4000:]  # both chains ran and wrote metrics
    # fewer neurons removed: more parameters, flagged as the worse direction
    assert int(head.replace(",", "")) > int(base.replace(",", "")) and change.endswith("⚠️")
    assert "HEAD did not run" not in done.stdout and "| metric | HEAD | this PR |" in done.stdout
