"""Bring your own data: a table (CSV or Parquet), an image folder, or NPZ arrays.

Every loader returns the same raw form the built-in digits have, so ingest, the data gate and
every model see one layout:

- ``x``: the samples, numbers, (N, *shape); uint8 images are scaled to [0, 1] at the split;
- ``y``: int64 class ids 0..K-1;
- ``classes``: the K class names, in id order (what id k means);
- ``shape``: the declared shape of one sample, which the data gate holds every split to.
"""

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from prunegate.errors import DataError

log = logging.getLogger(__name__)

RawData = dict[str, np.ndarray]
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff")


def raw_data(x: np.ndarray, y: np.ndarray, classes: Sequence[str],
             shape: Sequence[int] | None = None) -> RawData:
    """The raw form; ``shape`` when the stored samples are flat (the digits' 784 pixels are
    (1, 28, 28) images)."""
    return {"x": x, "y": y.astype(np.int64), "classes": np.asarray([str(c) for c in classes]),
            "shape": np.asarray(x.shape[1:] if shape is None else shape, dtype=np.int64)}


def encode_labels(labels: np.ndarray, classes: Sequence | None, where: str) -> tuple:
    """Class ids for ``labels`` and the class names in id order. Declared ``classes`` fix the
    order (and so the ids); a label outside them is an error that names it."""
    found = sorted({str(v) for v in labels.tolist()}, key=_natural)
    names = [str(c) for c in classes] if classes else found
    unknown = sorted(set(found) - set(names))
    if unknown:
        raise DataError(f"{where}: labels {unknown[:5]} are not among the declared classes "
                        f"{names}. Fix the labels or add them to data.classes (or the "
                        "dataset's `classes`).")
    ids = {name: i for i, name in enumerate(names)}
    return np.asarray([ids[str(v)] for v in labels.tolist()], dtype=np.int64), names


def load_table(path: str | Path, label_column: str, feature_columns: Sequence[str] | None = None,
               classes: Sequence | None = None) -> RawData:
    """A CSV or Parquet table: one row per sample, numeric feature columns and a label column
    (numbers or names). Without ``feature_columns`` every other column is a feature."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise DataError(f"data file {path} does not exist. Point the catalog entry raw_input's "
                        "filepath at your table.")
    try:
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except Exception as error:
        raise DataError(f"cannot read {path} as {'Parquet' if path.suffix == '.parquet' else 'CSV'}"
                        f" ({str(error).splitlines()[0]}). Check the file.") from error
    if len(frame) == 0:
        raise DataError(f"{path} has 0 rows (a header only). Add the data rows.")
    columns = [str(c) for c in frame.columns]
    duplicates = _duplicate_header(path)
    if duplicates:
        raise DataError(f"{path} names the columns {duplicates} more than once. Give every "
                        "column its own name.")
    if label_column not in columns:
        raise DataError(f"{path} has no label column '{label_column}'. Its columns: "
                        f"{', '.join(columns)}. Set label_column on the catalog entry raw_input.")
    features = list(feature_columns) if feature_columns else [c for c in columns
                                                             if c != label_column]
    missing = [c for c in features if c not in columns]
    if missing or not features:
        raise DataError(f"{path} lacks the feature columns {missing or '(none left)'}. Its "
                        f"columns: {', '.join(columns)}. Fix feature_columns on raw_input.")
    text = [c for c in features if not pd.api.types.is_numeric_dtype(frame[c])]
    if text:
        raise DataError(f"{path}: feature columns {text} are not numeric. Encode them as "
                        "numbers, or leave them out with feature_columns.")
    if frame[label_column].isna().any():
        rows = np.flatnonzero(frame[label_column].isna().to_numpy())[:5].tolist()
        raise DataError(f"{path}: the label column '{label_column}' is empty in rows {rows}. "
                        "Fill or drop those rows.")
    labels = frame[label_column].to_numpy()
    if labels.dtype.kind == "f" and not classes and not np.all(labels == np.round(labels)):
        odd = sorted({float(v) for v in labels if v != round(v)})[:3]
        raise DataError(f"{path}: the label column '{label_column}' holds fractional values "
                        f"{odd}, which are not classes. Fix the labels (a class is a whole "
                        "number or a name), or list the classes on raw_input's `classes` to "
                        "take these values as class names.")
    y, names = encode_labels(labels, classes, str(path))
    x = frame[features].to_numpy(dtype=np.float32)
    log.info("read %s: %d rows, %d features, %d classes", path, len(x), x.shape[1], len(names))
    return raw_data(x, y, names)


def _duplicate_header(path: Path) -> list[str]:
    """Column names a CSV header repeats (pandas would silently rename them f0.1, f0.2)."""
    import pandas as pd

    if path.suffix == ".parquet":
        return []
    header = [str(c) for c in pd.read_csv(path, header=None, nrows=1).iloc[0]]
    return sorted({c for c in header if header.count(c) > 1})


GREY = ("1", "L", "LA", "I", "I;16", "F")  # Pillow's grey modes; anything else is colour


def load_image_folder(path: str | Path, size: Sequence[int] | None = None,
                      mode: str | None = None, classes: Sequence | None = None) -> RawData:
    """``path/<class name>/*.png``: one folder per class. Images keep their size unless ``size``
    ([height, width]) resizes them all; mixed sizes without it are an error naming two of them.
    ``mode`` is a Pillow mode: L (grey, 1 channel) or RGB (3); without it the images' own, and
    a folder mixing grey and colour is an error naming one of each."""
    from PIL import Image

    root = Path(path)
    if not root.is_dir():
        raise DataError(f"image folder {root} does not exist. Point raw_input's path at a "
                        "folder holding one sub-folder of images per class.")
    folders = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: _natural(p.name))
    files = [(f, d.name) for d in folders for f in sorted(d.iterdir())
             if not f.name.startswith(".")]  # .DS_Store and friends are not data
    other = [f for f, _ in files if f.suffix.lower() not in IMAGE_SUFFIXES]
    if other:
        more = f", nor are {len(other) - 1} more files" if len(other) > 1 else ""
        raise DataError(f"{other[0]} is not an image ({', '.join(IMAGE_SUFFIXES)}){more}. "
                        "Class folders hold images only: move it out.")
    if not files:
        raise DataError(f"image folder {root} has no images in class sub-folders "
                        f"({root}/<class>/*.png). Check the path.")
    if mode not in (None, "L", "RGB"):
        raise DataError(f"image mode '{mode}' is not supported: use L (grey) or RGB.")
    images, first, kinds = [], None, {}
    for file, _ in files:
        try:
            with Image.open(file) as image:
                kind = "L" if image.mode in GREY else "RGB"
                kinds.setdefault(kind, file)
                if mode is None and len(kinds) > 1:
                    raise DataError(f"the image folder mixes grey and colour images: "
                                    f"{kinds['L']} is grey, {kinds['RGB']} is colour. Set mode: "
                                    "L (grey) or RGB on raw_input to convert them all.")
                image = image.convert(mode or kind)
                if size is not None:
                    image = image.resize((int(size[1]), int(size[0])))
                array = np.asarray(image, dtype=np.uint8)
        except (OSError, SyntaxError, ValueError) as error:  # Pillow's ways of saying corrupt
            raise DataError(f"cannot read image {file}: it is corrupt or not an image "
                            f"({error}). Remove or replace it.") from error
        if first is None:
            first = (file, array.shape)
        elif array.shape != first[1]:
            raise DataError(f"images differ in size: {first[0]} is {first[1][:2]} but {file} is "
                            f"{array.shape[:2]}. Set size: [height, width] on raw_input to "
                            "resize them all.")
        images.append(array)
    x = np.stack(images)
    x = x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)  # (N, C, H, W), what convs take
    y, names = encode_labels(np.asarray([c for _, c in files]), classes, str(root))
    log.info("read %s: %d images of %s in %d classes", root, len(x), x.shape[1:], len(names))
    return raw_data(x, y, names)


def load_arrays(path: str | Path, classes: Sequence | None = None) -> RawData:
    """An .npz with ``x`` (N, ...) and ``y`` (N,) class labels."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"data file {path} does not exist. Point raw_input's filepath at it.")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except Exception as error:
        raise DataError(f"{path} is not a readable .npz archive ({error}).") from error
    missing = [k for k in ("x", "y") if k not in arrays]
    if missing:
        raise DataError(f"{path} has no '{missing[0]}' array (it has {sorted(arrays)}). Save "
                        "samples as x and labels as y: np.savez(path, x=x, y=y).")
    x = arrays["x"]
    if x.ndim < 2 or len(x) != len(arrays["y"]):
        raise DataError(f"{path}: x must be (samples, ...) with one label each in y; got x "
                        f"{x.shape} and y {arrays['y'].shape}.")
    y, names = encode_labels(arrays["y"], classes, str(path))
    return raw_data(x, y, names)


def _natural(name: str):
    """"2" before "10", names alphabetically after numbers."""
    return (0, int(name), "") if name.lstrip("-").isdigit() else (1, 0, name)
