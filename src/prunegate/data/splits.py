"""The train/val/test split, shaped as the exact input the models take.

By default (``method: hash``) a sample's split follows from its own content: a keyed hash of its
model-input bytes, salted with ``data.seed``, cut at the configured fractions. So a sample stays
in the split it was in when the data grows or is re-ordered, duplicates always share a split, and
any later run can tell which of its test samples an earlier model trained on, from that model's
recorded split identity (``split_record`` / ``trained_on``): a champion is never compared on the
samples it learned. ``method: stratified`` is a seeded, label-stratified shuffle instead (every
class in its exact share, but a sample's split changes whenever the data does).
"""

import hashlib
import logging
from dataclasses import dataclass

import numpy as np

from prunegate.data.normalize import Normalize
from prunegate.errors import ConfigError, DataError
from prunegate.validators import choose, integer, number

log = logging.getLogger(__name__)

# {"x": float32 (N, *shape), "y": int64 (N,), "classes": names (K,), "shape": ints}; token
# data adds "inputs" (the model's input names, packed along x's axis 1) and "vocab_size", and
# keeps x int64 (N, 2, L)
ArraySplit = dict[str, np.ndarray]
TOKEN_KEYS = ("inputs", "vocab_size")

SOURCES = ("catalog", "synthetic")
METHODS = ("hash", "stratified")
HASH_VERSION = "hash-v1"  # recorded with each version: a change of scheme must not look equal


@dataclass
class SplitConfig:
    test_fraction: float = 0.2
    val_fraction: float = 0.1
    seed: int = 0
    # catalog: the catalog entry raw_input (the 5,000 built-in digits unless a recipe brings its
    # own data); synthetic: `samples` shifted, noisy copies of the digits, for scale tests
    source: str = "catalog"
    samples: int | None = None
    # hash: each sample's split from its content (stable as the data grows); stratified: a
    # seeded shuffle with exact class shares
    method: str = "hash"
    # per-channel {mean: [...], std: [...]} applied after scaling to [0, 1] (normalize.py);
    # null: none
    normalize: dict | None = None

    def __post_init__(self) -> None:
        self.norm = Normalize.parse(self.normalize)
        choose(self.source, SOURCES, "data.source")
        choose(self.method, METHODS, "data.method")
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


def to_model_input(x: np.ndarray, shape: tuple[int, ...], tokens: bool = False) -> np.ndarray:
    """float32 samples of the declared shape; uint8 pixels are scaled to [0, 1] (in place, so
    there is no float64 copy). Tokens stay int64: ids are indices, not magnitudes."""
    if tokens:
        return x.reshape(-1, *shape).astype(np.int64)
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


def tokens_of(split: ArraySplit) -> dict[str, object] | None:
    """Token data's input names and vocabulary size; None for images and features."""
    if "inputs" not in split:
        return None
    return {"inputs": [str(n) for n in split["inputs"]],
            "vocab_size": int(split["vocab_size"])}


def take(split: ArraySplit, idx) -> ArraySplit:
    """The samples at ``idx``, with the split's declared classes and shape."""
    return {**split, "x": split["x"][idx], "y": split["y"][idx]}


def split_arrays(raw: dict[str, np.ndarray], config: SplitConfig) -> tuple[ArraySplit, ...]:
    """(train, val, test), stratified on the label so every split has every class."""
    shape = check_raw(raw)
    x, y = to_model_input(raw["x"], shape, "inputs" in raw), raw["y"].astype(np.int64)
    classes = raw["classes"] if "classes" in raw else np.arange(int(y.max()) + 1).astype(str)
    declared = {"classes": classes, "shape": np.asarray(shape, dtype=np.int64),
                **{k: raw[k] for k in TOKEN_KEYS if k in raw}}
    if config.norm is not None:
        if "inputs" in raw:
            raise ConfigError("data.normalize scales pixels or features; token ids are "
                              "indices. Remove data.normalize for token data.")
        x = config.norm.apply(x)
        declared["normalize"] = config.norm.as_array()
    # split indices, then take each split once: no intermediate copies of the pixels
    if config.method == "hash":
        # each split in hash order: a fixed shuffle, so a prefix of a split is a fair sample
        u = _unit_hash(x, config.seed)
        code = _cut(u, config.test_fraction, config.val_fraction)
        order = np.argsort(u, kind="stable")
        train, val, test = (order[code[order] == k] for k in (TRAIN, VAL, TEST))
    else:
        rest, test = _split(np.arange(len(y)), y, config.test_fraction, config.seed)
        val_of_rest = config.val_fraction / (1.0 - config.test_fraction)
        train, val = _split(rest, y[rest], val_of_rest, config.seed)
    return tuple(take({"x": x, "y": y, **declared}, idx) for idx in (train, val, test))


TRAIN, VAL, TEST = 0, 1, 2


def split_record(config: SplitConfig) -> dict[str, object]:
    """What identifies a hash split: enough to recompute any sample's split later."""
    return {"method": HASH_VERSION if config.method == "hash" else config.method,
            "salt": config.seed, "test_fraction": config.test_fraction,
            "val_fraction": config.val_fraction}


def assign(x: np.ndarray, record: dict[str, object]) -> np.ndarray:
    """Per sample (model-input float32 rows): TRAIN, VAL or TEST under a hash split record."""
    if record.get("method") != HASH_VERSION:
        raise ValueError(f"not a {HASH_VERSION} split record: {record}")
    return _cut(_unit_hash(x, record["salt"]), float(record["test_fraction"]),
                float(record["val_fraction"]))


def _unit_hash(x: np.ndarray, salt) -> np.ndarray:
    """Per sample, a keyed BLAKE2b hash of its float32 bytes as a number in [0, 1)."""
    key = f"prunegate:{salt}".encode()
    rows = np.ascontiguousarray(x, dtype=np.float32).reshape(len(x), -1)
    return np.array([int.from_bytes(hashlib.blake2b(row.tobytes(), key=key, digest_size=8)
                                    .digest(), "big") for row in rows],
                    dtype=np.float64) / 2.0**64


def _cut(u: np.ndarray, test: float, val: float) -> np.ndarray:
    return np.where(u < test, TEST, np.where(u < test + val, VAL, TRAIN))


def data_sha256(split: dict[str, np.ndarray]) -> str:
    """Content hash of a split's arrays: the same test data gives the same hash."""
    digest = hashlib.sha256()
    for key in sorted(split):
        digest.update(key.encode())
        # the array's own buffer: tobytes() would copy a 50,000-sample split (150 MiB) first
        digest.update(np.ascontiguousarray(split[key]))
    return digest.hexdigest()


def unseen_by(test: ArraySplit, record: dict[str, object] | None
              ) -> tuple[np.ndarray | None, str]:
    """Which test samples a model with this split record never learned from (None: unknown),
    and how that is known. ``record`` may carry ``test_sha256``, the hash of the test split the
    model was validated on: the same split means none of it was learned."""
    n = len(test["y"])
    if record and record.get("test_sha256") == data_sha256(test):
        return np.ones(n, bool), "validated on this same test split"
    seen = trained_on(test["x"], record)
    if seen is None:
        return None, ("its split is not recorded (a stratified split, or registered before "
                      "split records): which test samples it trained on is unknown")
    return ~seen, f"{int((~seen).sum()):,} of {n:,} test samples were in its own test split"


def trained_on(x: np.ndarray, record: dict[str, object] | None) -> np.ndarray | None:
    """Which of ``x`` a model with this split record learned from (its train or val split);
    None when the record cannot tell (not a hash split, or none recorded)."""
    if not record or record.get("method") != HASH_VERSION:
        return None
    return assign(x, record) != TEST


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
