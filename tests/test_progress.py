"""One progress display: bars on a terminal, log lines elsewhere, never both."""

import logging

from prunegate import progress


def test_off_a_terminal_no_bar_and_steps_log_at_info(monkeypatch):
    monkeypatch.setattr("sys.stderr.isatty", lambda: False)
    assert progress.bar(range(3)).disable is True
    assert progress.step_level() == logging.INFO


def test_on_a_terminal_a_bar_and_steps_log_at_debug(monkeypatch):
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    assert progress.bar(range(3)).disable is False
    assert progress.step_level() == logging.DEBUG
    monkeypatch.setenv("TQDM_DISABLE", "1")       # a terminal that asked for no bars
    assert progress.bar(range(3)).disable is True and progress.step_level() == logging.INFO
