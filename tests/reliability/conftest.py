"""The reliability matrix's one standard. Every failure case, whatever its cause, must end with:

- the documented exit code (2: could not run or evaluate; 1: gate failed or promotion refused);
- one clear message, the last block on stderr, that names the problem and the fix, no traceback;
- the registry as it was: ``champion`` not moved and on a version that passed its gate, and
  every alias (a failed run's ``challenger`` too) on an existing version that carries the
  SHA-256 it was validated with;
- no half-written artifact: every file a later step reads still loads;
- and a re-run after the cause is removed succeeds (each test does that itself).
"""

import json
import subprocess
from pathlib import Path

import numpy as np
import onnx
import pytest

from prunegate.models.checkpoint import load_checkpoint

from ..e2e.conftest import FAST_GATE, KEDRO, LOOSE, TINY, Project, make_project

__all__ = ["FAST_GATE", "KEDRO", "LOOSE", "TINY", "Project", "make_project", "aliases",
           "assert_failed_cleanly", "assert_artifacts_intact"]


@pytest.fixture
def project(tmp_path) -> Project:
    return make_project(tmp_path)


def aliases(project: Project) -> dict[str, dict[str, str]]:
    """{registered model: {alias: version}}, the whole registry's pointers."""
    client = project.client()
    return {m.name: {a: str(v) for a, v in m.aliases.items()}
            for m in client.search_registered_models()}


def assert_registry_safe(project: Project, before: dict[str, dict[str, str]]) -> None:
    client = project.client()
    after = aliases(project)
    for name, pointers in after.items():
        assert pointers.get("champion") == before.get(name, {}).get("champion"), \
            f"{name}: champion moved from {before.get(name)} to {pointers}"
        for alias, version in pointers.items():
            tags = client.get_model_version(name, version).tags   # raises if it is missing
            assert len(tags.get("artifact.sha256", "")) == 64, f"{name}@{alias}: no SHA-256"
            if alias == "champion":
                assert tags.get("gate.passed") == "true", f"{name}@champion -> v{version}"


def assert_artifacts_intact(project: Project, ignore: tuple[Path, ...] = ()) -> None:
    """Whatever a later step would pick up loads: a crash left no half-written file behind.
    ``ignore``: the files a case corrupted on purpose."""
    for path in sorted((project.path / "data").rglob("*")):
        if not path.is_file() or path.name in (".gitkeep", ".prunegate.lock") or path in ignore:
            continue
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as data:
                assert data.files, path
        elif path.suffix == ".pt":
            load_checkpoint(path)
        elif path.suffix == ".onnx":
            onnx.checker.check_model(onnx.load(path))
        elif path.suffix == ".json":
            json.loads(path.read_text())
        elif path.suffix == ".csv":   # a recipe's own data (tests/e2e/test_byo.py)
            assert path.read_text().count("\n") > 1, path
        elif path.suffix == ".png":
            from PIL import Image
            Image.open(path).verify()
        else:
            assert path.suffix in (".md", ".html", ".xml"), f"unexpected file {path}"


def assert_failed_cleanly(project: Project, result: subprocess.CompletedProcess, code: int,
                          problem: str, fix: str,
                          before: dict[str, dict[str, str]] | None = None,
                          ignore: tuple[Path, ...] = ()) -> str:
    """The matrix's checks on a failed command; returns the message block."""
    stderr = result.stderr
    assert result.returncode == code, f"exit {result.returncode}, wanted {code}:\n{stderr[-3000:]}"
    assert "Traceback" not in stderr + result.stdout, stderr[-3000:]
    # ours: "error: ", "FAIL: " or "UNDECIDED: "; click's own usage errors (a missing --config
    # file): "Error: "
    labels = ("error", "FAIL", "UNDECIDED", "Error")
    start = max(stderr.rfind(f"\n{label}: ") for label in labels)
    message = stderr[start + 1:] if start >= 0 else stderr.strip().splitlines()[-1]
    assert message.startswith(tuple(f"{label}: " for label in labels)), stderr[-2000:]
    assert problem in message, f"{problem!r} not in {message!r}"
    assert fix in message, f"{fix!r} not in {message!r}"
    assert_registry_safe(project, before or {})
    assert_artifacts_intact(project, ignore)
    return message
