import hashlib
import uuid

import pytest

from prunegate import registry
from prunegate.evaluation.latency import make_session
from prunegate.evaluation.metrics import predict_onnx
from prunegate.models import build_model
from prunegate.onnx_io.export import export_onnx
from prunegate.registry.promotion import data_sha256
from prunegate.training.loop import TrainConfig, fit, seed_everything

from ..servers import MlflowServer


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    srv = MlflowServer(tmp_path_factory.mktemp("mlflow")).start()
    yield srv
    srv.stop()


@pytest.fixture
def store(server, monkeypatch):
    """A fresh model name on the real server, MLflow pointed at it."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server.uri)
    registry.connect(registry.TrackingConfig(experiment="registry-tests"))
    return {"server": server, "model": f"m-{uuid.uuid4().hex[:8]}"}


@pytest.fixture(scope="session")
def onnx_models(splits):
    """Three different small trained models, as the quantize stage would hand them over."""
    models = []
    for width in (16, 24, 32):
        seed_everything(width)
        model = build_model("lenet_300_100", hidden=[width, 8])
        fit(model, splits[0], splits[1], TrainConfig(epochs=1, lr=0.01))
        models.append(export_onnx(model, (1, 28, 28)))
    return models


def register(store, onnx_model, test, passed: bool = True) -> str:
    """Log, measure and register a version exactly as the pipeline's hook does."""
    import mlflow

    accuracy = float((predict_onnx(make_session(onnx_model.SerializeToString()), test["x"])
                      == test["y"]).mean())
    with mlflow.start_run():
        info = mlflow.onnx.log_model(onnx_model, name="deployable", input_example=test["x"][:1],
                                     save_as_external_data=False)
    tags = {"artifact.sha256": hashlib.sha256(onnx_model.SerializeToString()).hexdigest(),
            "validated.accuracy": repr(accuracy), "data.test_sha256": data_sha256(test),
            "gate.passed": str(passed).lower()}
    return registry.register_deployable(info.model_uri, store["model"], tags)
