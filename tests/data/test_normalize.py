"""data.normalize: per-channel mean and std applied once at the split, recorded in the split,
followed by the data gate's range check, and refused where it makes no sense."""

from pathlib import Path

import numpy as np
import pytest
import yaml

from prunegate.data.expectations import DataCheckConfig, validate_splits
from prunegate.data.normalize import value_range
from prunegate.data.splits import SplitConfig, split_arrays
from prunegate.data.tokens import synthetic_tokens
from prunegate.errors import ConfigError, DataError

MEAN, STD = [0.5, 0.25, 0.0], [0.5, 0.25, 2.0]


def _rgb(n: int = 300) -> dict:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (n, 3, 4, 4)).astype(np.uint8)
    return {"x": x, "y": np.arange(n) % 3, "classes": np.asarray(["a", "b", "c"]),
            "shape": np.asarray([3, 4, 4])}


def test_each_channel_is_normalised_with_its_own_mean_and_std():
    raw = _rgb()
    plain = split_arrays(raw, SplitConfig(method="stratified"))  # the same samples in each
    normed = split_arrays(raw, SplitConfig(method="stratified",
                                           normalize={"mean": MEAN, "std": STD}))
    for a, b in zip(plain, normed, strict=True):
        expected = (a["x"] - np.reshape(MEAN, (1, 3, 1, 1))) / np.reshape(STD, (1, 3, 1, 1))
        assert np.allclose(b["x"], expected, atol=1e-6)
        assert b["x"].dtype == np.float32 and (b["normalize"] == [MEAN, STD]).all()
    assert value_range(normed[0]) == (-1.0, 3.0)  # channel 0 from -1, channel 1 up to 3
    assert value_range(plain[0]) == (0.0, 1.0)


def test_the_data_gate_range_follows_the_normalisation():
    config = DataCheckConfig(**yaml.safe_load((Path(__file__).parents[2] / "conf" / "base" /
                             "parameters_validate_data.yml").read_text())["validate_data"])
    splits = dict(zip(("train", "val", "test"), split_arrays(
        _rgb(1200), SplitConfig(normalize={"mean": MEAN, "std": STD})), strict=True))
    report = validate_splits(splits, config)
    assert report["success"], report  # [0, 1] pixels now span [-1, 3]: still in range
    splits["test"]["x"][0, 1, 0, 0] = 3.5  # beyond where any pixel can land
    failed = [r["kwargs"]["column"] for r in validate_splits(splits, config)["splits"]["test"]
              ["results"] if not r["success"]]
    assert failed == ["x_max"]


@pytest.mark.parametrize("normalize, match", [
    ({"mean": [0.5], "std": [0.5, 0.5]}, "1 means and 2 standard deviations"),
    ({"mean": [0.5], "std": [0.0]}, "std must be > 0"),
    ({"mean": "0.5", "std": [1.0]}, "list of numbers"),
    ({"mean": [0.5]}, r"must be \{mean"),
])
def test_a_malformed_normalisation_is_refused(normalize, match):
    with pytest.raises(ConfigError, match=match):
        SplitConfig(normalize=normalize)


def test_a_normalisation_that_does_not_fit_the_data_is_refused():
    with pytest.raises(DataError, match="gives 1 channels, and the samples are"):
        split_arrays(_rgb(), SplitConfig(normalize={"mean": [0.5], "std": [0.5]}))
    with pytest.raises(ConfigError, match="token ids are indices"):
        split_arrays(synthetic_tokens(samples=100), SplitConfig(
            normalize={"mean": [0.5], "std": [0.5]}))
