"""Data faults: each bad split stops the run at the data gate, before anything trains."""

import json
import shutil

import numpy as np
import pytest
import yaml
from kedro.io import DatasetError

from prunegate.data.expectations import DataCheckConfig, require_valid, validate_splits
from prunegate.datasets import NpzDataset
from prunegate.errors import DataError

from .conftest import TINY, Project, aliases, assert_failed_cleanly, make_project

pytestmark = pytest.mark.e2e
SPLITS = ("05_model_input", "train.npz", "val.npz", "test.npz")
GX_FIX = "Fix the data (or adapt validate_data.expectations"
ARRAY_FIX = "Fix or regenerate the data"
FILE_FIX = "Delete it and re-run the pipeline that writes it"
# One case per kind of check (the GX suite, the array checks, the file itself) goes through
# `kedro run` and the whole failure standard: exit code, message, registry, artifacts, re-run.
# That path is the same for every cause, so the other causes are checked for their message in
# this process, with the same datasets and suite (a kedro run costs ~20 s of CPU, mostly imports).
KEDRO_CASES = ("nan", "wrong_dtype", "truncated_file")


def _edit(split: str, change):
    def corrupt(folder):
        data = dict(np.load(folder / split))
        change(data, folder)
        np.savez(folder / split, **data)
    return corrupt


def _bytes(split: str, cut):
    def corrupt(folder):
        path = folder / split
        path.write_bytes(cut(path.read_bytes()))
    return corrupt


def _leak(data, folder):
    data["x"][:5] = np.load(folder / "test.npz")["x"][:5]


def _set(key, index, value):
    def change(data, _):
        data[key][index] = value
    return change


def _replace(key, make):
    def change(data, _):
        data[key] = make(data[key])
    return change


# case: (corruption, problem named in the message, the fix it names)
CASES = {
    "nan": (_edit("train.npz", _set("x", (3, 0, 5, 5), np.nan)),
            "train: ExpectColumnValuesToBeInSet(column=nonfinite, value_set=[0]) — 1 unexpected",
            GX_FIX),
    "inf": (_edit("val.npz", _set("x", (0, 0, 1, 1), np.inf)),
            "val: ExpectColumnValuesToBeInSet(column=nonfinite, value_set=[0])", GX_FIX),
    "wrong_dtype": (_edit("train.npz", _replace("x", lambda x: x.astype(str))),
                    "train.x has dtype <U", ARRAY_FIX),
    "wrong_shape": (_edit("train.npz", _replace("x", lambda x: x[..., :27].copy())),
                    "the splits' samples differ in shape (train (1, 28, 27)", ARRAY_FIX),
    "empty_file": (_bytes("test.npz", lambda b: b""), "test.npz is empty", FILE_FIX),
    "truncated_file": (_bytes("train.npz", lambda b: b[:len(b) // 2]),
                       "train.npz is corrupt or not an .npz archive", FILE_FIX),
    "label_outside_set": (_edit("val.npz", _set("y", 0, 11)),
                          "val: ExpectColumnValuesToBeInSet(column=label", GX_FIX),
    "single_class": (_edit("train.npz", _replace("y", np.zeros_like)),
                     "train: ExpectColumnDistinctValuesToEqualSet(column=label", GX_FIX),
    "train_test_overlap": (_edit("train.npz", _leak),
                           "train: ExpectColumnValuesToBeInSet(column=in_splits, value_set=[1])",
                           GX_FIX),
}


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """A project whose splits were ingested once; each case corrupts a copy of it."""
    project = make_project(tmp_path_factory.mktemp("ingested"))
    done = project.run("--recipe", "mnist_mlp", "--pipelines", "ingest")
    assert done.returncode == 0, done.stderr[-2000:]
    return project


@pytest.mark.parametrize("case", KEDRO_CASES)
def test_bad_data_stops_before_training_and_a_fixed_rerun_passes(ingested, tmp_path, case):
    corrupt, problem, fix = CASES[case]
    shutil.copytree(ingested.path, tmp_path, dirs_exist_ok=True)
    project = Project(tmp_path)
    folder = tmp_path / "data" / SPLITS[0]
    good = {name: (folder / name).read_bytes() for name in SPLITS[1:]}
    corrupt(folder)
    before = aliases(project)

    result = project.run("--recipe", "mnist_mlp", "--from-nodes", "validate_data.validate_data",
                         "--params", TINY)
    assert_failed_cleanly(project, result, 2, problem, fix, before,
                          ignore=tuple(folder / name for name in SPLITS[1:]))
    assert not (tmp_path / "data/06_models/baseline.pt").exists()          # nothing trained
    assert not aliases(project)                                            # nothing registered

    for name, content in good.items():                                     # the cause removed
        (folder / name).write_bytes(content)
    rerun = project.run("--recipe", "mnist_mlp", "--pipelines", "validate_data")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    report = json.loads((tmp_path / "data/08_reporting/data_validation.json").read_text())
    assert report["success"] is True                   # training would now go ahead


def _check(folder, config: DataCheckConfig) -> dict:
    """What the run's data stages do: load each split from the catalog's dataset, run the suite,
    and stop on a failure (the hook's require_valid)."""
    splits = {name.removesuffix(".npz"): NpzDataset(str(folder / name)).load()
              for name in SPLITS[1:]}
    report = validate_splits(splits, config)
    require_valid(report)
    return report


@pytest.mark.parametrize("case", [c for c in CASES if c not in KEDRO_CASES])
def test_every_other_fault_is_named_with_its_fix(ingested, tmp_path, case):
    corrupt, problem, fix = CASES[case]
    folder = tmp_path / SPLITS[0]
    shutil.copytree(ingested.path / "data" / SPLITS[0], folder)
    params = yaml.safe_load((ingested.path / "conf/base/parameters_validate_data.yml").read_text())
    config = DataCheckConfig(**params["validate_data"])
    good = {name: (folder / name).read_bytes() for name in SPLITS[1:]}
    corrupt(folder)
    with pytest.raises((DataError, DatasetError)) as error:   # kedro wraps a failed load
        _check(folder, config)
    assert problem in str(error.value) and fix in str(error.value), str(error.value)

    for name, content in good.items():                                     # the cause removed
        (folder / name).write_bytes(content)
    assert _check(folder, config)["success"] is True


def test_a_missing_split_names_the_stage_that_writes_it(project):
    result = project.run("--pipelines", "validate")
    assert_failed_cleanly(project, result, 2, "is missing",
                          "run the pipeline that writes it first (for the whole chain: make run)")
    assert not aliases(project)
