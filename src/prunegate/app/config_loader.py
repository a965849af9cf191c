"""Kedro's config loader with one more layer: base → recipe → environment.

A recipe (``conf/recipes/<name>/``) holds only what differs from ``conf/base``; the Kedro
environment (``local`` by default, or ``--env staging``) goes on top, so a machine's
``conf/local`` (a tracking server, credentials) applies to every recipe, and one recipe can run
in staging and in production. The recipe comes from the run's ``recipe`` parameter, which
``kedro run --config pipelines/<recipe>.yml`` (its ``recipe:`` key) or ``--recipe`` sets.
"""

from pathlib import Path
from typing import Any

from kedro.config import MissingConfigException, OmegaConfigLoader

from prunegate.errors import ConfigError
from prunegate.validators import did_you_mean

RECIPES = "recipes"  # conf/recipes/<name>/
# Layers: conf/base, then the recipe (only what differs from base), then the Kedro environment
# (conf/local, or --env staging). "soft" merges a layer's keys into the one below instead of
# replacing whole top-level sections. settings.py hands these to Kedro.
LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    "merge_strategy": {"parameters": "soft", "catalog": "soft", "globals": "soft"},
    # targets.yml (hardware profiles) joins the parameters, so nodes get it as params:targets
    "config_patterns": {"parameters": ["parameters*", "parameters*/**", "**/parameters*",
                                       "targets*"]},
}


def recipe_names(conf: Path = Path("conf")) -> list[str]:
    return sorted(p.name for p in (conf / RECIPES).iterdir() if p.is_dir()) \
        if (conf / RECIPES).is_dir() else []


class RecipeConfigLoader(OmegaConfigLoader):
    """``OmegaConfigLoader`` that merges base, then the recipe, then the run environment, each
    with the configured merge strategy (soft for parameters: a layer changes keys, not whole
    sections)."""

    @property
    def recipe(self) -> str | None:
        name = (self.runtime_params or {}).get("recipe")
        if name is None:
            return None
        known = recipe_names(Path(self.conf_source))
        if not isinstance(name, str) or name not in known:
            raise ConfigError(f"unknown recipe '{name}'{did_you_mean(str(name), known)}: a "
                              f"recipe is a folder under conf/{RECIPES}/, one of "
                              f"{', '.join(known)}.")
        return name

    def _run_env(self) -> str:
        """The environment on top: conf/local is machine-local and git-ignored, so a fresh
        checkout or worktree may lack it and then has none; a named one (--env) must exist."""
        run_env = self.env or self.default_run_env
        if run_env == self.base_env or self._fs.isdir(self._get_conf_env_path(run_env)):
            return run_env
        if self.env is None:
            return self.base_env
        raise ConfigError(f"environment '{run_env}' has no folder conf/{run_env}/: create it, or "
                          "drop --env to use conf/local.")

    def __getitem__(self, key: str) -> dict[str, Any]:
        recipe = self.recipe
        if key in self.data:  # a value set explicitly
            return super().__getitem__(key)
        run_env = self._run_env()
        if recipe is None:
            saved = self.env
            try:
                self.env = run_env
                return super().__getitem__(key)
            finally:
                self.env = saved
        saved = self.env, self.base_env
        try:
            self.env = f"{RECIPES}/{recipe}"
            try:
                below, missing = super().__getitem__(key), False
            except MissingConfigException:
                below, missing = {}, True  # e.g. credentials: only conf/local has them
            if not run_env or run_env == saved[1]:
                top: dict[str, Any] = {}
            else:
                # the environment alone: as its own base, Kedro reads it without a second layer
                self.env = self.base_env = run_env
                top = super().__getitem__(key)
        finally:
            self.env, self.base_env = saved
        if missing and not top:
            raise MissingConfigException(f"No configuration for '{key}' in base, recipe "
                                         f"'{recipe}' or environment '{run_env}'.")
        return self._merge_configs(below, top, key, self._get_conf_env_path(run_env)) \
            if top else below
