"""Tracking: one parent run per pipeline run, one nested child run per stage."""

import contextlib
import json
import logging
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from prunegate.errors import ConfigError, TrackingError
from prunegate.onnx_io.inputs import graph_feeds
from prunegate.registry.serving import ONNX_ARTIFACT
from prunegate.registry.signature import serving_signature
from prunegate.validators import did_you_mean

log = logging.getLogger(__name__)
SERVING = Path(__file__).with_name("serving.py")  # logged with every model: models from code
# the MLflow UI opens an untagged experiment in its GenAI views; this tag makes it a machine
# learning one, with the runs table, model comparison and charts
EXPERIMENT_KIND = "mlflow.experimentKind"


@dataclass
class TrackingConfig:
    # MLFLOW_TRACKING_URI in the environment wins, so CI and teams point elsewhere without edits
    tracking_uri: str = "sqlite:///mlflow.db"
    experiment: str = "prunegate"
    registered_model: str = "prunegate-mnist-mlp"
    # move champion when the gate passes. Off: register as challenger only, and leave promotion
    # to `prunegate promote` (CI's approved promote job). PRUNEGATE_PROMOTE=false wins.
    promote: bool = True

    def __post_init__(self) -> None:
        for key in ("tracking_uri", "experiment", "registered_model"):
            if not isinstance(getattr(self, key), str) or not getattr(self, key):
                raise ConfigError(f"'mlflow.{key}' must be a non-empty string.")
        if not isinstance(self.promote, bool):
            raise ConfigError(f"'mlflow.promote' must be true or false, got {self.promote!r}.")
        _ = self.promote_on_pass  # an unreadable PRUNEGATE_PROMOTE fails before any work
        scheme = self.uri.split(":", 1)[0].split("+", 1)[0]
        if scheme not in ("sqlite", "http", "https", "postgresql", "mysql"):
            raise ConfigError(f"unsupported tracking URI scheme '{scheme}'"
                              f"{did_you_mean(scheme, ['sqlite', 'http', 'https'])}: use "
                              "sqlite:///mlflow.db locally, http(s)://host:port for a server or "
                              "postgresql://… for a team database.")

    @property
    def promote_on_pass(self) -> bool:
        value = os.environ.get("PRUNEGATE_PROMOTE", "").strip().lower()
        if not value:
            return self.promote
        if value not in ("true", "false", "1", "0"):
            raise ConfigError(f"PRUNEGATE_PROMOTE must be true or false, got '{value}'.")
        return value in ("true", "1")

    @property
    def uri(self) -> str:
        """MLFLOW_TRACKING_URI, else this config's tracking_uri (which Kedro's credentials.yml
        can set, through with_credentials)."""
        return os.environ.get("MLFLOW_TRACKING_URI") or self.tracking_uri


def redact(uri: str) -> str:
    """The URI without a password, for messages and logs."""
    if "@" in uri and "://" in uri:
        scheme, rest = uri.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"
    return uri


@contextlib.contextmanager
def tracking_errors(uri: str, doing: str):
    """Turn a tracking store that went away into one clear TrackingError."""
    from mlflow.exceptions import MlflowException
    from requests.exceptions import RequestException

    try:
        yield
    except (MlflowException, RequestException, OSError) as error:
        first = _reason(error)
        raise TrackingError(
            f"MLflow tracking store {redact(uri)} failed while {doing} ({first}). Nothing was "
            f"promoted. {store_fix(uri, error)}") from error


def _reason(error: BaseException) -> str:
    """The line of a store error that says what happened: the database driver's own, when
    SQLAlchemy wrapped it in lines about sessions and autoflush."""
    lines = str(error).splitlines() or [type(error).__name__]
    return next((line for line in lines if "sqlite3." in line or "psycopg" in line),
                lines[0])[:300]


def store_fix(uri: str, error: BaseException) -> str:
    """What to do about a store that failed: a file store's fix is not a server's."""
    text = str(error).lower()
    if uri.startswith("sqlite:///") and ("readonly" in text or "read-only" in text):
        path = Path(uri.removeprefix("sqlite:///").split("?", 1)[0].removeprefix("file:"))
        return (f"The tracking database {path} is read-only for this user: give it and its "
                f"folder write permission (chmod u+w {path} {path.parent}), or point "
                "MLFLOW_TRACKING_URI at a writable store, then re-run.")
    if uri.startswith("sqlite:///"):
        return "Check that the database file exists and is not corrupt, then re-run."
    return "Check that the server is up, then re-run."


def connect(config: TrackingConfig) -> str:
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
                f"MLflow tracking server {redact(uri)} cannot be reached ({error}). Start it, or "
                "set MLFLOW_TRACKING_URI / mlflow.tracking_uri to a reachable server "
                "(sqlite:///mlflow.db for a local store).") from error
    mlflow.set_tracking_uri(uri)
    try:
        experiment = mlflow.set_experiment(config.experiment)
        if experiment.tags.get(EXPERIMENT_KIND) is None:
            mlflow.MlflowClient().set_experiment_tag(experiment.experiment_id, EXPERIMENT_KIND,
                                                     "custom_model_development")
    except Exception as error:
        fix = store_fix(uri, error) if uri.startswith("sqlite:///") else (
            "Check the URI, its credentials and that its database is reachable.")
        raise TrackingError(f"MLflow tracking store {redact(uri)} cannot be used "
                            f"({_reason(error)}). {fix}") from error
    return uri


class RunTracker:
    """One parent run per pipeline run, with one nested child run per stage."""

    def __init__(self, config: TrackingConfig, run_name: str, params: dict[str, Any]):
        import mlflow

        self._mlflow = mlflow
        self.uri = connect(config)
        with tracking_errors(self.uri, "starting the run"):
            self.parent = mlflow.start_run(run_name=run_name)
            mlflow.log_params(flatten(params))
        self.stage: str | None = None
        self._stage_runs: dict[str, str] = {}
        self.model_ids: dict[str, str] = {}  # logged model name -> its LoggedModel id

    def start_stage(self, stage: str, params: dict[str, Any]) -> None:
        """Open the stage's child run; a stage whose nodes Kedro interleaves with another's
        (it orders nodes by data, not by stage) resumes its own run instead of opening a second."""
        if stage == self.stage:
            return
        self.end_stage()
        with tracking_errors(self.uri, f"starting stage {stage}"):
            if stage in self._stage_runs:
                self._mlflow.start_run(run_id=self._stage_runs[stage], nested=True)
            else:
                run = self._mlflow.start_run(run_name=stage, nested=True)
                self._mlflow.log_params(flatten(params))
                self._stage_runs[stage] = run.info.run_id
        self.stage = stage

    def end_stage(self, status: str = "FINISHED") -> None:
        if self.stage is not None:
            self.stage = None
            with tracking_errors(self.uri, "closing a stage run"):
                self._mlflow.end_run(status=status)

    def log_history(self, history: dict[str, list[float]]) -> None:
        """Per-epoch curves, one metric step per epoch."""
        with tracking_errors(self.uri, "logging training curves"):
            for key, values in history.items():
                if key == "epoch":
                    continue
                for step, value in zip(history["epoch"], values, strict=False):
                    self._mlflow.log_metric(key, value, step=int(step))

    def log_metrics(self, metrics: dict[str, float], prefix: str = "",
                    model: str | None = None) -> None:
        """Metrics on the stage's run, linked to the logged model named ``model`` when there
        is one, so that the UI's Models tab compares the stages."""
        with tracking_errors(self.uri, "logging metrics"):
            self._mlflow.log_metrics({f"{prefix}{k}": float(v) for k, v in metrics.items()
                                      if isinstance(v, int | float)},
                                     model_id=self.model_ids.get(model or ""))

    def log_headline(self, metrics: dict[str, float], tags: dict[str, Any],
                     description: str | None = None) -> None:
        """The run's headline on the parent run: figures, tags, and its description."""
        run_id = self.parent.info.run_id
        if description is not None:
            tags = {**tags, "mlflow.note.content": description}
        with tracking_errors(self.uri, "logging the run's headline"):
            if metrics:
                self._mlflow.log_metrics(metrics, run_id=run_id)
            client = self._mlflow.MlflowClient()
            for key, value in tags.items():
                client.set_tag(run_id, key, str(value)[:5000])

    def log_split(self, name: str, split: dict[str, Any], sha256: str) -> None:
        """A data split as a dataset input of the parent run, with its content hash."""
        from mlflow.entities import DatasetInput, InputTag

        # our digest: MLflow's own flattens (copies) the whole array to hash its first rows
        dataset = self._mlflow.data.from_numpy(split["x"], targets=split["y"], name=name,
                                               digest=sha256[:8])
        tags = [InputTag("mlflow.data.context", name), InputTag("prunegate.sha256", sha256)]
        with tracking_errors(self.uri, f"logging the {name} split"):
            self._mlflow.MlflowClient().log_inputs(
                self.parent.info.run_id,
                datasets=[DatasetInput(dataset._to_mlflow_entity(), tags=tags)])

    def set_tags(self, tags: dict[str, Any]) -> None:
        with tracking_errors(self.uri, "tagging the run"):
            self._mlflow.set_tags({k: str(v)[:5000] for k, v in tags.items()})

    def log_choice(self, pin: dict[str, Any]) -> None:
        """A choice a timing made, on the stage's run and on the parent, as the settings that
        replay it: tag ``choice.quantize.op_types`` = ``["Gemm"]``."""
        tags = {f"choice.{key}": json.dumps(value) for key, value in pin.items()}
        with tracking_errors(self.uri, "tagging the run"):
            self._mlflow.set_tags(tags)
            client = self._mlflow.MlflowClient()
            for key, value in tags.items():
                client.set_tag(self.parent.info.run_id, key, value)

    def log_dict(self, data: dict[str, Any], name: str) -> None:
        with tracking_errors(self.uri, f"logging {name}"):
            self._mlflow.log_dict(data, name)

    def log_text(self, text: str, name: str) -> None:
        with tracking_errors(self.uri, f"logging {name}"):
            self._mlflow.log_text(text, name)

    def log_figure(self, figure: Any, name: str) -> None:
        with tracking_errors(self.uri, f"logging {name}"):
            self._mlflow.log_figure(figure, name)

    def log_model(self, onnx_model: Any, name: str, input_example: Any) -> str:
        """A stage's model as an MLflow LoggedModel: the ONNX file (artifacts/model.onnx, byte
        for byte what was measured) served by registry/serving.py, which answers with labels
        and probabilities beside the logits; stated signature, input example. Its id is kept,
        so the stage's metrics link to it (log_metrics(model=...))."""
        import tempfile

        with tempfile.TemporaryDirectory() as tmp, \
                tracking_errors(self.uri, f"logging the {name} model"):
            path = Path(tmp) / "model.onnx"
            path.write_bytes(onnx_model.SerializeToString())
            info = self._mlflow.pyfunc.log_model(
                name=name, python_model=str(SERVING), artifacts={ONNX_ARTIFACT: str(path)},
                signature=serving_signature(onnx_model),
                input_example=graph_feeds(onnx_model, input_example),
                # stated, not inferred: inference re-imports the model in a subprocess (~3 s a
                # model) to learn what it needs, which is always these
                pip_requirements=serving_requirements(),
                model_type="classifier")
        self.model_ids[name] = info.model_id
        return info.model_uri

    def end(self, status: str = "FINISHED") -> None:
        """Close every open run; never raises, so a failing store cannot hide the first error."""
        try:
            while self._mlflow.active_run() is not None:
                self._mlflow.end_run(status=status)
        except Exception as error:  # the store is gone: the run stays open there, not here
            log.warning("could not close the MLflow run (%s)", str(error).splitlines()[0])
        self.stage = None


def serving_requirements() -> list[str]:
    return [f"mlflow=={version('mlflow')}", f"numpy=={version('numpy')}",
            f"onnxruntime=={version('onnxruntime')}"]


def flatten(params: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """{"prune": {"sparsity": 0.7}} -> {"prune.sparsity": "0.7"}; MLflow params are flat strings."""
    flat: dict[str, str] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        elif key == "tracking_uri" and isinstance(value, str):
            flat[name] = redact(value)  # a URI may carry a password; params are readable by all
        else:
            flat[name] = str(value)[:6000]
    return flat
