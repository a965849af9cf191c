"""Everything that talks to MLflow: tracking runs, logging, registering, moving aliases.

Promotion means moving the ``champion`` alias; MLflow's deprecated stages are never used.
"""

import logging
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from prunegate.config import did_you_mean
from prunegate.errors import ConfigError, TrackingError

log = logging.getLogger(__name__)

CHALLENGER, CHAMPION = "challenger", "champion"


@dataclass
class TrackingConfig:
    # MLFLOW_TRACKING_URI in the environment wins, so CI and teams point elsewhere without edits
    tracking_uri: str = "sqlite:///mlflow.db"
    experiment: str = "prunegate"
    registered_model: str = "prunegate-mnist-mlp"

    def __post_init__(self) -> None:
        for key in ("tracking_uri", "experiment", "registered_model"):
            if not isinstance(getattr(self, key), str) or not getattr(self, key):
                raise ConfigError(f"'mlflow.{key}' must be a non-empty string.")
        scheme = self.uri.split(":", 1)[0]
        if scheme not in ("sqlite", "http", "https", "postgresql", "mysql"):
            raise ConfigError(f"unsupported tracking URI scheme '{scheme}'"
                              f"{did_you_mean(scheme, ['sqlite', 'http', 'https'])}: use "
                              "sqlite:///mlflow.db locally or http(s)://host:port for a server.")

    @property
    def uri(self) -> str:
        return os.environ.get("MLFLOW_TRACKING_URI") or self.tracking_uri


def connect(config: TrackingConfig) -> None:
    """Point MLflow at the tracking store and prove it answers, before any work starts."""
    import mlflow

    uri = config.uri
    # fail in seconds, not after MLflow's minutes of retries
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
    if uri.startswith(("http://", "https://")):
        try:
            urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=5).read()
        except (urllib.error.URLError, OSError) as error:
            raise TrackingError(
                f"MLflow tracking server {uri} cannot be reached ({error}). Start it, or set "
                "MLFLOW_TRACKING_URI / mlflow.tracking_uri to a reachable server "
                "(sqlite:///mlflow.db for a local store).") from error
    mlflow.set_tracking_uri(uri)
    try:
        mlflow.set_experiment(config.experiment)
    except Exception as error:
        raise TrackingError(f"MLflow tracking store {uri} cannot be used ({error}). Check the "
                            "URI, its permissions and that its database is not corrupt.") from error


class RunTracker:
    """One parent run per pipeline run, with one nested child run per stage."""

    def __init__(self, config: TrackingConfig, run_name: str, params: dict[str, Any]):
        import mlflow

        self._mlflow = mlflow
        connect(config)
        self.parent = mlflow.start_run(run_name=run_name)
        mlflow.log_params(flatten(params))
        self.stage: str | None = None

    def start_stage(self, stage: str, params: dict[str, Any]) -> None:
        if stage == self.stage:
            return
        self.end_stage()
        self._mlflow.start_run(run_name=stage, nested=True)
        self._mlflow.log_params(flatten(params))
        self.stage = stage

    def end_stage(self, status: str = "FINISHED") -> None:
        if self.stage is not None:
            self._mlflow.end_run(status=status)
            self.stage = None

    def log_history(self, history: dict[str, list[float]]) -> None:
        """Per-epoch curves, one metric step per epoch."""
        for key, values in history.items():
            if key == "epoch":
                continue
            for step, value in zip(history["epoch"], values, strict=False):
                self._mlflow.log_metric(key, value, step=int(step))

    def log_metrics(self, metrics: dict[str, float], prefix: str = "") -> None:
        self._mlflow.log_metrics({f"{prefix}{k}": float(v) for k, v in metrics.items()
                                  if isinstance(v, int | float)})

    def log_dict(self, data: dict[str, Any], name: str) -> None:
        self._mlflow.log_dict(data, name)

    def end(self, status: str = "FINISHED") -> None:
        self.end_stage(status)
        self._mlflow.end_run(status=status)


def register_deployable(onnx_model: Any, input_example: Any, model_name: str,
                        tags: dict[str, str], passed: bool) -> str:
    """Log the ONNX artifact, register it as a new version, alias it; returns the version.

    ``challenger`` goes to every new version; ``champion`` moves only when the gate passed.
    """
    import mlflow

    # one self-contained file, byte-identical to the artifact that was validated (MLflow's
    # default splits tensors into a side file, and then the registered bytes differ)
    info = mlflow.onnx.log_model(onnx_model, name="deployable", input_example=input_example,
                                 onnx_execution_providers=["CPUExecutionProvider"],
                                 save_as_external_data=False)
    version = mlflow.register_model(info.model_uri, model_name, tags=tags).version
    client = mlflow.MlflowClient()
    client.set_registered_model_alias(model_name, CHALLENGER, version)
    if passed:
        client.set_registered_model_alias(model_name, CHAMPION, version)
        log.info("registered %s version %s as %s and %s", model_name, version, CHALLENGER, CHAMPION)
    else:
        log.info("registered %s version %s as %s; %s left where it was", model_name, version,
                 CHALLENGER, CHAMPION)
    return str(version)


def flatten(params: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """{"prune": {"sparsity": 0.7}} -> {"prune.sparsity": "0.7"}; MLflow params are flat strings."""
    flat: dict[str, str] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = str(value)[:6000]
    return flat
