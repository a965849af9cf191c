"""What must hold before a split can even be put in front of the Great Expectations suite:
the arrays exist, are numeric, agree in length and share one sample shape. The suite then checks
the values (range, NaN, labels, balance, leakage)."""

import zipfile
from pathlib import Path

import numpy as np

from prunegate.errors import DataError

FIX = "Fix or regenerate the data (make run re-creates the built-in splits), then re-run."


def check_arrays(splits: dict[str, dict[str, np.ndarray]]) -> None:
    """Raise a DataError naming the split, the array and what is wrong with it."""
    shapes = {}
    for name, split in splits.items():
        missing = [k for k in ("x", "y") if k not in split]
        if missing:
            raise DataError(f"the {name} split has no '{missing[0]}' array (it has "
                            f"{sorted(split) or 'none'}). {FIX}")
        x, y = split["x"], split["y"]
        if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
            raise DataError(f"{name}.x has dtype {x.dtype}; the models take numbers (float32). "
                            f"{FIX}")
        if not np.issubdtype(y.dtype, np.integer):
            raise DataError(f"{name}.y has dtype {y.dtype}; labels must be integer class ids. "
                            f"{FIX}")
        if x.ndim < 2 or y.ndim != 1:
            raise DataError(f"{name}: x must be (samples, features...) and y (samples,), got "
                            f"x {x.shape} and y {y.shape}. {FIX}")
        if len(x) != len(y):
            raise DataError(f"{name}: {len(x)} samples in x but {len(y)} labels in y. {FIX}")
        if len(x) == 0:
            raise DataError(f"the {name} split is empty. {FIX}")
        shapes[name] = x.shape[1:]
    if len(set(shapes.values())) > 1:
        described = ", ".join(f"{n} {s}" for n, s in shapes.items())
        raise DataError(f"the splits' samples differ in shape ({described}). {FIX}")


def read_npz(path: Path) -> dict[str, np.ndarray]:
    """A dict of arrays from one .npz file (a split the pipeline wrote), refusing pickles."""
    if path.stat().st_size == 0:
        raise DataError(f"data file {path} is empty. Delete it and re-run the pipeline that "
                        "writes it.")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise DataError(f"data file {path} is corrupt or not an .npz archive ({error}). "
                        "Delete it and re-run the pipeline that writes it.") from error
