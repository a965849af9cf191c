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
    grey = load_image_folder(tmp_path, size=[28, 28], mode="L")
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


def test_table_faults_each_name_the_problem(tmp_path):
    header_only = tmp_path / "empty.csv"
    header_only.write_text("f0,f1,label\n")
    with pytest.raises(DataError, match=r"empty.csv has 0 rows \(a header only\)"):
        load_table(header_only, "label")
    twice = tmp_path / "twice.csv"
    twice.write_text("f0,f0,label\n1,2,0\n3,4,1\n")
    with pytest.raises(DataError, match=r"names the columns \['f0'\] more than once"):
        load_table(twice, "label")
    halves = tmp_path / "halves.csv"
    halves.write_text("f0,label\n1,0.5\n2,1.5\n3,0.5\n")
    with pytest.raises(DataError, match=r"fractional values \[0.5, 1.5\], which are not "
                                        r"classes.*list the classes"):
        load_table(halves, "label")
    assert load_table(halves, "label", classes=["0.5", "1.5"])["y"].tolist() == [0, 1, 0]


def test_image_folder_faults_each_name_the_file(tmp_path):
    _images(tmp_path / "ok", [("a", (8, 8)), ("b", (8, 8))])
    notes = tmp_path / "ok" / "a" / "notes.txt"
    notes.write_text("not a picture")
    with pytest.raises(DataError, match=r"notes.txt is not an image .*move it out"):
        load_image_folder(tmp_path / "ok")
    notes.unlink()
    (tmp_path / "ok" / "a" / ".DS_Store").write_bytes(b"\0")  # hidden files are skipped
    assert load_image_folder(tmp_path / "ok")["x"].shape == (2, 1, 8, 8)

    broken = tmp_path / "ok" / "b" / "9.png"
    broken.write_bytes((tmp_path / "ok" / "b" / "1.png").read_bytes()[:40])
    with pytest.raises(DataError, match=r"cannot read image .*9.png: it is corrupt"):
        load_image_folder(tmp_path / "ok")
    broken.unlink()

    _images(tmp_path / "ok", [("b", (8, 8))], "RGB")  # b/0.png in colour beside grey ones
    with pytest.raises(DataError, match=r"mixes grey and colour images: .*a/0.png is grey, "
                                        r".*b/0.png is colour\. Set mode"):
        load_image_folder(tmp_path / "ok")
    assert load_image_folder(tmp_path / "ok", mode="RGB")["x"].shape == (3, 3, 8, 8)
