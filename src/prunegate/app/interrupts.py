"""Ctrl-C and SIGTERM stop a run, even when Python swallows the exception they raise.

A signal's exception is raised wherever the main thread is. When that is a ``__del__`` or a
garbage-collector callback (tensors and progress bars have them), Python prints "Exception
ignored" and carries on, and the run would finish and register as if never interrupted. So the
handler also records the signal, and the hook re-raises it at the next node boundary and before
anything is registered.
"""

import signal


class Terminated(BaseException):
    """SIGTERM, raised where the process is, like KeyboardInterrupt for SIGINT: a BaseException,
    so no ``except Exception`` in a node or a library swallows it on the way up."""


PENDING: list[int] = []   # the signals received by this process, in order


def _stop(signum: int) -> BaseException:
    return Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def _on_signal(signum, frame) -> None:
    PENDING.append(signum)
    raise _stop(signum)


def install() -> None:
    """Route SIGINT and SIGTERM through ``_on_signal`` (main thread only, as Python requires)."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _on_signal)


def raise_if_interrupted() -> None:
    """Raise the interrupt again if one arrived and was swallowed on its way up."""
    if PENDING:
        raise _stop(PENDING[-1])
