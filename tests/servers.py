"""Real MLflow tracking servers for tests: a child process on 127.0.0.1, never a mock."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

MLFLOW = Path(sys.executable).with_name("mlflow")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MlflowServer:
    """``mlflow server`` with a sqlite backend and a local artifact root under ``root``."""

    def __init__(self, root: Path, port: int | None = None):
        self.root, self.port = root, port or free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.artifacts = root / "artifacts"
        self.process: subprocess.Popen | None = None

    # generous: on a loaded 2-core CI runner (3 test workers, their kedro subprocesses) the
    # server once needed more than 60 s from its tables to its first /health answer
    def start(self, timeout_s: float = 240) -> "MlflowServer":
        self.root.mkdir(parents=True, exist_ok=True)
        # no job runner: its ~8 huey consumer processes (MLflow 3's GenAI jobs, unused here) cost
        # ~25 s of CPU per start on a 2-core runner
        env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true",
               "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
        self.process = subprocess.Popen(
            [str(MLFLOW), "server", "--backend-store-uri", f"sqlite:///{self.root / 'db.sqlite'}",
             "--artifacts-destination", str(self.artifacts), "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", "1"],
            stdout=open(self.root / "server.log", "ab"), stderr=subprocess.STDOUT, env=env,
            start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.uri}/health", timeout=1)
                return self
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.3)
        self.stop()
        log = (self.root / "server.log").read_text()[-2000:]
        raise RuntimeError(f"mlflow server did not start: {log}")

    def stop(self) -> None:
        """Kill the whole process group: uvicorn's workers die with the server."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, 9)
            self.process.wait(timeout=30)
        self.process = None
