"""``kedro run`` wrapped: Kedro loads ``cli`` from ``prunegate.cli`` as the project's commands,
so this run command replaces Kedro's own. When one of prunegate's errors ends the run (bad
config, missing data, failed gate) it prints one line naming the problem and the fix."""

import copy
from pathlib import Path

import click
from kedro.framework.cli.project import run as kedro_run
from omegaconf import OmegaConf

from prunegate.app.cli_errors import clean_errors
from prunegate.app.config_loader import RECIPES, recipe_names
from prunegate.app.project import require_recipe
from prunegate.errors import ConfigError
from prunegate.validators import did_you_mean

RUN_HELP = """Run a recipe, or some of its pipelines.

\b
  kedro run --config pipelines/mnist_mlp.yml
  kedro run --config pipelines/mnist_lenet5.yml --params "prune.sparsity=0.8"
  kedro run --config pipelines/mnist_mlp.yml --env staging   # conf/staging over the recipe
  kedro run --recipe mnist_mlp --pipelines validate   # re-measure and re-gate the artifacts

Layers, each overriding the one before: conf/base, conf/recipes/<recipe>, then the
environment (conf/local unless --env names another).

Exit codes: 0 the gate passed (or no gate ran), 1 the gate failed or promotion was refused,
2 the run could not be evaluated (bad config, missing or corrupt data, unreachable tracking
store), 3 the gate was undecided (its test data or the machine's noise could not settle a
check; nothing promoted, and the message says what would decide it)."""

def _recipe_file(param: click.Option) -> click.Option:
    """Kedro's --config option, reading a run config's keys as this command's options (its
    ``recipe:`` among them), with a missing or unreadable file answered in one line."""
    checked = copy.copy(param)

    def callback(ctx: click.Context, this: click.Parameter, value: str | None):
        if not value:
            return value
        if not Path(value).is_file():
            folder = Path(value).parent
            known = sorted(p.stem for p in folder.glob("*.yml")) if folder.is_dir() else []
            raise click.BadParameter(f"{value} does not exist. Recipes: "
                                     f"{', '.join(known) or f'none in {folder}/'}.")
        try:
            section = OmegaConf.to_container(OmegaConf.load(value))["run"]
        except Exception as error:  # YAML the loader refuses, e.g. aliases expanding past its
            # limit (a "billion laughs"), or no run: section: one line, not a traceback
            first = str(error).splitlines()[0].split(". ")[0][:200]
            raise click.BadParameter(f"{value} cannot be read as a run config ({first}). Write "
                                     "it as plain YAML under a run: key, like "
                                     "pipelines/mnist_mlp.yml.") from None
        options = [p.name for p in ctx.command.params if p.name != "config"]
        for key in section:
            if key not in options:
                raise click.BadParameter(f"{value}: '{key}' is not a run option"
                                         f"{did_you_mean(key, options)}.")
        ctx.default_map = {**(ctx.default_map or {}), **section}
        return value

    checked.type, checked.callback = click.Path(dir_okay=False), callback
    return checked


def require_env(env: str | None) -> None:
    """An environment is a folder name under conf/ (not base, not recipes/), never a path."""
    if env is None:
        return
    conf = Path("conf")
    known = sorted(p.name for p in conf.iterdir() if p.is_dir()
                   and p.name not in ("base", RECIPES)) if conf.is_dir() else []
    if env not in known or "/" in env or env.startswith("."):
        hint = (f" '{env}' is a recipe: run it with --recipe {env} (or its run config "
                f"pipelines/{env}.yml)." if env in recipe_names(conf) else "")
        raise ConfigError(f"env '{env}' is not a configuration environment: an env is a folder "
                          f"under conf/ layered over the recipe, one of "
                          f"{', '.join(known) or 'none yet'}.{hint}")


def _run(recipe: str | None, **kwargs):
    require_env(kwargs.get("env"))
    if recipe is not None:
        require_recipe(recipe)
        kwargs["params"] = {**(kwargs.get("params") or {}), "recipe": recipe}
    return kedro_run.callback(**kwargs)


RECIPE = click.Option(["--recipe"], default=None, metavar="NAME",
                      help="The recipe: conf/recipes/NAME layered between conf/base and --env. "
                           "A run config's recipe: key sets it.")
run = click.Command("run", params=[RECIPE, *(_recipe_file(p) if p.name == "config" else p
                                             for p in kedro_run.params)],
                    callback=clean_errors(_run), help=RUN_HELP)
