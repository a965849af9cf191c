"""atomic.write_atomic: unique temporary names, nothing left behind, readable results."""

import os
import stat
import threading

import pytest

from prunegate.atomic import write_atomic
from prunegate.errors import DataError


def test_two_writers_never_share_a_temporary_file(tmp_path):
    target, seen, barrier = tmp_path / "model.onnx", [], threading.Barrier(2)

    def writer(payload: bytes):
        def write(tmp):
            seen.append(tmp)
            barrier.wait(timeout=10)  # both are mid-write at once, as two runs would be
            tmp.write_bytes(payload)
        write_atomic(target, write)

    threads = [threading.Thread(target=writer, args=(p,)) for p in (b"A" * 1000, b"B" * 1000)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 2
    assert target.read_bytes() in (b"A" * 1000, b"B" * 1000)  # one whole file, never a mix
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "metrics.json"
    target.write_text("old")

    def fail(tmp):
        tmp.write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(DataError, match="No space left on device"):
        write_atomic(target, fail)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_the_result_is_readable_like_any_file_the_umask_allows(tmp_path):
    target = tmp_path / "gate.md"
    write_atomic(target, lambda tmp: tmp.write_text("ok"))
    old = os.umask(0)
    os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~old
