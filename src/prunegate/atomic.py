"""Atomic file writes: a crash, a full disk, a file-size limit or a second writer never leaves a
half-written artifact under the name a later stage reads."""

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from prunegate.errors import DataError

_UMASK = os.umask(0)
os.umask(_UMASK)


def write_atomic(path: str | Path, write: Callable[[Path], None]) -> None:
    """``write(tmp)`` fills a temporary sibling, which then replaces ``path`` in one rename.

    The temporary name is unique (two writers never share it), and the file and then its folder
    are fsynced, so after a power cut ``path`` holds the old bytes or the new, never a mix. On
    failure the temporary file is removed and ``path`` is left as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    tmp = Path(name)
    try:
        write(tmp)
        with open(tmp, "rb+") as written:
            os.fsync(written.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes it private; an artifact is not
        os.replace(tmp, path)
        _fsync_folder(path.parent)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise DataError(f"could not write {path}: {error.strerror or error}. Free disk space "
                        "or raise the file size limit (ulimit -f), then re-run; the previous "
                        "file, if any, is unchanged.") from error
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _fsync_folder(folder: Path) -> None:
    """The rename itself is durable only once the folder's entry is on disk."""
    with contextlib.suppress(OSError):  # some filesystems cannot open a folder for sync
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
