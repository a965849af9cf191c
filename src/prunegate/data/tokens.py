"""Token data for text classifiers: ``input_ids`` and ``attention_mask`` per sample, and labels.

A tokenizer has already run (prunegate never downloads one): the file holds (N, L) integer ids,
padded to one length L, and the mask that says which positions are real (1) or padding (0).
The raw form packs them as x (N, 2, L) int64 (onnx_io/inputs.py) and records the input names
and the vocabulary size, which the model's embedding is built for.
"""

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from prunegate.data.sources import RawData, encode_labels, raw_data
from prunegate.errors import DataError

log = logging.getLogger(__name__)

INPUTS = ("input_ids", "attention_mask")
TOPICS = ("business", "science", "sports", "world")


def load_tokens(path: str | Path, label_column: str = "label", classes: Sequence | None = None,
                vocab_size: int | None = None) -> RawData:
    """An .npz with ``input_ids``, ``attention_mask`` and ``labels`` (or ``y``), or a Parquet
    table with list columns ``input_ids`` and ``attention_mask`` and a label column.
    ``vocab_size`` declares the tokenizer's vocabulary; without it, the largest id + 1."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"token file {path} does not exist. Point raw_input's filepath at it.")
    columns = _read_parquet(path, label_column) if path.suffix == ".parquet" \
        else _read_npz(path)
    ids, mask, labels = (columns[k] for k in (*INPUTS, "labels"))
    if ids.ndim != 2 or ids.shape != mask.shape or len(labels) != len(ids):
        raise DataError(f"{path}: input_ids and attention_mask must be (samples, length) of "
                        f"one shape with a label each; got {ids.shape}, {mask.shape} and "
                        f"{len(labels)} labels. Pad every sequence to one length.")
    for name, array in zip(INPUTS, (ids, mask), strict=True):
        if not np.issubdtype(array.dtype, np.integer):
            raise DataError(f"{path}: {name} has dtype {array.dtype}; token ids and masks are "
                            "integers. Save them as int64.")
    if not np.isin(mask, (0, 1)).all():
        raise DataError(f"{path}: attention_mask holds values other than 0 and 1 "
                        f"({sorted(set(np.unique(mask).tolist()) - {0, 1})[:5]}). 1 marks a "
                        "real token, 0 padding.")
    if ids.min() < 0:
        raise DataError(f"{path}: input_ids holds negative ids ({int(ids.min())}).")
    top = int(ids.max()) + 1
    if vocab_size is not None and top > vocab_size:
        raise DataError(f"{path}: input_ids reaches {top - 1}, beyond the declared vocab_size "
                        f"{vocab_size}. Fix vocab_size on raw_input to the tokenizer's.")
    y, names = encode_labels(labels, classes, str(path))
    log.info("read %s: %d sequences of %d tokens, %d classes", path, len(ids), ids.shape[1],
             len(names))
    return token_data(ids, mask, y, names, vocab_size or top)


def token_data(ids: np.ndarray, mask: np.ndarray, y: np.ndarray, classes: Sequence[str],
               vocab_size: int) -> RawData:
    """The raw form of token data: ids and mask packed as x (N, 2, L)."""
    x = np.stack([ids, mask], axis=1).astype(np.int64)
    return {**raw_data(x, y, classes), "inputs": np.asarray(INPUTS),
            "vocab_size": np.asarray(vocab_size, dtype=np.int64)}


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except Exception as error:
        raise DataError(f"{path} is not a readable .npz archive ({error}).") from error
    if "labels" not in arrays and "y" in arrays:
        arrays["labels"] = arrays["y"]
    missing = [k for k in (*INPUTS, "labels") if k not in arrays]
    if missing:
        raise DataError(f"{path} has no '{missing[0]}' array (it has {sorted(arrays)}). Save "
                        "np.savez(path, input_ids=ids, attention_mask=mask, labels=labels).")
    return arrays


def _read_parquet(path: Path, label_column: str) -> dict[str, np.ndarray]:
    import pandas as pd

    try:
        frame = pd.read_parquet(path)
    except Exception as error:
        raise DataError(f"cannot read {path} as Parquet ({str(error).splitlines()[0]}).") \
            from error
    missing = [c for c in (*INPUTS, label_column) if c not in frame.columns]
    if missing:
        raise DataError(f"{path} has no column '{missing[0]}' (it has "
                        f"{', '.join(map(str, frame.columns))}). A token table has list "
                        "columns input_ids and attention_mask and a label column "
                        "(label_column on raw_input).")
    columns = {"labels": frame[label_column].to_numpy()}
    for name in INPUTS:
        lengths = frame[name].map(len).to_numpy()
        if len(set(lengths.tolist())) > 1:
            row = int(np.flatnonzero(lengths != lengths[0])[0])
            raise DataError(f"{path}: {name} has {lengths[0]} tokens in row 0 but "
                            f"{lengths[row]} in row {row}. Pad every sequence to one length "
                            "(and mark the padding 0 in attention_mask).")
        columns[name] = np.stack(frame[name].map(np.asarray).to_list())
    return columns


def synthetic_tokens(samples: int = 6000, seq_len: int = 32, vocab_size: int = 512,
                     seed: int = 0) -> RawData:
    """A topic classification task, generated (nothing is downloaded): each of 4 topics owns
    16 keywords; a sequence of 12..seq_len tokens mixes filler words, its topic's keywords
    (18% of positions) and other topics' keywords (4%), then padding (id 0). Keywords can be
    missing or outnumbered, so no model is perfect on it (a bag-of-words logistic regression
    scores ~0.9)."""
    rng = np.random.default_rng(seed)
    keywords = 2 + np.arange(len(TOPICS) * 16).reshape(len(TOPICS), 16)  # 0 pad, 1 unused
    filler = np.arange(2 + keywords.size, vocab_size)
    y = rng.integers(0, len(TOPICS), samples)
    lengths = rng.integers(12, seq_len + 1, samples)
    draw = rng.random((samples, seq_len))
    other = (y[:, None] + rng.integers(1, len(TOPICS), (samples, seq_len))) % len(TOPICS)
    ids = np.where(draw < 0.18, keywords[y[:, None], rng.integers(0, 16, (samples, seq_len))],
                   np.where(draw < 0.22, keywords[other, rng.integers(0, 16, (samples, seq_len))],
                            rng.choice(filler, (samples, seq_len))))
    mask = (np.arange(seq_len)[None, :] < lengths[:, None]).astype(np.int64)
    return token_data(ids * mask, mask, y, TOPICS, vocab_size)


def write_example_tokens(path: str | Path, samples: int = 6000, seed: int = 0) -> Path:
    """The generated topic task as a file TokenDataset reads: .npz (input_ids,
    attention_mask, labels) or, for a .parquet path, a table with list columns."""
    from prunegate.atomic import write_atomic

    raw = synthetic_tokens(samples=samples, seed=seed)
    ids, mask, labels = raw["x"][:, 0], raw["x"][:, 1], raw["classes"][raw["y"]]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        import pandas as pd

        frame = pd.DataFrame({"input_ids": list(ids), "attention_mask": list(mask),
                              "label": labels})
        write_atomic(path, lambda tmp: frame.to_parquet(tmp))
    else:
        def write(tmp: Path) -> None:
            with open(tmp, "wb") as f:
                np.savez(f, input_ids=ids, attention_mask=mask, labels=labels)
        write_atomic(path, write)
    return path
