"""One run per artifact folder: a second run that would overwrite the first one's artifacts
mid-run is refused, with a message saying which run holds the folder.

An flock on ``<folder>/.prunegate.lock``: the kernel drops it when the holder exits, even on
kill -9, so a crashed run never leaves the folder locked. Beside it, ``.prunegate.lock.json``
says who holds it (pid, recipe, host, start time), for the refusal message only.
"""

import fcntl
import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from prunegate.errors import ConfigError

LOCK, HOLDER = ".prunegate.lock", ".prunegate.lock.json"


class FolderBusy(ConfigError):
    """Another run holds the artifact folder."""


class FolderLock:
    def __init__(self, folder: str | Path, recipe: str):
        self.folder, self.recipe = Path(folder), recipe
        self._handle = None

    def acquire(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        handle = open(self.folder / LOCK, "a+")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise FolderBusy(f"the artifact folder {self.folder}/ is in use by another run "
                             f"({self._holder()}); two runs in one folder would overwrite "
                             "each other's artifacts. Wait for it to finish, or run from another "
                             "clone of the project (each has its own folders).") from None
        self._handle = handle
        (self.folder / HOLDER).write_text(json.dumps(
            {"pid": os.getpid(), "recipe": self.recipe, "host": socket.gethostname(),
             "started": time.strftime("%Y-%m-%d %H:%M:%S %Z")}))

    def release(self) -> None:
        if self._handle is not None:
            (self.folder / HOLDER).unlink(missing_ok=True)
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    def _holder(self) -> str:
        try:
            who: dict[str, Any] = json.loads((self.folder / HOLDER).read_text())
            return (f"pid {who['pid']} on {who['host']}, recipe {who['recipe']}, started "
                    f"{who['started']}")
        except (OSError, ValueError, KeyError):
            return "its holder is starting"

    def __enter__(self) -> "FolderLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
