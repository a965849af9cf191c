"""The GitHub Actions workflows: valid for actionlint, and wired the way the README promises."""

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT = Path(sys.executable).with_name("actionlint")


def load(name: str) -> dict:
    # YAML 1.1 reads the key `on` as True
    return {("on" if k is True else k): v
            for k, v in yaml.safe_load((WORKFLOWS / name).read_text()).items()}


def test_actionlint_finds_nothing():
    done = subprocess.run([str(ACTIONLINT), "-no-color", *sorted(WORKFLOWS.glob("*.yml"))],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_ci_lints_and_runs_the_same_entry_point_with_pip_caching():
    job = load("ci.yml")["jobs"]["test"]
    python = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python"))
    assert python["with"]["python-version"] == "3.11" and python["with"]["cache"] == "pip"
    runs = [s.get("run") for s in job["steps"]]
    assert "make lint" in runs and "bash .ci/run" in runs


def test_compress_is_scheduled_gated_and_promotes_only_after_a_pass():
    flow = load("compress.yml")
    assert flow["on"]["schedule"][0]["cron"]
    assert set(flow["on"]["workflow_dispatch"]["inputs"]) == {"recipe", "promote"}
    jobs = flow["jobs"]
    # the runner comes from the recipe's target profile
    assert "bash .ci/plan.sh" in jobs["plan"]["steps"][-1]["run"]
    assert jobs["compress"]["runs-on"] == "${{ fromJSON(needs.plan.outputs.runs-on) }}"
    assert jobs["compress"]["outputs"]["outcome"] == "${{ steps.run.outputs.outcome }}"
    assert any("bash .ci/compress.sh" in s.get("run", "") for s in jobs["compress"]["steps"])
    assert any(s.get("uses", "").startswith("actions/cache") and s["with"]["path"] == ".dvc/cache"
               for s in jobs["compress"]["steps"])
    promote = jobs["promote"]
    assert "compress" in promote["needs"]
    # only a pass promotes: an undecided gate (exit 3) is not deployable either
    assert promote["if"].startswith("needs.compress.outputs.outcome == 'pass'")
    assert promote["environment"] == "production"
    assert "bash .ci/promote.sh" in promote["steps"][-1]["run"]
    assert "needs.compress.outputs.champion" in promote["steps"][-1]["run"]
    assert flow["env"]["MLFLOW_TRACKING_URI"] == "${{ secrets.MLFLOW_TRACKING_URI }}"


def test_the_pr_gate_runs_on_changes_to_code_config_and_recipes():
    flow = load("gate.yml")
    assert sorted(flow["on"]["pull_request"]["paths"]) == ["conf/**", "pipelines/**", "src/**"]
    steps = flow["jobs"]["metrics-diff"]["steps"]
    assert any("GITHUB_STEP_SUMMARY" in s.get("run", "") and ".ci/gate_pr.sh" in s["run"]
               for s in steps)
