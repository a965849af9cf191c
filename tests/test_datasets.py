import numpy as np
import pytest
from kedro.io import DatasetError

from prunegate.datasets import JsonDataset, NpzDataset, OnnxDataset
from prunegate.errors import DataError, find_prunegate_error


def test_npz_round_trip_is_atomic(tmp_path):
    ds = NpzDataset(str(tmp_path / "sub" / "a.npz"))
    ds.save({"x": np.arange(3, dtype=np.float32), "y": np.array([1, 2, 3])})
    assert np.array_equal(ds.load()["y"], [1, 2, 3])
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["a.npz"]   # no .tmp left


def load_error(dataset) -> str:
    """Kedro wraps load errors in DatasetError; the CLI finds ours in the chain, as here."""
    with pytest.raises(DatasetError) as info:
        dataset.load()
    ours = find_prunegate_error(info.value)
    assert isinstance(ours, DataError)
    return str(ours)


def test_missing_and_corrupt_files_name_the_fix(tmp_path):
    assert "missing: run the pipeline that writes it" in load_error(
        NpzDataset(str(tmp_path / "absent.npz")))
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    assert "corrupt" in load_error(NpzDataset(str(tmp_path / "bad.npz")))
    (tmp_path / "bad.onnx").write_bytes(b"\x00garbage")
    assert "corrupt" in load_error(OnnxDataset(str(tmp_path / "bad.onnx")))
    (tmp_path / "bad.json").write_text("{")
    assert "corrupt" in load_error(JsonDataset(str(tmp_path / "bad.json")))


def test_history_is_stored_as_one_record_per_epoch_and_loads_back(tmp_path):
    import json

    from prunegate.datasets import HistoryDataset

    history = {"epoch": [1.0, 2.0], "val_accuracy": [0.5, 0.75]}
    dataset = HistoryDataset(filepath=str(tmp_path / "h.json"))
    dataset.save(history)
    assert json.loads((tmp_path / "h.json").read_text()) == [
        {"epoch": 1.0, "val_accuracy": 0.5}, {"epoch": 2.0, "val_accuracy": 0.75}]
    assert dataset.load() == history
