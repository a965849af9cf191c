"""One run per artifact folder: the second is refused with its holder named; a killed holder
frees the folder (the kernel drops an flock with its process)."""

import subprocess
import sys

import pytest

from prunegate.app.folder_lock import FolderBusy, FolderLock


def test_a_second_run_is_refused_with_the_holder_named_and_admitted_after_release(tmp_path):
    first = FolderLock(tmp_path / "data", "mnist_mlp")
    first.acquire()
    with pytest.raises(FolderBusy, match=r"in use by another run \(pid \d+ on .*recipe "
                                         r"mnist_mlp, started"):
        FolderLock(tmp_path / "data", "mnist_lenet5").acquire()
    first.release()
    with FolderLock(tmp_path / "data", "mnist_lenet5"):
        assert "mnist_lenet5" in (tmp_path / "data" / ".prunegate.lock.json").read_text()
    assert not (tmp_path / "data" / ".prunegate.lock.json").exists()


def test_a_killed_holder_leaves_the_folder_free(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import time; from prunegate.app.folder_lock import FolderLock; "
         f"lock = FolderLock({str(tmp_path)!r}, 'r'); lock.acquire(); print('held', flush=True); "
         "time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(FolderBusy):
            FolderLock(tmp_path, "other").acquire()
    finally:
        holder.kill()
        holder.wait()
    with FolderLock(tmp_path, "other"):   # kill -9 left a stale holder file, but no lock
        pass
