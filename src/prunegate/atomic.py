"""Atomic file writes: a crash, a full disk or a file-size limit never leaves a half-written
artifact under the name a later stage reads."""

import os
from collections.abc import Callable
from pathlib import Path

from prunegate.errors import DataError


def write_atomic(path: str | Path, write: Callable[[Path], None]) -> None:
    """``write(tmp)`` fills a temporary sibling, which then replaces ``path`` in one rename.
    On failure the temporary file is removed and ``path`` is left as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise DataError(f"could not write {path}: {error.strerror or error}. Free disk space "
                        "or raise the file size limit (ulimit -f), then re-run; the previous "
                        "file, if any, is unchanged.") from error
