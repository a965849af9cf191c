"""kedro-viz: `kedro viz build` draws the project, each stage collapsed into its namespace."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
KEDRO = Path(sys.executable).with_name("kedro")
STAGES = {"ingest", "validate_data", "train", "prune", "finetune", "distill", "quantize",
          "validate"}


@pytest.mark.e2e
def test_kedro_viz_build_draws_every_stage_as_a_namespace(tmp_path):
    for name in ("pyproject.toml", "conf", "pipelines"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy
        copy(ROOT / name, tmp_path / name)
    (tmp_path / "src").mkdir()  # Kedro wants it; the code itself is the editable install
    done = subprocess.run([str(KEDRO), "viz", "build"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300,
                          env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "true"})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert (tmp_path / "build" / "index.html").is_file()
    main = json.loads((tmp_path / "build" / "api" / "main").read_text())
    assert STAGES <= set(main["modular_pipelines"]), sorted(main["modular_pipelines"])
    tasks = {n["name"] for n in main["nodes"] if n["type"] == "task"}
    assert {"prune_model", "measure_and_gate"} <= tasks
