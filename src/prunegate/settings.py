"""Kedro project settings."""

import os
import warnings

# Nothing phones home, even when kedro is run directly rather than through the Makefile.
for _key, _value in {"MLFLOW_DISABLE_TELEMETRY": "true", "GX_ANALYTICS_ENABLED": "False",
                     "DVC_NO_ANALYTICS": "1", "KEDRO_DISABLE_TELEMETRY": "true",
                     "DO_NOT_TRACK": "1",
                     # a download bar per registry check drowns the run's own output
                     "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}.items():
    os.environ.setdefault(_key, _value)

# Kedro 1.7 calls an OmegaConf API that OmegaConf 2.4 deprecates: not actionable for a user.
warnings.filterwarnings("ignore", message=".*register_new_resolver", category=UserWarning)

from prunegate.app.config_loader import LOADER_ARGS, RecipeConfigLoader  # noqa: E402
from prunegate.app.hooks import PrunegateHooks  # noqa: E402

HOOKS = (PrunegateHooks(),)

CONFIG_LOADER_CLASS = RecipeConfigLoader
CONFIG_LOADER_ARGS = LOADER_ARGS  # app/config_loader.py: the layers and their merge strategy
