"""The GitHub Actions workflows: valid for actionlint, and wired the way the README promises."""

import subprocess
import sys
from pathlib import Path

import pytest
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


def test_ci_lints_and_runs_the_same_entry_point_on_a_cached_venv():
    flow = load("ci.yml")
    job = flow["jobs"]["test"]
    assert any(s.get("uses") == "./.github/actions/setup" for s in job["steps"])
    runs = [s.get("run") for s in job["steps"]]
    assert "make lint" in runs and "bash .ci/run" in runs
    # one run per change: pushes to main, and PRs; a newer push cancels the stale run
    assert flow["on"]["push"] == {"branches": ["main"]} and "pull_request" in flow["on"]
    assert flow["concurrency"]["cancel-in-progress"] is True


def test_the_shared_setup_caches_the_venv_on_the_pinned_dependencies():
    steps = yaml.safe_load((ROOT / ".github/actions/setup/action.yml").read_text())["runs"][
        "steps"]
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"] == ".venv"
    assert "hashFiles('constraints.txt', 'pyproject.toml')" in cache["with"]["key"]
    assert any(s.get("run") == "make setup" for s in steps)


def all_uses() -> list[tuple[str, str]]:
    """(file, uses) for every step of every workflow and of the local composite action."""
    files = [*WORKFLOWS.glob("*.yml"), ROOT / ".github/actions/setup/action.yml"]
    found = []
    for path in files:
        lines = path.read_text().splitlines()
        found += [(path.name, line.split("uses:", 1)[1].strip()) for line in lines
                  if line.strip().lstrip("- ").startswith("uses:")]
    return found


def test_every_action_is_pinned_by_commit_sha_with_its_tag_in_a_comment():
    import re

    uses = all_uses()
    assert len(uses) >= 10
    for name, use in uses:
        if use.startswith("./"):
            continue
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+(\.\d+)*", use), (name, use)


def test_every_workflow_and_job_states_least_privilege_permissions():
    for path in WORKFLOWS.glob("*.yml"):
        flow = load(path.name)
        assert "permissions" in flow, path.name
        assert flow["permissions"] in ({}, {"contents": "read"}), path.name
        for job_name, job in flow["jobs"].items():
            assert "permissions" in job, (path.name, job_name)
            writes = {k for k, v in job["permissions"].items() if v == "write"}
            assert writes <= {"pull-requests"}, (path.name, job_name, writes)


def test_secrets_reach_only_the_jobs_that_use_them():
    for path in WORKFLOWS.glob("*.yml"):
        flow = load(path.name)
        assert "secrets." not in str(flow.get("env", {})), path.name
    jobs = load("compress.yml")["jobs"]
    for name in ("compress", "promote"):
        assert jobs[name]["env"]["MLFLOW_TRACKING_URI"] == "${{ secrets.MLFLOW_TRACKING_URI }}"


def test_dependabot_keeps_the_action_pins_current():
    config = yaml.safe_load((ROOT / ".github/dependabot.yml").read_text())
    (update,) = config["updates"]
    assert update["package-ecosystem"] == "github-actions"
    assert "/.github/actions/setup" in update["directories"]


def test_actionlint_checks_the_run_scripts_with_shellcheck_in_ci():
    """.ci/run installs shellcheck, which actionlint then runs over every run: script."""
    import os
    import shutil

    if shutil.which("shellcheck") is None:
        assert not os.environ.get("CI"), ".ci/run should have installed shellcheck"
        pytest.skip("shellcheck is not installed here (.ci/run installs it in CI)")
    assert "shellcheck" in (ROOT / ".ci/run").read_text()


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
    assert jobs["compress"]["env"]["MLFLOW_TRACKING_URI"] == \
        "${{ secrets.MLFLOW_TRACKING_URI }}"


def test_the_pr_gate_runs_on_changes_to_code_config_and_recipes():
    flow = load("gate.yml")
    assert sorted(flow["on"]["pull_request"]["paths"]) == ["conf/**", "pipelines/**", "src/**"]
    job = flow["jobs"]["metrics-diff"]
    steps = job["steps"]
    assert any("GITHUB_STEP_SUMMARY" in s.get("run", "") and ".ci/gate_pr.sh" in s["run"]
               for s in steps)
    comment = next(s for s in steps if "gh pr comment" in s.get("run", ""))
    assert comment["env"]["GH_TOKEN"] == "${{ github.token }}"
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
