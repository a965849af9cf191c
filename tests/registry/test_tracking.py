"""Tracking helpers that need no server."""

import pytest

from prunegate.errors import ConfigError
from prunegate.registry.credentials import with_credentials
from prunegate.registry.tracking import TrackingConfig, flatten, redact


def test_redact_hides_passwords_only():
    assert redact("postgresql://bob:s3cret@db:5432/mlflow") == "postgresql://bob:***@db:5432/mlflow"
    assert redact("http://127.0.0.1:5000") == "http://127.0.0.1:5000"


def test_flatten_redacts_tracking_uris_and_nests_keys():
    flat = flatten({"mlflow": {"tracking_uri": "http://u:pw@host"}, "prune": {"sparsity": 0.7}})
    assert flat == {"mlflow.tracking_uri": "http://u:***@host", "prune.sparsity": "0.7"}


def test_uri_precedence_environment_then_credentials_then_config(monkeypatch):
    for key in ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        monkeypatch.delenv(key, raising=False)
    config = TrackingConfig(tracking_uri="sqlite:///base.db")
    assert config.uri == "sqlite:///base.db"
    local = with_credentials(config, {"tracking_uri": "sqlite:///local.db", "username": "bob",
                                      "password": "pw"})
    assert local.uri == "sqlite:///local.db" and config.uri == "sqlite:///base.db"
    import os
    assert os.environ["MLFLOW_TRACKING_USERNAME"] == "bob"
    assert os.environ["MLFLOW_TRACKING_PASSWORD"] == "pw"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5999")
    assert local.uri == "http://127.0.0.1:5999"
    assert with_credentials(config, {}) is config


def test_bad_credentials_and_bad_scheme_are_config_errors(monkeypatch):
    with pytest.raises(ConfigError, match="may hold tracking_uri, username, password, token; "
                                          "got \\['uri'\\]"):
        with_credentials(TrackingConfig(), {"uri": "sqlite:///x.db"})
    with pytest.raises(ConfigError, match="'mlflow.password' must be a string"):
        with_credentials(TrackingConfig(), {"password": 123})
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
