"""A cross-process lock around moving an alias, so promotion can compare-and-set.

MLflow has no atomic "move this alias only if it still points at X", so the check and the move
happen under a lock:
- ``postgresql://`` stores: a PostgreSQL advisory lock, held by every client of that database;
- ``sqlite:///`` stores: a ``filelock`` on a file beside the database, held by every process
  using it;
- ``http(s)://`` servers: a ``filelock`` in the temp folder, which only serialises promotions
  started from this machine. Promotions to one server from several machines are not
  serialised: run them from one CI job (GitHub Actions ``concurrency:``) or back the server with
  PostgreSQL and point the promoting job at the database.
"""

import contextlib
import hashlib
import tempfile
from pathlib import Path

import filelock

from prunegate.errors import TrackingError


@contextlib.contextmanager
def promotion_lock(uri: str, model_name: str, timeout_s: float = 60.0):
    key = f"prunegate-promote:{uri}:{model_name}"
    if uri.startswith("postgresql"):
        with _advisory_lock(uri, key, timeout_s):
            yield
        return
    if uri.startswith("sqlite:///"):
        path = Path(uri.removeprefix("sqlite:///")).resolve()
        path = path.with_name(f"{path.name}.{model_name}.promote.lock")
    else:
        path = Path(tempfile.gettempdir()) / "prunegate-locks" / (
            hashlib.sha1(key.encode()).hexdigest() + ".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # a new FileLock each call: two promotions in one process exclude each other too
        with filelock.FileLock(path, timeout=timeout_s, is_singleton=False):
            yield
    except filelock.Timeout:
        raise TrackingError(f"another promotion of {model_name} has held {path} for "
                            f"{timeout_s:.0f} s; retry when it has finished.") from None


@contextlib.contextmanager
def _advisory_lock(uri: str, key: str, timeout_s: float):
    import sqlalchemy

    engine = sqlalchemy.create_engine(uri, poolclass=sqlalchemy.pool.NullPool)
    lock_id = int.from_bytes(hashlib.sha1(key.encode()).digest()[:8], "big", signed=True)
    with engine.connect() as conn:
        conn.execute(sqlalchemy.text(f"SET lock_timeout = '{int(timeout_s * 1000)}ms'"))
        conn.execute(sqlalchemy.text("SELECT pg_advisory_lock(:id)"), {"id": lock_id})
        try:
            yield
        finally:
            conn.execute(sqlalchemy.text("SELECT pg_advisory_unlock(:id)"), {"id": lock_id})
    engine.dispose()
