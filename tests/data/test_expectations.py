"""The shipped Great Expectations suite on real splits, corrupted in the ways data goes bad."""

from pathlib import Path

import numpy as np
import pytest
import yaml

from prunegate.data.expectations import (
    DataCheckConfig,
    failure_message,
    require_valid,
    sample_frames,
    validate_splits,
)
from prunegate.errors import ConfigError, DataError

SUITE = yaml.safe_load((Path(__file__).parents[2] / "conf" / "base" /
                        "parameters_validate_data.yml").read_text())["validate_data"]


@pytest.fixture(scope="module")
def config() -> DataCheckConfig:
    return DataCheckConfig(**SUITE)


def _copy(splits):
    return {name: {k: v.copy() for k, v in split.items()}
            for name, split in zip(("train", "val", "test"), splits, strict=True)}


def _failed(report) -> set[tuple[str, str, str | None]]:
    return {(split, r["expectation"], r["kwargs"].get("column"))
            for split, outcome in report["splits"].items()
            for r in outcome["results"] if not r["success"]}


def test_the_real_splits_pass(splits, config):
    report = validate_splits(_copy(splits), config)
    assert report["success"], _failed(report)
    assert report["splits"]["train"]["rows"] == 1000
    assert len(report["splits"]["test"]["results"]) == len(SUITE["expectations"])


@pytest.mark.parametrize("corrupt, expected", [
    ("nan", {("train", "ExpectColumnValuesToBeInSet", "nonfinite")}),
    ("out_of_range", {("test", "ExpectColumnValuesToBeBetween", "x_max")}),
    ("unknown_label", {("val", "ExpectColumnValuesToBeInSet", "label"),
                       ("val", "ExpectColumnDistinctValuesToEqualSet", "label")}),
    ("dropped_class", {("test", "ExpectColumnDistinctValuesToEqualSet", "label")}),
    ("duplicated_test_rows", {("train", "ExpectColumnValuesToBeInSet", "in_splits"),
                              ("test", "ExpectColumnValuesToBeInSet", "in_splits")}),
])
def test_each_corruption_is_caught_by_the_right_expectation(splits, config, corrupt, expected):
    data = _copy(splits)
    if corrupt == "nan":
        data["train"]["x"][3, 0, 5, 5] = np.nan
    elif corrupt == "out_of_range":
        data["test"]["x"][7, 0, 0, 0] = 3.0
    elif corrupt == "unknown_label":
        data["val"]["y"][2] = 11
    elif corrupt == "dropped_class":
        keep = data["test"]["y"] != 4
        data["test"].update(x=data["test"]["x"][keep], y=data["test"]["y"][keep])
    elif corrupt == "duplicated_test_rows":
        data["train"]["x"][:5] = data["test"]["x"][:5]
    report = validate_splits(data, config)
    assert not report["success"]
    failed = _failed(report)
    assert expected <= failed, failed
    message = failure_message(report)
    for split, name, column in expected:
        assert f"{split}: {name}(column={column}" in message
    with pytest.raises(DataError, match="the data failed validation"):
        require_valid(report)


def test_examples_name_the_rows_and_values(splits, config):
    data = _copy(splits)
    data["test"]["x"][[7, 9], 0, 0, 0] = 3.0
    message = failure_message(validate_splits(data, config))
    line = next(x for x in message.splitlines() if "x_max" in x)
    assert "2 unexpected, e.g. values [3.0, 3.0] at rows [7, 9]" in line


def test_frame_columns_are_what_the_suite_reads(splits):
    data = _copy(splits)
    data["train"]["x"][:2] = data["test"]["x"][:2]
    frames = sample_frames(data)
    assert frames["train"]["n_features"].eq(784).all()
    assert frames["train"]["in_splits"].tolist()[:3] == [2, 2, 1]
    shares = frames["test"].groupby("label")["class_share"].first()
    assert shares.sum() == pytest.approx(1.0)


def test_the_suite_config_is_checked():
    with pytest.raises(ConfigError, match="unknown expectation 'ExpectColumnValuesToBeInSat' "
                                          "\\(did you mean 'ExpectColumnValuesToBeInSet'"):
        DataCheckConfig(expectations=[{"expectation": "ExpectColumnValuesToBeInSat",
                                       "kwargs": {"column": "label", "value_set": [1]}}]).suite()
    with pytest.raises(ConfigError, match="no column 'pixels'. Columns: label"):
        DataCheckConfig(expectations=[{"expectation": "ExpectColumnValuesToNotBeNull",
                                       "kwargs": {"column": "pixels"}}])
    with pytest.raises(ConfigError, match="bad arguments"):
        DataCheckConfig(expectations=[{"expectation": "ExpectColumnValuesToBeInSet",
                                       "kwargs": {"column": "label", "value_sett": [1]}}]).suite()
    with pytest.raises(ConfigError, match="must be \\{expectation"):
        DataCheckConfig(expectations=[{"expecation": "ExpectColumnValuesToNotBeNull"}])
