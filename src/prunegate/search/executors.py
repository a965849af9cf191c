"""Where trials run: here, one at a time, or as Ray tasks on a local Ray or a cluster.

Both take a job, run ``run_trial`` and hand results back as they finish; the study loop does
not know which one it has. A trial that raises becomes a result with state ``error`` (its
message kept), so one bad point does not end a search of hundreds.
"""

import contextlib
import logging
import os
import socket
import sys
import time
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from prunegate.errors import ConfigError
from prunegate.search.trial import Inputs, TrialJob, run_trial, where

log = logging.getLogger(__name__)


def guarded_trial(job: TrialJob, inputs: Inputs) -> dict[str, Any]:
    try:
        with quiet():
            return run_trial(job, inputs)
    except Exception as error:  # the search goes on; the report names the error
        return {"number": job.number, "chosen": job.chosen, "state": "error", "where": where(),
                "reason": f"{type(error).__name__}: {error}", "ended": time.time(),
                "traceback": traceback.format_exc(limit=6)}


@contextlib.contextmanager
def quiet():
    """A trial's stages log at INFO and draw progress bars; in a search of dozens of trials
    only warnings are worth a line (the search's own bar counts trials)."""
    logger, level = logging.getLogger("prunegate"), logging.getLogger("prunegate").level
    before = os.environ.get("TQDM_DISABLE")
    logger.setLevel(max(level, logging.WARNING))
    os.environ["TQDM_DISABLE"] = "1"
    try:
        yield
    finally:
        logger.setLevel(level)
        if before is None:
            os.environ.pop("TQDM_DISABLE", None)
        else:
            os.environ["TQDM_DISABLE"] = before


class LocalExecutor:
    """In this process, one trial at a time: no set-up, easiest to debug."""

    capacity = 1

    def __init__(self, inputs: Inputs):
        self.inputs, self.queue = inputs, []

    def submit(self, job: TrialJob) -> None:
        self.queue.append(job)

    def next_done(self) -> dict[str, Any]:
        return guarded_trial(self.queue.pop(0), self.inputs)

    @property
    def running(self) -> int:
        return len(self.queue)

    def describe(self) -> dict[str, Any]:
        return {"backend": "local", "workers": 1}

    def close(self) -> None:
        self.queue.clear()


class RayExecutor:
    """Trials as Ray tasks of one CPU each, at most ``workers`` at once.

    No address: a local Ray is started for the search (and stopped after). An address (or
    RAY_ADDRESS): that cluster, whose nodes need prunegate installed."""

    def __init__(self, inputs: Inputs, workers: int, address: str | None):
        import ray

        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # nothing phones home
        self.ray, self.capacity, self.address = ray, workers, address
        if address not in (None, "auto", "local"):
            require_reachable(address)
        src = str(Path.cwd() / "src")  # a project's own model code, for a local Ray's workers
        path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p)
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                   "runtime_env": {"env_vars": {"PYTHONPATH": path}}}
        if address in (None, "local"):
            options |= {"num_cpus": workers, "object_store_memory": 256 * 1024**2}
        try:
            ray.init(address=address, **options)
        except (ConnectionError, RuntimeError, TimeoutError) as error:
            raise ConfigError(f"Ray at {address or 'local'} could not be started or joined "
                              f"({str(error).splitlines()[0]}). Check search.ray_address / "
                              "RAY_ADDRESS, or unset both to run on a local Ray. A cluster with "
                              "token authentication (ray start turns it on since Ray 2.59) also "
                              "needs RAY_AUTH_MODE=token here, with its token in RAY_AUTH_TOKEN "
                              "or ~/.ray/auth_token.") from error
        self.started_here = address in (None, "local")
        self.remote = ray.remote(num_cpus=1, max_retries=0)(guarded_trial)
        self.inputs = ray.put(inputs)
        self.pending: dict[Any, TrialJob] = {}
        log.info("Ray: %s, %s CPUs, %d trials at once", address or "local",
                 ray.cluster_resources().get("CPU", 0), workers)

    def submit(self, job: TrialJob) -> None:
        self.pending[self.remote.remote(job, self.inputs)] = job

    def next_done(self) -> dict[str, Any]:
        (ref,), _ = self.ray.wait(list(self.pending), num_returns=1)
        job = self.pending.pop(ref)
        try:
            return self.ray.get(ref)
        except Exception as error:  # the worker died (out of memory, node lost)
            return {"number": job.number, "chosen": job.chosen, "state": "error", "where": {},
                    "reason": f"Ray task failed: {str(error).splitlines()[0]}",
                    "ended": time.time()}

    @property
    def running(self) -> int:
        return len(self.pending)

    def describe(self) -> dict[str, Any]:
        nodes = [n["NodeManagerAddress"] for n in self.ray.nodes() if n.get("Alive")]
        return {"backend": "ray", "workers": self.capacity, "address": self.address or "local",
                "nodes": nodes, "cpus": self.ray.cluster_resources().get("CPU", 0)}

    def close(self) -> None:
        for ref in self.pending:
            self.ray.cancel(ref, force=True)
        self.pending.clear()
        if self.started_here:
            self.ray.shutdown()


def require_reachable(address: str, timeout_s: float = 5.0) -> None:
    """A quick TCP connect first: Ray itself retries an unreachable address for a minute."""
    parsed = urlparse(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parsed.hostname, parsed.port
    except ValueError:
        host, port = None, None
    if not host or not port:
        raise ConfigError(f"Ray address '{address}' is not host:port (or ray://host:port, or "
                          "auto). Fix search.ray_address or RAY_ADDRESS.")
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as error:
        raise ConfigError(f"the Ray cluster at {address} cannot be reached ({error}). Start it "
                          "(ray start --head), fix search.ray_address / RAY_ADDRESS, or unset "
                          "both to run on a local Ray.") from error


def make_executor(backend: str, inputs: Inputs, workers: int, address: str | None):
    if backend == "local":
        return LocalExecutor(inputs)
    if "ray" not in sys.modules:
        log.info("starting Ray (search.backend: ray) ...")
    return RayExecutor(inputs, workers, address)
