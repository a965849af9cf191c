"""Tracking helpers that need no server."""

import pytest

from prunegate.errors import ConfigError
from prunegate.registry.tracking import TrackingConfig, _local_uri, flatten, redact


def test_redact_hides_passwords_only():
    assert redact("postgresql://bob:s3cret@db:5432/mlflow") == "postgresql://bob:***@db:5432/mlflow"
    assert redact("http://127.0.0.1:5000") == "http://127.0.0.1:5000"


def test_flatten_redacts_tracking_uris_and_nests_keys():
    flat = flatten({"mlflow": {"tracking_uri": "http://u:pw@host"}, "prune": {"sparsity": 0.7}})
    assert flat == {"mlflow.tracking_uri": "http://u:***@host", "prune.sparsity": "0.7"}


def test_uri_precedence_environment_then_conf_local_then_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    config = TrackingConfig(tracking_uri="sqlite:///base.db")
    assert config.uri == "sqlite:///base.db"
    (tmp_path / "conf/local").mkdir(parents=True)
    (tmp_path / "conf/local/mlflow.yml").write_text("tracking_uri: sqlite:///local.db\n")
    assert config.uri == "sqlite:///local.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5999")
    assert config.uri == "http://127.0.0.1:5999"


def test_bad_local_file_and_bad_scheme_are_config_errors(tmp_path, monkeypatch):
    (tmp_path / "mlflow.yml").write_text("- a list\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        _local_uri(tmp_path / "mlflow.yml")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    with pytest.raises(ConfigError, match="unsupported tracking URI scheme 'ftp'"):
        TrackingConfig(tracking_uri="ftp://x")


def test_promotion_switch_config_then_environment(monkeypatch):
    monkeypatch.delenv("PRUNEGATE_PROMOTE", raising=False)
    assert TrackingConfig().promote_on_pass is True
    assert TrackingConfig(promote=False).promote_on_pass is False
    monkeypatch.setenv("PRUNEGATE_PROMOTE", "false")      # CI's compress job
    assert TrackingConfig(promote=True).promote_on_pass is False
    with pytest.raises(ConfigError, match="'mlflow.promote' must be true or false"):
        TrackingConfig(promote="no")
    monkeypatch.setenv("PRUNEGATE_PROMOTE", "maybe")
    with pytest.raises(ConfigError, match="PRUNEGATE_PROMOTE must be true or false"):
        TrackingConfig()
