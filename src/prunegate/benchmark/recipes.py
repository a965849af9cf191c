"""Run prunegate's own recipes for the benchmark: the real pipelines, in a scratch copy.

Each recipe runs through ``kedro run`` exactly as a user runs it, in a temporary copy of the
project's ``conf/`` and ``pipelines/``, so the user's ``data/`` and ``mlflow.db`` are never
touched. Seeds and (in quick mode) epochs are set with ``--params``.
"""

import logging
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from prunegate.errors import ConfigError

log = logging.getLogger(__name__)

# Kedro logs a node by its namespaced name ("Completed node: train.train_baseline")
_COMPLETED = re.compile(r"^(\d\d:\d\d:\d\d) \S+\s+Completed node: (?:\w+\.)*(\w+)", re.M)


def scratch_project(root: Path, into: Path) -> Path:
    """A copy of the project's configuration, without ``conf/local`` (no team servers)."""
    into.mkdir(parents=True, exist_ok=True)
    shutil.copy(root / "pyproject.toml", into / "pyproject.toml")
    if (root / ".telemetry").exists():   # kedro-telemetry's consent: no
        shutil.copy(root / ".telemetry", into / ".telemetry")
    shutil.copytree(root / "pipelines", into / "pipelines", dirs_exist_ok=True)
    shutil.copytree(root / "conf", into / "conf", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("local"))
    (into / "conf" / "local").mkdir(exist_ok=True)
    # Kedro wants a source folder inside the project; the code itself is the installed package
    (into / "src").mkdir(exist_ok=True)
    return into


def run_recipe(project: Path, recipe: str,
               params: dict[str, object]) -> tuple[Path, float, bool]:
    """Run ``recipe`` in ``project``; returns its data folder, the seconds its compression
    stages (prune to quantize) took, read from the run's own log, and whether its gate passed."""
    overrides = ",".join(f"{k}={v}" for k, v in params.items())
    kedro = Path(sys.executable).with_name("kedro")
    command = [str(kedro), "run", "--config", f"pipelines/{recipe}.yml", "--params", overrides]
    log.info("bench: %s", " ".join(command))
    done = subprocess.run(command, cwd=project, capture_output=True, text=True)
    folder = project / _data_folder(project, recipe)
    # exit 1 (failed) or 3 (undecided) with an artifact: that recipe is still measured, and its
    # row says the gate did not pass
    if done.returncode not in (0, 1, 3) or not (folder / "06_models" / "model.int8.onnx").exists():
        tail = "\n".join(done.stderr.strip().splitlines()[-8:])
        raise ConfigError(f"recipe {recipe} could not run (exit {done.returncode}):\n{tail}")
    return folder, compression_seconds(done.stderr), done.returncode == 0


def compression_seconds(log_text: str) -> float:
    """From the end of ``train_baseline`` to the end of ``quantize_model`` (1 s resolution)."""
    stamps = {node: datetime.strptime(t, "%H:%M:%S") for t, node in _COMPLETED.findall(log_text)}
    if "train_baseline" not in stamps or "quantize_model" not in stamps:
        return float("nan")
    return (stamps["quantize_model"] - stamps["train_baseline"]).total_seconds() % 86400


def _data_folder(project: Path, recipe: str) -> str:
    globals_file = project / "conf" / "recipes" / recipe / "globals.yml"
    if not globals_file.exists():
        return "data"
    for line in globals_file.read_text().splitlines():
        if line.startswith("data:"):
            return line.split(":", 1)[1].strip()
    return "data"
