"""A seeded, stratified train/val/test split, shaped as the exact input the models take."""

import logging
from dataclasses import dataclass

import numpy as np

from prunegate.config import choose, integer, number
from prunegate.errors import ConfigError, DataError

log = logging.getLogger(__name__)

# {"x": float32 (N, *shape), "y": int64 (N,), "classes": names (K,), "shape": ints}
ArraySplit = dict[str, np.ndarray]

SOURCES = ("catalog", "synthetic")


@dataclass
class SplitConfig:
    test_fraction: float = 0.2
    val_fraction: float = 0.1
    seed: int = 0
    # catalog: the catalog entry raw_input (the 5,000 built-in digits unless a recipe brings its
    # own data); synthetic: `samples` shifted, noisy copies of the digits, for scale tests
    source: str = "catalog"
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


def to_model_input(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """float32 samples of the declared shape; uint8 pixels are scaled to [0, 1] (in place, so
    there is no float64 copy)."""
    out = x.reshape(-1, *shape).astype(np.float32)
    if x.dtype == np.uint8:
        out /= 255.0
    return out


def check_raw(raw: dict[str, np.ndarray]) -> tuple[int, ...]:
    """The declared sample shape, once the arrays agree with it. Values (NaN, range, labels,
    balance) are the data gate's job: it names every problem."""
    x, y = raw.get("x"), raw.get("y")
    if x is None or y is None:
        raise DataError("raw data needs arrays 'x' and 'y'.")
    shape = tuple(int(d) for d in raw.get("shape", x.shape[1:]))
    if x.ndim < 2 or len(x) != len(y) or int(np.prod(shape)) != int(np.prod(x.shape[1:])):
        raise DataError(f"raw data must be x (N, {', '.join(map(str, shape))}) with N labels; "
                        f"got x {x.shape}, y {y.shape}.")
    return shape


def schema(split: ArraySplit) -> tuple[tuple[int, ...], int]:
    """(sample shape, number of classes) that a split declares: what the model is built for.
    Splits written before classes were declared fall back to their own arrays."""
    shape = tuple(int(d) for d in split.get("shape", split["x"].shape[1:]))
    classes = len(split["classes"]) if "classes" in split else int(split["y"].max()) + 1
    return shape, classes


def take(split: ArraySplit, idx) -> ArraySplit:
    """The samples at ``idx``, with the split's declared classes and shape."""
    return {**split, "x": split["x"][idx], "y": split["y"][idx]}


def split_arrays(raw: dict[str, np.ndarray], config: SplitConfig) -> tuple[ArraySplit, ...]:
    """(train, val, test), stratified on the label so every split has every class."""
    shape = check_raw(raw)
    x, y = to_model_input(raw["x"], shape), raw["y"].astype(np.int64)
    classes = raw["classes"] if "classes" in raw else np.arange(int(y.max()) + 1).astype(str)
    declared = {"classes": classes, "shape": np.asarray(shape, dtype=np.int64)}
    # split indices, then take each split once: no intermediate copies of the pixels
    rest, test = _split(np.arange(len(y)), y, config.test_fraction, config.seed)
    val_of_rest = config.val_fraction / (1.0 - config.test_fraction)
    train, val = _split(rest, y[rest], val_of_rest, config.seed)
    return tuple(take({"x": x, "y": y, **declared}, idx) for idx in (train, val, test))


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
