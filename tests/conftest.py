"""Shared fixtures: the real built-in digits, cut down so every test stays fast."""

import os
from pathlib import Path

import numpy as np
import pytest
import torch

for key, value in {"MLFLOW_DISABLE_TELEMETRY": "true", "GX_ANALYTICS_ENABLED": "False",
                   "DVC_NO_ANALYTICS": "1", "KEDRO_DISABLE_TELEMETRY": "true",
                   "DO_NOT_TRACK": "1"}.items():
    os.environ.setdefault(key, value)

from prunegate.data import SplitConfig, load_mnist_sample, split_arrays  # noqa: E402
from prunegate.models import build_model  # noqa: E402
from prunegate.training.loop import TrainConfig, fit  # noqa: E402

REGRESSION = Path(__file__).parent / "regression"
# the seed of every trained fixture and tiny run: `make test-seeds` runs the suite at 0, 1 and 2,
# so that no test passes by the luck of one seed
TEST_SEED = int(os.environ.get("PRUNEGATE_TEST_SEED", "0"))
# the longest files, longest first (make test runs files whole on 3 workers, --dist loadfile):
# started first, they overlap the many short files instead of running alone at the end
SLOW_FIRST = ("e2e/test_dvc.py", "e2e/test_cli.py", "reliability/test_scale.py",
              "reliability/test_tracking_faults.py", "reliability/test_registry_faults.py",
              "benchmark/test_quick.py", "e2e/test_byo.py", "e2e/test_regression_suite.py",
              "reliability/test_data_faults.py", "e2e/test_search.py")


def pytest_collection_modifyitems(session, config, items):
    def rank(item) -> int:
        path = Path(str(item.fspath)).relative_to(Path(__file__).parent).as_posix()
        return SLOW_FIRST.index(path) if path in SLOW_FIRST else len(SLOW_FIRST)

    items.sort(key=rank)  # stable: each file's own order is kept


def pytest_addoption(parser):
    group = parser.getgroup("prunegate regression suite (tests/regression)")
    group.addoption("--candidate", default=None, metavar="PATH|URI",
                    help="the model the regression suite gates: an ONNX file, "
                         "models:/<name>@<alias> or models:/<name>/<version>")
    group.addoption("--recipe", default="mnist_mlp",
                    help="recipe whose checks, target, baseline and champion to use "
                         "(default: mnist_mlp)")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """The regression suite runs only against a --candidate, and always leaves JUnit XML."""
    asked = any(Path(str(arg).split("::")[0]).resolve().is_relative_to(REGRESSION)
                for arg in config.args)
    if asked and not config.getoption("--candidate"):
        raise pytest.UsageError("tests/regression gates a model: pass --candidate <file.onnx | "
                                "models:/<name>@challenger>.")
    if asked and not config.option.xmlpath:
        config.option.xmlpath = f"data/08_reporting/regression-{config.getoption('--recipe')}.xml"


def pytest_ignore_collect(collection_path, config):
    # `make test` (pytest tests) has no candidate: leave the regression suite out
    if collection_path == REGRESSION and not config.getoption("--candidate"):
        return True
    return None


@pytest.fixture(scope="session")
def raw_digits() -> dict[str, np.ndarray]:
    return load_mnist_sample()


@pytest.fixture(scope="session")
def splits(raw_digits):
    """(train, val, test) with 1,000 / 250 / 500 digits."""
    train, val, test = split_arrays(raw_digits, SplitConfig(seed=TEST_SEED))
    return ({k: v[:1000] for k, v in train.items()}, {k: v[:250] for k, v in val.items()},
            {k: v[:500] for k, v in test.items()})


@pytest.fixture(scope="session")
def trained_mlp(splits):
    """A LeNet-300-100 trained for two epochs: good enough to tell pruning effects apart."""
    torch.manual_seed(TEST_SEED)
    model = build_model("lenet_300_100")
    fit(model, splits[0], splits[1], TrainConfig(epochs=2, seed=TEST_SEED))
    return model
