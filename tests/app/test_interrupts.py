"""An interrupt that Python swallows (raised inside a __del__) still stops the run."""

import os
import signal
import time

import pytest

from prunegate.app import interrupts


@pytest.fixture
def handlers(monkeypatch):
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    monkeypatch.setattr(interrupts, "PENDING", [])
    interrupts.install()
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


class SignalledWhileCollected:
    def __init__(self, signum):
        self.signum = signum

    def __del__(self):   # an exception raised here is printed and ignored by Python
        os.kill(os.getpid(), self.signum)
        time.sleep(0.05)


@pytest.mark.parametrize("signum, stop", [(signal.SIGINT, KeyboardInterrupt),
                                          (signal.SIGTERM, interrupts.Terminated)])
def test_a_swallowed_interrupt_is_raised_again_at_the_next_check(handlers, signum, stop):
    interrupts.raise_if_interrupted()            # nothing pending: no-op
    SignalledWhileCollected(signum)              # collected at once; its exception is ignored
    with pytest.raises(stop):
        interrupts.raise_if_interrupted()
