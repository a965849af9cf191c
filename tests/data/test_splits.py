import numpy as np
import pytest

from prunegate.data import SplitConfig, split_arrays
from prunegate.data.splits import split_record, trained_on
from prunegate.errors import ConfigError, DataError


def test_builtin_sample_is_the_5000_digit_mnist(raw_digits):
    assert raw_digits["x"].shape == (5000, 784)
    assert np.bincount(raw_digits["y"]).tolist() == [500] * 10


def test_the_stratified_split_is_seeded_exact_and_model_shaped(raw_digits):
    config = SplitConfig(seed=0, method="stratified")
    train, val, test = split_arrays(raw_digits, config)
    assert (len(train["y"]), len(val["y"]), len(test["y"])) == (3500, 500, 1000)
    assert test["x"].dtype == np.float32 and test["y"].dtype == np.int64
    assert test["x"].shape[1:] == (1, 28, 28) and 0 <= test["x"].min() and test["x"].max() <= 1
    assert np.bincount(test["y"]).tolist() == [100] * 10
    again = split_arrays(raw_digits, config)[2]
    other = split_arrays(raw_digits, SplitConfig(seed=1, method="stratified"))[2]
    assert np.array_equal(again["x"], test["x"])
    assert not np.array_equal(other["x"], test["x"])


def keys(split) -> set[bytes]:
    return {row.tobytes() for row in split["x"]}


def test_the_hash_split_follows_each_sample_as_the_data_grows_and_is_reordered(raw_digits):
    train, val, test = split_arrays(raw_digits, SplitConfig())           # the default
    assert SplitConfig().method == "hash"
    assert sum(map(len, (train["y"], val["y"], test["y"]))) == 5000
    assert abs(len(test["y"]) - 1000) < 4 * np.sqrt(5000 * 0.2 * 0.8)    # binomial
    assert all(set(split["y"].tolist()) == set(range(10)) for split in (train, val, test))
    assert set(test["y"][:100].tolist()) == set(range(10))       # hash order: a fair prefix
    # the first 4,000 digits, shuffled, then all 5,000: every sample keeps its split
    rng = np.random.default_rng(0)
    part = rng.permutation(4000)
    small = split_arrays({**raw_digits, "x": raw_digits["x"][part], "y": raw_digits["y"][part]},
                         SplitConfig())
    for before, after in zip(small, (train, val, test), strict=True):
        assert keys(before) <= keys(after)
    # another salt (data.seed) is another split
    assert keys(split_arrays(raw_digits, SplitConfig(seed=1))[2]) != keys(test)


def test_a_split_record_tells_which_samples_a_model_trained_on(raw_digits):
    """A champion trained with another salt: trained_on marks exactly the current test samples
    that sat in its train or val split, from its record alone."""
    test = split_arrays(raw_digits, SplitConfig())[2]
    theirs = SplitConfig(seed=11)
    their_train, their_val, _ = split_arrays(raw_digits, theirs)
    seen = trained_on(test["x"], split_record(theirs))
    learned = keys(their_train) | keys(their_val)
    assert seen.tolist() == [row.tobytes() in learned for row in test["x"]]
    assert 0.7 < seen.mean() < 0.9                       # ~80% of them: leaked if compared on
    assert not trained_on(test["x"], split_record(SplitConfig())).any()   # same split: none
    assert trained_on(test["x"], None) is None                   # no record: cannot tell
    assert trained_on(test["x"], split_record(SplitConfig(method="stratified"))) is None


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
