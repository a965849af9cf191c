"""The synthetic data source: any size, distinct samples, balanced, reproducible."""

import numpy as np
import pytest

from prunegate.data import SplitConfig, split_arrays
from prunegate.data.synthetic import augmented_digits
from prunegate.errors import ConfigError


def test_synthetic_digits_are_distinct_balanced_and_seeded():
    data = augmented_digits(12_000, seed=3)
    assert data["x"].shape == (12_000, 784) and data["x"].dtype == np.uint8
    assert len(np.unique(data["x"], axis=0)) == 12_000          # no exact copies to leak
    counts = np.bincount(data["y"], minlength=10)
    assert counts.min() >= 1150 and counts.max() <= 1250
    again = augmented_digits(12_000, seed=3)
    assert np.array_equal(again["x"], data["x"]) and np.array_equal(again["y"], data["y"])
    assert not np.array_equal(augmented_digits(12_000, seed=4)["x"], data["x"])
    train, val, test = split_arrays(data, SplitConfig(source="synthetic", samples=12_000,
                                                      method="stratified"))
    assert (len(train["y"]), len(val["y"]), len(test["y"])) == (8400, 1200, 2400)
    # the default hash split: each sample's share, so the sizes are binomial around it
    train, val, test = split_arrays(data, SplitConfig(source="synthetic", samples=12_000,
                                                      method="hash"))
    assert abs(len(test["y"]) - 2400) < 4 * np.sqrt(12_000 * 0.2 * 0.8)


def test_the_source_is_checked():
    with pytest.raises(ConfigError, match="unknown data.source 'imagenet'"):
        SplitConfig(source="imagenet")
    with pytest.raises(ConfigError, match="'data.samples' must be a whole number"):
        SplitConfig(source="synthetic")
    with pytest.raises(ConfigError, match="data.samples sets the size of data.source"):
        SplitConfig(samples=100)
