"""tests/regression as CI runs it: one JUnit test case per gate check, the same decisions as
``prunegate gate --candidate``, on a real run's artifacts and registry."""

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from .conftest import LOOSE_GATES, ROOT

pytestmark = pytest.mark.e2e
PRUNEGATE = Path(sys.executable).with_name("prunegate")
CHECKS = ["min_accuracy", "max_accuracy_drop_pp", "max_latency_p95_ms", "max_latency_ratio",
          "max_size_ratio", "max_robust_drop_pp", "no_worse_than_champion",
          "per_class_recall_floor"]


def run(project, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MLFLOW_TRACKING_URI": project.uri}
    return subprocess.run(list(args), cwd=project.path, env=env, text=True,
                          capture_output=True, timeout=300)


def suite(project, candidate: str, xml: str) -> tuple[subprocess.CompletedProcess, dict]:
    done = run(project, sys.executable, "-m", "pytest", "tests/regression", "-p",
               "no:cacheprovider", "--candidate", candidate, f"--junitxml={xml}")
    cases = {}
    for case in ET.parse(project.path / xml).getroot().iter("testcase"):
        outcome = next((c.tag for c in case if c.tag in ("failure", "error", "skipped")), "pass")
        message = next((c.get("message", "") for c in case), "")
        cases[case.get("name").removeprefix("test_check[").removesuffix("]")] = (outcome,
                                                                               message)
    return done, cases


@pytest.fixture(scope="module")
def regression_project(gated_project):
    """The shared gated run, with its loose budgets in the recipe's config (the suite reads the
    recipe, not --params) and the suite copied in."""
    project = gated_project
    with (project.path / "conf" / "recipes" / "mnist_mlp" / "parameters.yml").open("a") as f:
        yaml.safe_dump({"gates": LOOSE_GATES, "validate": {"latency_repeats": 1000}}, f)
    (project.path / "tests").mkdir()
    shutil.copy(ROOT / "tests" / "conftest.py", project.path / "tests" / "conftest.py")
    shutil.copytree(ROOT / "tests" / "regression", project.path / "tests" / "regression",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return project


def test_one_junit_case_per_check_with_the_same_decisions_as_prunegate_gate(
        regression_project):
    project = regression_project
    done, cases = suite(project, "data/06_models/model.int8.onnx", "pass.xml")
    assert done.returncode == 0, done.stdout[-2000:]
    assert sorted(cases) == sorted(CHECKS)
    assert all(outcome == "pass" for outcome, _ in cases.values()), cases

    # the dense model is not 10x smaller than itself: exactly the size check fails, and the
    # CLI's verdict names the same check
    done, cases = suite(project, "data/06_models/baseline.onnx", "fail.xml")
    assert done.returncode == 1
    assert [name for name, (outcome, _) in cases.items() if outcome == "failure"] == \
        ["max_size_ratio"]
    assert "size_bytes (relative_to_baseline) = 1" in cases["max_size_ratio"][1]
    cli = run(project, str(PRUNEGATE), "gate", "--candidate", "data/06_models/baseline.onnx")
    assert cli.returncode == 1
    last = cli.stderr.strip().splitlines()[-1]
    assert last.startswith("FAIL: max_size_ratio: size_bytes ratio vs baseline = 1")
    assert ";" not in last

    # a registered version by alias; the champion is measured beside it
    done, cases = suite(project, "models:/prunegate-mnist-mlp@champion", "uri.xml")
    assert done.returncode == 0, done.stdout[-2000:]
    assert cases["no_worse_than_champion"][0] == "pass"


def test_an_unusable_candidate_errors_every_case_with_the_reason(regression_project):
    done, cases = suite(regression_project, "models:/prunegate-mnist-mlp@nope", "bad.xml")
    assert done.returncode == 1
    assert sorted(cases) == sorted(CHECKS)
    assert all(outcome == "error" and "has no alias 'nope'" in message
               for outcome, message in cases.values()), cases
    cli = run(regression_project, str(PRUNEGATE), "gate", "--candidate", "missing.onnx")
    assert cli.returncode == 2
    assert "candidate missing.onnx does not exist" in cli.stderr


def test_without_a_candidate_the_suite_refuses_to_run(regression_project):
    done = run(regression_project, sys.executable, "-m", "pytest", "tests/regression", "-p",
               "no:cacheprovider")
    assert done.returncode == 4
    assert "pass --candidate" in done.stderr
