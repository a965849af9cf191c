"""Command line: ``kedro run`` with clean errors, and the ``prunegate`` entry point.

Kedro loads ``cli`` from here as the project's commands, so ``kedro run`` is Kedro's own run command
wrapped: when one of prunegate's errors ends the run (bad config, missing data, failed gate), it
prints one line naming the problem and the fix, and exits 1 (gate failed) or 2 (could not run).
"""

import sys
from pathlib import Path

import click
from kedro.framework.cli.project import run as kedro_run

from prunegate.errors import GateFailed, find_prunegate_error


def _run(**kwargs):
    try:
        return kedro_run.callback(**kwargs)
    except Exception as error:
        ours = find_prunegate_error(error)
        if ours is None:
            raise
        label = "FAIL" if isinstance(ours, GateFailed) else "error"
        click.secho(f"{label}: {ours}", err=True, fg="red")
        sys.exit(ours.exit_code)


RUN_HELP = """Run a recipe, or some of its pipelines.

\b
  kedro run --config pipelines/mnist_mlp.yml
  kedro run --config pipelines/mnist_lenet5.yml --params "prune.sparsity=0.8"
  kedro run --pipelines validate            # re-measure and re-gate the saved artifacts

Exit codes: 0 the gate passed (or no gate ran), 1 the gate failed, 2 the run could not be
evaluated (bad config, missing or corrupt data, unreachable tracking server)."""

run = click.Command("run", params=list(kedro_run.params), callback=_run, help=RUN_HELP)


@click.group(name="prunegate", help="prunegate: compress, measure and gate PyTorch models.")
def cli() -> None:
    pass


cli.add_command(run)


def main() -> None:
    """The ``prunegate`` console script; run it from the project root."""
    from kedro.framework.startup import bootstrap_project

    try:
        bootstrap_project(Path.cwd())
    except Exception as error:
        click.secho(f"error: no prunegate project in {Path.cwd()} ({error}). Run prunegate from "
                    "the folder that holds pyproject.toml.", err=True, fg="red")
        sys.exit(2)
    cli(prog_name="prunegate")
