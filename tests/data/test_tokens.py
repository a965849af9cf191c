"""Token sources: .npz and Parquet files of input_ids, attention_mask and labels, and the
generated topic task; what is wrong with a file is named with its fix."""

import numpy as np
import pandas as pd
import pytest

from prunegate.data.splits import SplitConfig, split_arrays, tokens_of
from prunegate.data.tokens import load_tokens, synthetic_tokens
from prunegate.errors import DataError

IDS = np.array([[5, 6, 7, 0], [8, 9, 0, 0], [5, 5, 5, 5]])
MASK = (IDS > 0).astype(np.int64)
LABELS = np.array(["spam", "ham", "spam"])


def test_npz_and_parquet_give_the_same_packed_samples(tmp_path):
    np.savez(tmp_path / "t.npz", input_ids=IDS, attention_mask=MASK, labels=LABELS)
    pd.DataFrame({"input_ids": list(IDS), "attention_mask": list(MASK), "topic": LABELS}
                 ).to_parquet(tmp_path / "t.parquet")
    a = load_tokens(tmp_path / "t.npz")
    b = load_tokens(tmp_path / "t.parquet", label_column="topic")
    for raw in (a, b):
        assert raw["x"].dtype == np.int64 and raw["x"].shape == (3, 2, 4)
        assert (raw["x"][:, 0] == IDS).all() and (raw["x"][:, 1] == MASK).all()
        assert list(raw["classes"]) == ["ham", "spam"] and list(raw["y"]) == [1, 0, 1]
        assert list(raw["inputs"]) == ["input_ids", "attention_mask"]
        assert int(raw["vocab_size"]) == 10  # the largest id + 1
    assert int(load_tokens(tmp_path / "t.npz", vocab_size=32)["vocab_size"]) == 32


@pytest.mark.parametrize("change, match", [
    (lambda d: d.pop("attention_mask"), "no 'attention_mask' array"),
    (lambda d: d.update(attention_mask=MASK * 2), "values other than 0 and 1"),
    (lambda d: d.update(input_ids=IDS.astype(np.float32)), "input_ids has dtype float32"),
    (lambda d: d.update(input_ids=IDS[:, :3]), "of one shape"),
    (lambda d: d.update(input_ids=IDS - 6), "negative ids"),
])
def test_a_broken_token_file_is_named(tmp_path, change, match):
    arrays = {"input_ids": IDS, "attention_mask": MASK, "labels": LABELS}
    change(arrays)
    np.savez(tmp_path / "t.npz", **arrays)
    with pytest.raises(DataError, match=match):
        load_tokens(tmp_path / "t.npz")


def test_ids_beyond_the_declared_vocabulary_and_ragged_rows_are_refused(tmp_path):
    np.savez(tmp_path / "t.npz", input_ids=IDS, attention_mask=MASK, labels=LABELS)
    with pytest.raises(DataError, match="beyond the declared vocab_size 8"):
        load_tokens(tmp_path / "t.npz", vocab_size=8)
    pd.DataFrame({"input_ids": [[1, 2], [1, 2, 3]], "attention_mask": [[1, 1], [1, 1, 1]],
                  "label": [0, 1]}).to_parquet(tmp_path / "r.parquet")
    with pytest.raises(DataError, match="2 tokens in row 0 but 3 in row 1. Pad"):
        load_tokens(tmp_path / "r.parquet")


def test_the_splits_keep_token_ids_as_integers_and_carry_the_input_names():
    train, val, test = split_arrays(synthetic_tokens(samples=400, seq_len=16), SplitConfig())
    for split in (train, val, test):
        assert split["x"].dtype == np.int64 and split["x"].shape[1:] == (2, 16)
        assert tokens_of(split) == {"inputs": ["input_ids", "attention_mask"],
                                    "vocab_size": 512}
    assert len(train["y"]) + len(val["y"]) + len(test["y"]) == 400


def test_the_generated_task_is_deterministic_and_padded_behind_the_mask():
    a, b = synthetic_tokens(samples=300, seed=3), synthetic_tokens(samples=300, seed=3)
    assert (a["x"] == b["x"]).all() and (a["y"] == b["y"]).all()
    ids, mask = a["x"][:, 0], a["x"][:, 1]
    assert ((ids == 0) == (mask == 0)).all()  # padding is id 0 exactly where the mask is 0
    assert mask.sum(1).min() >= 12 and set(np.unique(a["y"])) == {0, 1, 2, 3}


def test_the_example_files_read_back_as_the_generated_task(tmp_path):
    from prunegate.data.tokens import write_example_tokens

    expected = synthetic_tokens(samples=200)
    for name in ("t.npz", "t.parquet"):
        raw = load_tokens(write_example_tokens(tmp_path / name, samples=200))
        assert (raw["x"] == expected["x"]).all() and (raw["y"] == expected["y"]).all()
        assert list(raw["classes"]) == list(expected["classes"])
