"""One progress display, never two: a tqdm bar on a terminal, and one log line per step where
nobody watches a bar (CI logs, files), where a bar's redraws interleave with the log lines."""

import logging
import os
import sys
from collections.abc import Iterable
from typing import Any

from tqdm.auto import tqdm


def interactive() -> bool:
    """A terminal that shows bars; TQDM_DISABLE=1 turns them off there too."""
    return sys.stderr.isatty() and os.environ.get("TQDM_DISABLE", "").lower() not in (
        "1", "true")


def bar(iterable: Iterable | None = None, **kwargs: Any) -> tqdm:
    """tqdm, shown only on a terminal."""
    return tqdm(iterable, disable=not interactive(), **kwargs)


def step_level() -> int:
    """The level of a per-step log line: INFO where no bar is shown, DEBUG under a bar."""
    return logging.DEBUG if interactive() else logging.INFO
