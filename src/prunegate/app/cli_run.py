"""``kedro run`` wrapped: Kedro loads ``cli`` from ``prunegate.cli`` as the project's commands,
so this run command replaces Kedro's own. When one of prunegate's errors ends the run (bad
config, missing data, failed gate) it prints one line naming the problem and the fix."""

import copy
from pathlib import Path

import click
from kedro.framework.cli.project import run as kedro_run

from prunegate.app.cli_errors import clean_errors
from prunegate.errors import ConfigError

RUN_HELP = """Run a recipe, or some of its pipelines.

\b
  kedro run --config pipelines/mnist_mlp.yml
  kedro run --config pipelines/mnist_lenet5.yml --params "prune.sparsity=0.8"
  kedro run --pipelines validate            # re-measure and re-gate the saved artifacts

Exit codes: 0 the gate passed (or no gate ran), 1 the gate failed or promotion was refused,
2 the run could not be evaluated (bad config, missing or corrupt data, unreachable tracking
store), 3 the gate was undecided (its test data or the machine's noise could not settle a
check; nothing promoted, and the message says what would decide it)."""

def _recipe_file(param: click.Option) -> click.Option:
    """Kedro's --config option, with a missing file answered by the recipes there are."""
    checked, kedro_callback = copy.copy(param), param.callback

    def callback(ctx: click.Context, this: click.Parameter, value: str | None):
        if value and not Path(value).is_file():
            folder = Path(value).parent
            known = sorted(p.stem for p in folder.glob("*.yml")) if folder.is_dir() else []
            raise click.BadParameter(f"{value} does not exist. Recipes: "
                                     f"{', '.join(known) or f'none in {folder}/'}.")
        try:
            return kedro_callback(ctx, this, value)
        except click.ClickException:
            raise
        except Exception as error:  # YAML the loader refuses, e.g. aliases expanding past its
            # limit (a "billion laughs"): one line, not a traceback
            first = str(error).splitlines()[0].split(". ")[0][:200]
            raise click.BadParameter(f"{value} cannot be read as a run config ({first}). Write "
                                     "it as plain YAML, like pipelines/mnist_mlp.yml.") from None

    checked.type, checked.callback = click.Path(dir_okay=False), callback
    return checked


def require_env(env: str | None) -> None:
    """An environment is a folder name under conf/, never a path out of it."""
    if env is None:
        return
    known = sorted(p.name for p in Path("conf").iterdir() if p.is_dir()) \
        if Path("conf").is_dir() else []
    if env not in known or "/" in env or env.startswith("."):
        raise ConfigError(f"env '{env}' is not a configuration environment: an env is a folder "
                          f"name under conf/, one of {', '.join(known)}. A recipe's run config "
                          "sets env to the recipe's name.")


def _run(**kwargs):
    require_env(kwargs.get("env"))
    return kedro_run.callback(**kwargs)


run = click.Command("run", params=[_recipe_file(p) if p.name == "config" else p
                                   for p in kedro_run.params],
                    callback=clean_errors(_run), help=RUN_HELP)
