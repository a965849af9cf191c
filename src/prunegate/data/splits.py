"""A seeded, stratified train/val/test split, shaped as the exact input the models take."""

import logging
from dataclasses import dataclass

import numpy as np

from prunegate.config import choose, integer, number
from prunegate.errors import ConfigError, DataError

log = logging.getLogger(__name__)

ArraySplit = dict[str, np.ndarray]  # {"x": float32 (N, 1, 28, 28) in [0, 1], "y": int64 (N,)}


SOURCES = ("mnist_sample", "synthetic")


@dataclass
class SplitConfig:
    test_fraction: float = 0.2
    val_fraction: float = 0.1
    seed: int = 0
    # mnist_sample: the 5,000 built-in digits; synthetic: `samples` shifted, noisy copies of
    # them (data/synthetic.py), for scale tests
    source: str = "mnist_sample"
    samples: int | None = None

    def __post_init__(self) -> None:
        choose(self.source, SOURCES, "data.source")
        if self.source == "synthetic":
            integer(self.samples, "data.samples", low=100)
        elif self.samples is not None:
            raise ConfigError("data.samples sets the size of data.source 'synthetic'; the "
                              f"'{self.source}' data set has a fixed size.")
        number(self.test_fraction, "data.test_fraction", 0.01, 0.9)
        number(self.val_fraction, "data.val_fraction", 0.01, 0.9)
        integer(self.seed, "data.seed")
        if self.test_fraction + self.val_fraction >= 0.95:
            raise ConfigError("data.test_fraction + data.val_fraction must leave at least 5% of "
                              "the data to train on.")


def to_model_input(x: np.ndarray) -> np.ndarray:
    """uint8 pixels (N, 784) -> float32 (N, 1, 28, 28) in [0, 1], without a float64 copy."""
    out = x.reshape(-1, 1, 28, 28).astype(np.float32)
    out /= 255.0
    return out


def check_raw(raw: dict[str, np.ndarray]) -> None:
    x, y = raw.get("x"), raw.get("y")
    if x is None or y is None:
        raise DataError("raw data needs arrays 'x' and 'y'.")
    if x.ndim != 2 or x.shape[1] != 784 or len(x) != len(y):
        raise DataError(f"raw data must be x (N, 784) with N labels; got x {x.shape}, y {y.shape}.")
    # values (NaN, range, labels, balance) are the data gate's job: it names every problem


def split_arrays(raw: dict[str, np.ndarray], config: SplitConfig) -> tuple[ArraySplit, ...]:
    """(train, val, test), stratified on the label so every split has every class."""
    check_raw(raw)
    x, y = to_model_input(raw["x"]), raw["y"].astype(np.int64)
    # split indices, then take each split once: no intermediate copies of the pixels
    rest, test = _split(np.arange(len(y)), y, config.test_fraction, config.seed)
    val_of_rest = config.val_fraction / (1.0 - config.test_fraction)
    train, val = _split(rest, y[rest], val_of_rest, config.seed)
    return tuple({"x": x[idx], "y": y[idx]} for idx in (train, val, test))


def _split(idx: np.ndarray, y: np.ndarray, fraction: float, seed: int):
    """``idx`` cut in two, stratified on ``y`` (its labels)."""
    # imported here: every stage's process imports this package, only ingest splits (~1.5 s)
    from sklearn.model_selection import train_test_split

    try:
        return train_test_split(idx, test_size=fraction, stratify=y, random_state=seed)
    except ValueError as error:
        # a class too rare to stratify: split anyway and let the data gate report the labels
        log.warning("cannot stratify the split (%s); splitting without stratification", error)
        return train_test_split(idx, test_size=fraction, random_state=seed)
