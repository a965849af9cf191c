"""A seeded, stratified train/val/test split, shaped as the exact input the models take."""

import logging
from dataclasses import dataclass

import numpy as np

from prunegate.config import integer, number
from prunegate.errors import ConfigError, DataError

log = logging.getLogger(__name__)

ArraySplit = dict[str, np.ndarray]  # {"x": float32 (N, 1, 28, 28) in [0, 1], "y": int64 (N,)}


@dataclass
class SplitConfig:
    test_fraction: float = 0.2
    val_fraction: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        number(self.test_fraction, "data.test_fraction", 0.01, 0.9)
        number(self.val_fraction, "data.val_fraction", 0.01, 0.9)
        integer(self.seed, "data.seed")
        if self.test_fraction + self.val_fraction >= 0.95:
            raise ConfigError("data.test_fraction + data.val_fraction must leave at least 5% of "
                              "the data to train on.")


def to_model_input(x: np.ndarray) -> np.ndarray:
    """uint8 pixels (N, 784) -> float32 (N, 1, 28, 28) in [0, 1]."""
    return (x.reshape(-1, 1, 28, 28) / 255.0).astype(np.float32)


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
    x_rest, x_test, y_rest, y_test = _split(x, y, config.test_fraction, config.seed)
    val_of_rest = config.val_fraction / (1.0 - config.test_fraction)
    x_train, x_val, y_train, y_val = _split(x_rest, y_rest, val_of_rest, config.seed)
    return ({"x": x_train, "y": y_train}, {"x": x_val, "y": y_val}, {"x": x_test, "y": y_test})


def _split(x: np.ndarray, y: np.ndarray, fraction: float, seed: int):
    # imported here: every stage's process imports this package, only ingest splits (~1.5 s)
    from sklearn.model_selection import train_test_split

    try:
        return train_test_split(x, y, test_size=fraction, stratify=y, random_state=seed)
    except ValueError as error:
        # a class too rare to stratify: split anyway and let the data gate report the labels
        log.warning("cannot stratify the split (%s); splitting without stratification", error)
        return train_test_split(x, y, test_size=fraction, random_state=seed)
