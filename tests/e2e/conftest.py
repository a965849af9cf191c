"""An isolated copy of the project (own data/ and mlflow.db) to run ``kedro run`` in."""

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from ..conftest import TEST_SEED

ROOT = Path(__file__).parents[2]
KEDRO = Path(sys.executable).with_name("kedro")

# enough to exercise every stage for real, small enough to finish in seconds
# fewer timing rounds: a test checks that the gate decides, not how precisely
FAST_GATE = "validate.latency_repeats=200,validate.report_repeats=50"
# every seed a run reads; PRUNEGATE_TEST_SEED moves them all (make test-seeds runs 0, 1 and 2)
SEEDS = ",".join(f"{key}={TEST_SEED}" for key in (
    "data.seed", "train.seed", "prune.seed", "finetune.seed", "distill.training.seed",
    "quantize.seed"))
# the accuracy budget off: plumbing runs need the pruned shapes they were written against
TINY = ("train.epochs=2,finetune.epochs=1,distill.training.epochs=1,quantize.timing_repeats=200,"
        "prune.accuracy_budget=false," + FAST_GATE + "," + SEEDS)
# A tiny run is not a good model, and what it scores depends on the machine's float kernels.
# Plumbing tests (registration, promotion, faults) run with every quality floor wide open, so
# no verdict hangs on a 2-epoch model landing near a threshold. Size is structural: 70% of the
# neurons gone is 0.28x in fp32 (where int8 is slow, the quantize stage rightly keeps fp32) and
# under 0.1x in int8, so 0.5 passes both and still fails the dense model. Tests of a decision
# build inputs whose outcome they know instead (tests/test_gates.py, test_run.py).
LOOSE_GATES = {"min_accuracy": 0.0, "max_accuracy_drop_pp": 100, "max_latency_p95_ms": 1000,
               "max_latency_ratio": 100, "max_size_ratio": 0.5, "max_robust_drop_pp": 100,
               "checks": {"per_class_recall_floor": {"threshold": 0.0},
                          "no_worse_than_champion": {"threshold": 100}}}


def dotlist(values: dict, prefix: str = "") -> str:
    """A nested mapping as kedro's --params: {"a": {"b": 1}} -> "a.b=1"."""
    return ",".join(dotlist(v, f"{prefix}{k}.") if isinstance(v, dict) else f"{prefix}{k}={v}"
                    for k, v in values.items())


LOOSE = dotlist(LOOSE_GATES, "gates.")

class Project:
    def __init__(self, path: Path):
        self.path = path
        self.uri = f"sqlite:///{path / 'mlflow.db'}"

    def run(self, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
        if self.uri:                         # empty: the project's own config decides
            env["MLFLOW_TRACKING_URI"] = self.uri
        return subprocess.run([str(KEDRO), "run", *args], cwd=self.path, env=env, text=True,
                              capture_output=True, timeout=timeout)

    def client(self):
        import mlflow
        return mlflow.MlflowClient(tracking_uri=self.uri)


@functools.cache
def _empty_store() -> Path:
    """An MLflow sqlite store with its schema already migrated (once per test process): each
    project starts from a copy instead of running MLflow's ~40 migrations again."""
    import mlflow

    path = Path(tempfile.mkdtemp(prefix="prunegate-store-")) / "mlflow.db"
    mlflow.MlflowClient(tracking_uri=f"sqlite:///{path}").search_experiments()
    return path


def make_project(tmp_path: Path) -> Project:
    for name in ("pyproject.toml", ".telemetry"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copy(_empty_store(), tmp_path / "mlflow.db")
    for name in ("conf", "pipelines"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("local"))
    (tmp_path / "conf" / "local").mkdir()
    (tmp_path / "src").mkdir()  # Kedro wants it; the code itself is the editable install
    for layer in ("01_raw", "05_model_input", "06_models", "08_reporting"):
        (tmp_path / "data" / layer).mkdir(parents=True)
    return Project(tmp_path)


@pytest.fixture
def project(tmp_path) -> Project:
    return make_project(tmp_path)


@pytest.fixture(scope="session")
def gated_project(tmp_path_factory) -> Project:
    """One tiny default-recipe run whose gate passed: v1 is champion. Shared by the tests that
    only need a real run's artifacts and registry (a full run costs ~30 s); they add versions
    and move aliases, but never delete or change v1's artifacts."""
    project = make_project(tmp_path_factory.mktemp("gated"))
    done = project.run("--config", "pipelines/mnist_mlp.yml", "--params", f"{TINY},{LOOSE}")
    assert done.returncode == 0, done.stderr[-3000:]
    return project
