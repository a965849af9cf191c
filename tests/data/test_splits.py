import numpy as np
import pytest

from prunegate.data import SplitConfig, split_arrays
from prunegate.errors import ConfigError, DataError


def test_builtin_sample_is_the_5000_digit_mnist(raw_digits):
    assert raw_digits["x"].shape == (5000, 784)
    assert np.bincount(raw_digits["y"]).tolist() == [500] * 10


def test_split_is_seeded_stratified_and_model_shaped(raw_digits):
    train, val, test = split_arrays(raw_digits, SplitConfig(seed=0))
    assert (len(train["y"]), len(val["y"]), len(test["y"])) == (3500, 500, 1000)
    assert test["x"].dtype == np.float32 and test["y"].dtype == np.int64
    assert test["x"].shape[1:] == (1, 28, 28) and 0 <= test["x"].min() and test["x"].max() <= 1
    assert np.bincount(test["y"]).tolist() == [100] * 10
    again = split_arrays(raw_digits, SplitConfig(seed=0))[2]
    other = split_arrays(raw_digits, SplitConfig(seed=1))[2]
    assert np.array_equal(again["x"], test["x"])
    assert not np.array_equal(other["x"], test["x"])


def test_bad_raw_data_is_rejected(raw_digits):
    with pytest.raises(DataError, match="x \\(N, 1, 28, 28\\)"):
        split_arrays({**raw_digits, "x": raw_digits["x"][:, :100]}, SplitConfig())
    # values are the data gate's job, so a NaN or a label too rare to stratify still splits
    nan = raw_digits["x"].astype(np.float64)
    nan[0, 0] = np.nan
    rare = raw_digits["y"].copy()
    rare[0] = 11
    train, val, test = split_arrays({"x": nan, "y": rare}, SplitConfig())
    assert sum(len(s["y"]) for s in (train, val, test)) == len(rare)
    assert sum(np.isnan(s["x"]).sum() for s in (train, val, test)) == 1
    with pytest.raises(ConfigError):
        SplitConfig(test_fraction=0.5, val_fraction=0.5)
