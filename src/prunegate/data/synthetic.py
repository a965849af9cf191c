"""A synthetic data set of any size, for scale tests: the built-in digits, each copy shifted by
up to 2 pixels and with pixel noise, so every sample is distinct (the data gate's leak check
would catch exact copies across splits) and a model still has digits to learn."""

import numpy as np

from prunegate.data.mnist import DIGITS, IMAGE_SHAPE, load_mnist_sample
from prunegate.data.sources import RawData, raw_data

CHUNK = 4096  # built chunk by chunk: peak memory is the output plus one chunk


def augmented_digits(samples: int, seed: int = 0) -> RawData:
    """``samples`` digits as uint8 (N, 784) with int64 labels (N,), balanced like the sample."""
    base = load_mnist_sample()
    rng = np.random.default_rng(seed)
    # every digit once per round, in a fresh order each round: classes stay balanced
    rounds = -(-samples // len(base["y"]))
    source = np.concatenate([rng.permutation(len(base["y"])) for _ in range(rounds)])[:samples]
    x = np.empty((samples, 784), dtype=np.uint8)
    for start in range(0, samples, CHUNK):
        idx = source[start:start + CHUNK]
        images = base["x"][idx].reshape(-1, 28, 28).astype(np.int16)
        shifts = rng.integers(-2, 3, size=(len(idx), 2))
        for i, (dy, dx) in enumerate(shifts):
            images[i] = np.roll(images[i], (dy, dx), axis=(0, 1))
        images += rng.integers(-12, 13, size=images.shape, dtype=np.int16)
        x[start:start + len(idx)] = np.clip(images, 0, 255).reshape(len(idx), 784)
    return raw_data(x, base["y"][source], DIGITS, IMAGE_SHAPE)
