"""The Kedro project seen from outside a run: a recipe's checked configs, its catalog, and the
models a stand-alone gate needs. Used by the ``prunegate`` commands and the regression suite.

This is an adapter, like the nodes: it loads things through Kedro and the registry and hands them
to the same library function the validate stage calls, so every gate decides alike.
"""

from pathlib import Path
from typing import Any

import onnx
import yaml

from prunegate.errors import ConfigError, DataError


def parse_overrides(text: str | None) -> dict[str, Any]:
    """``a.b=1,c=x`` (kedro run's --params form) as nested mappings, values read as YAML."""
    nested: dict[str, Any] = {}
    for item in filter(None, (text or "").split(",")):
        key, sep, value = item.partition("=")
        if not sep:
            raise DataError(f"--params item '{item}' is not key=value.")
        *parents, last = key.strip().split(".")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = yaml.safe_load(value)
    return nested


def require_recipe(recipe: str) -> None:
    if not (Path("pipelines") / f"{recipe}.yml").is_file():
        known = sorted(p.stem for p in Path("pipelines").glob("*.yml"))
        raise ConfigError(f"unknown recipe '{recipe}': no file pipelines/{recipe}.yml. "
                          f"Recipes: {', '.join(known)}.")


def recipe_session(recipe: str, runtime_params: dict[str, Any] | None = None,
                   env: str | None = None):
    """A Kedro session of the recipe: conf/base, conf/recipes/<recipe>, then ``env``
    (conf/local unless named), as ``kedro run --recipe`` layers them."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    require_recipe(recipe)
    bootstrap_project(Path.cwd())
    return KedroSession.create(env=env, runtime_params={**(runtime_params or {}),
                                                        "recipe": recipe})


def _context(recipe: str, runtime_params: dict[str, Any] | None = None):
    return recipe_session(recipe, runtime_params).load_context()


def mlflow_credentials(config_loader) -> dict[str, Any]:
    """The ``mlflow`` entry of Kedro's credentials (conf/local/credentials.yml), if any."""
    from kedro.config import MissingConfigException

    try:
        credentials = config_loader["credentials"] or {}
    except (MissingConfigException, KeyError):  # no credentials file in any layer
        return {}
    return credentials.get("mlflow") or {}


def context_configs(params: dict[str, Any], config_loader) -> dict[str, Any]:
    """The checked configs of a run's parameters, with Kedro's MLflow credentials applied."""
    from prunegate import registry
    from prunegate.app.recipe import check_params

    configs = check_params(params)
    configs["mlflow"] = registry.with_credentials(configs["mlflow"],
                                                  mlflow_credentials(config_loader))
    return configs


def recipe_context(recipe: str, connect: bool = True, params: str | None = None
                   ) -> tuple[dict[str, Any], Any]:
    """The recipe's checked configs and its catalog; MLflow connected unless ``connect`` is off.
    ``params``: overrides in kedro run's --params form, as the run had them."""
    from prunegate import registry

    context = _context(recipe, parse_overrides(params) or None)
    configs = context_configs(context.params, context.config_loader)
    if connect:
        registry.connect(configs["mlflow"])
    return configs, context.catalog


def recipe_info(recipe: str) -> dict[str, Any]:
    """What a scheduler needs before it starts a recipe: where it must run (the target
    profile's runner labels), where its artifacts land and which registered model it feeds.

    Reads the config without the full check, whose provider test only holds on the target
    itself, and this is asked on whatever machine schedules the run.
    """
    from dataclasses import asdict

    from prunegate.evaluation.targets import target_profiles
    from prunegate.registry.tracking import TrackingConfig
    from prunegate.validators import choose

    context = _context(recipe)
    params = context.params
    profiles = target_profiles(params.get("targets"))
    name = (params.get("validate") or {}).get("target", "cpu-1t")
    choose(name, list(profiles), "validate.target")
    mlflow = TrackingConfig(**{k: v for k, v in (params.get("mlflow") or {}).items()
                               if k in ("experiment", "registered_model")})
    return {"recipe": recipe, "registered_model": mlflow.registered_model, "target": name,
            "runs_on": profiles[name].runs_on, "profile": asdict(profiles[name]),
            "data": context.config_loader["globals"].get("data", "data")}


def load_candidate(source: str) -> onnx.ModelProto:
    """An ONNX file, or a registered version (``models:/<name>@<alias>``, ``models:/<name>/<n>``)
    whose bytes must still be the ones its run validated."""
    from prunegate import registry

    if source.startswith("models:/"):
        name, version = registry.resolve_model_uri(source)
        return onnx.load_from_string(registry.fetch_for_gate(name, version, "candidate"))
    path = Path(source)
    if not path.is_file():
        raise DataError(f"candidate {source} does not exist: pass an ONNX file or a model URI "
                        "such as models:/<name>@challenger.")
    try:
        model = onnx.load(str(path))
        onnx.checker.check_model(model)
    except Exception as error:
        raise DataError(f"candidate {source} is not a valid ONNX model ({error}). Re-export it "
                        "or re-run the recipe.") from error
    return model


def gate_candidate(recipe: str, source: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Gate ``source`` with ``recipe``'s checks and target against its dense baseline and the
    registry's champion, all measured now; nothing is registered or promoted."""
    from prunegate import registry
    from prunegate.gate.stages import gate_deployable

    configs, catalog = recipe_context(recipe)
    candidate, test = load_candidate(source), load_artifact(catalog, "test")
    champion = registry.champion_at_start(configs["mlflow"].registered_model)
    return gate_deployable(candidate, load_artifact(catalog, "baseline_onnx"), test,
                           configs["gates"], configs["target"], configs["validate"],
                           champion.model, champion.split)


def load_artifact(catalog, name: str):
    """A recipe artifact a stand-alone command needs, or one line saying how to make it."""
    try:
        return catalog.load(name)
    except Exception as error:
        raise DataError(f"the gate needs '{name}', which cannot be loaded ({error}). Run the "
                        "recipe first: make run.") from error
