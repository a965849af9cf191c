"""Bring your own data: each loader gives the same raw form, and bad files name the fix."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from prunegate.data import SplitConfig, split_arrays
from prunegate.data.sources import load_arrays, load_image_folder, load_table
from prunegate.errors import DataError


def _table(rows: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"a": rng.normal(size=rows), "b": rng.integers(0, 5, rows),
                         "note": ["x"] * rows,
                         "species": rng.choice(["setosa", "virginica", "versicolor"], rows)})


def test_a_csv_becomes_features_labels_and_class_names(tmp_path):
    frame = _table()
    frame.to_csv(tmp_path / "t.csv", index=False)
    raw = load_table(tmp_path / "t.csv", "species", feature_columns=["a", "b"])
    assert raw["x"].shape == (60, 2) and raw["x"].dtype == np.float32
    assert raw["classes"].tolist() == ["setosa", "versicolor", "virginica"]
    assert raw["shape"].tolist() == [2]
    assert (raw["classes"][raw["y"]] == frame["species"].to_numpy()).all()
    # declared classes fix the ids
    declared = load_table(tmp_path / "t.csv", "species", ["a", "b"],
                          classes=["virginica", "setosa", "versicolor"])
    assert declared["y"][frame["species"].to_numpy() == "virginica"].tolist() == [0] * int(
        (frame["species"] == "virginica").sum())
    train, _, _ = split_arrays(raw, SplitConfig(test_fraction=0.2, val_fraction=0.2))
    assert train["x"].shape[1:] == (2,) and train["classes"].tolist() == raw["classes"].tolist()


def test_parquet_reads_like_csv(tmp_path):
    _table().drop(columns="note").to_parquet(tmp_path / "t.parquet")
    raw = load_table(tmp_path / "t.parquet", "species")
    assert raw["x"].shape == (60, 2) and len(raw["classes"]) == 3


@pytest.mark.parametrize("args, message", [
    ({"label_column": "label"}, "has no label column 'label'. Its columns: a, b, note, species"),
    ({"label_column": "species"}, r"feature columns \['note'\] are not numeric"),
    ({"label_column": "species", "feature_columns": ["a", "c"]},
     r"lacks the feature columns \['c'\]"),
    ({"label_column": "species", "feature_columns": ["a"], "classes": ["setosa"]},
     "are not among the declared classes"),
])
def test_table_errors_name_the_fix(tmp_path, args, message):
    _table().to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(DataError, match=message):
        load_table(tmp_path / "t.csv", **args)
    with pytest.raises(DataError, match="does not exist"):
        load_table(tmp_path / "none.csv", "species")


def _images(root, sizes, mode="L"):
    rng = np.random.default_rng(0)
    for i, (name, size) in enumerate(sizes):
        (root / name).mkdir(parents=True, exist_ok=True)
        shape = (*size, 3) if mode == "RGB" else size
        Image.fromarray(rng.integers(0, 255, shape, dtype=np.uint8), mode).save(
            root / name / f"{i}.png")


def test_an_image_folder_becomes_channel_first_uint8(tmp_path):
    _images(tmp_path, [("cat", (10, 12)), ("dog", (10, 12)), ("cat", (10, 12))], "RGB")
    raw = load_image_folder(tmp_path, mode="RGB")
    assert raw["x"].shape == (3, 3, 10, 12) and raw["x"].dtype == np.uint8
    assert raw["classes"].tolist() == ["cat", "dog"] and raw["y"].tolist() == [0, 0, 1]
    grey = load_image_folder(tmp_path, size=[28, 28])
    assert grey["x"].shape == (3, 1, 28, 28) and grey["shape"].tolist() == [1, 28, 28]


def test_mixed_image_sizes_name_both_and_the_fix(tmp_path):
    _images(tmp_path, [("a", (10, 10)), ("b", (12, 10))])
    with pytest.raises(DataError, match=r"images differ in size.*\(10, 10\).*\(12, 10\).*size: "
                                        r"\[height, width\]"):
        load_image_folder(tmp_path)
    assert load_image_folder(tmp_path, size=[8, 8])["x"].shape == (2, 1, 8, 8)
    with pytest.raises(DataError, match="has no images in class sub-folders"):
        load_image_folder(tmp_path / "a")


def test_npz_arrays_and_their_errors(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.zeros((6, 3, 4)), y=np.array([2, 0, 1, 2, 0, 1]))
    raw = load_arrays(tmp_path / "d.npz")
    assert raw["shape"].tolist() == [3, 4] and raw["y"].tolist() == [2, 0, 1, 2, 0, 1]
    np.savez(tmp_path / "bad.npz", features=np.zeros((6, 3)))
    with pytest.raises(DataError, match="has no 'x' array.*np.savez"):
        load_arrays(tmp_path / "bad.npz")
