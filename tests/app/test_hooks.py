"""The hook before the first node: the folder locked, the parameters parsed once into the typed
configs the nodes take, a bad parameter refused with the folder freed and the MLflow run closed.
A real sqlite MLflow store in a temporary folder; the whole run is tests/e2e."""

import pytest
from kedro.io import DataCatalog, MemoryDataset

from prunegate.app.folder_lock import FolderBusy, FolderLock
from prunegate.app.hooks import NODE_CONFIGS, PrunegateHooks
from prunegate.compression.chain import ChainConfig
from prunegate.errors import ConfigError
from prunegate.pipelines.ingest import create_pipeline


@pytest.fixture
def store(tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return uri


def _runs(uri: str) -> list:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    ids = [e.experiment_id for e in client.search_experiments()]
    return client.search_runs(ids) if ids else []


def _start(tmp_path, params):
    hooks = PrunegateHooks()
    hooks.data_folder = tmp_path / "data"
    catalog = DataCatalog({"parameters": MemoryDataset(params)})
    hooks.before_pipeline_run({}, create_pipeline(), catalog)
    return hooks, catalog


def test_the_nodes_get_typed_configs_parsed_once_and_the_folder_is_held(tmp_path, store):
    hooks, catalog = _start(tmp_path, {"recipe": "r", "prune": {"sparsity": 0.5}})
    try:
        assert {f"config:{k}" for k in NODE_CONFIGS} <= set(catalog.keys())
        chain = catalog.load("config:chain")
        assert isinstance(chain, ChainConfig) and chain.prune.sparsity == 0.5
        with pytest.raises(FolderBusy):
            FolderLock(tmp_path / "data", "other").acquire()
    finally:
        hooks.on_pipeline_error(None, {}, None, catalog)
    FolderLock(tmp_path / "data", "other").acquire()   # freed
    assert [r.info.status for r in _runs(store)] == ["FAILED"]


def test_a_bad_parameter_is_refused_before_anything_opens_and_frees_the_folder(tmp_path, store):
    with pytest.raises(ConfigError, match="prune.sparsity"):
        _start(tmp_path, {"recipe": "r", "prune": {"sparsity": 1.5}})
    FolderLock(tmp_path / "data", "other").acquire()
    assert _runs(store) == []
