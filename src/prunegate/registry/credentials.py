"""MLflow credentials from Kedro's ``credentials.yml``, the way a team keeps them out of git."""

import os
from dataclasses import replace
from typing import Any

from prunegate.errors import ConfigError
from prunegate.registry.tracking import TrackingConfig

CREDENTIAL_KEYS = {"tracking_uri": None, "username": "MLFLOW_TRACKING_USERNAME",
                   "password": "MLFLOW_TRACKING_PASSWORD", "token": "MLFLOW_TRACKING_TOKEN"}


def with_credentials(config: TrackingConfig, credentials: dict[str, Any] | None
                     ) -> TrackingConfig:
    """The ``mlflow`` entry of Kedro's credentials (conf/local/credentials.yml, git-ignored):
    a ``tracking_uri`` that carries a password replaces the parameters' one; ``username``,
    ``password`` and ``token`` reach MLflow as its own environment variables. What the
    environment already sets wins, so CI's secrets override a developer's file."""
    if not credentials:
        return config
    if not isinstance(credentials, dict) or set(credentials) - set(CREDENTIAL_KEYS):
        unknown = sorted(set(credentials) - set(CREDENTIAL_KEYS)) \
            if isinstance(credentials, dict) else credentials
        raise ConfigError(f"credentials 'mlflow' may hold {', '.join(CREDENTIAL_KEYS)}; got "
                          f"{unknown!r}. Fix conf/local/credentials.yml.")
    for key, variable in CREDENTIAL_KEYS.items():
        value = credentials.get(key)
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"credentials 'mlflow.{key}' must be a string. Fix "
                              "conf/local/credentials.yml.")
        if variable and value:
            os.environ.setdefault(variable, value)
    uri = credentials.get("tracking_uri")
    return replace(config, tracking_uri=uri) if uri else config
