"""The ``prunegate`` command group: run (``kedro run`` with one-line errors), gate, info, diff,
example-data, the measurement commands (cli_bench.py), the model registry commands (cli_models.py)
and search (cli_search.py). ``prunegate <command> --help`` explains each."""

import json
import sys
from pathlib import Path

import click

from prunegate.app.cli_bench import bench, bench_family, gate_audit, recipes_check
from prunegate.app.cli_errors import clean_errors, recipe_option
from prunegate.app.cli_models import models, promote, rollback
from prunegate.app.cli_run import run
from prunegate.app.cli_search import search
from prunegate.app.project import recipe_session
from prunegate.errors import ConfigError


@click.group(name="prunegate")
def cli() -> None:
    """prunegate: compress, measure, gate and promote PyTorch models.

    Run from the project root. Registry commands read the tracking URI and model name of
    --recipe (default mnist_mlp); MLFLOW_TRACKING_URI overrides the URI.
    """


cli.add_command(run)


@cli.command()
@recipe_option
@click.option("--candidate", default=None, metavar="PATH|URI",
              help="Gate this model instead (an ONNX file, models:/<name>@<alias> or "
                   "models:/<name>/<version>): checks only, nothing registered or promoted.")
@clean_errors
def gate(recipe: str, candidate: str | None) -> None:
    """Re-measure and re-gate the latest artifacts of --recipe without retraining.

    Writes data/08_reporting/{metrics.json,gate.json,gate.md,report.html}, registers the
    artifact as challenger and promotes it (verified) when it passes. With --candidate it
    gates that model against the recipe's baseline and champion and only prints the verdict
    (the regression suite, tests/regression, makes the same call). Exit codes: 0 pass, 1 a
    gate check failed, 2 the gate could not be evaluated (missing artifacts, bad config,
    unreachable tracking store), 3 undecided (the test data or the machine's noise could not
    settle a check).
    """

    from prunegate.app.project import gate_candidate
    from prunegate.gate.rule import raise_unless_passed
    from prunegate.reporting.summary import summary_table

    if candidate is not None:
        metrics, verdict = gate_candidate(recipe, candidate)
        click.echo(summary_table(metrics, verdict))
        raise_unless_passed(verdict)
        return
    with recipe_session(recipe) as session:
        session.run(pipeline_names=["validate"])


@cli.command()
@recipe_option
@click.option("--field", default=None, help="Print only this field (JSON), e.g. runs_on.")
@clean_errors
def info(recipe: str, field: str | None) -> None:
    """The recipe's target profile and runner labels, registered model and report folder, as
    JSON. compress.yml reads runs_on from here to pick the runner the gate measures on."""
    from prunegate.app.project import recipe_info

    data = recipe_info(recipe)
    if field is not None and field not in data:
        raise ConfigError(f"unknown field '{field}': choose from {', '.join(data)}.")
    click.echo(json.dumps(data if field is None else data[field]))


@cli.command("example-data")
@click.argument("kind", type=click.Choice(["csv", "images", "tokens"]))
@click.argument("path", type=click.Path())
def example_data(kind: str, path: str) -> None:
    """Write generated example data to PATH: a CSV of 16 features and a 4-class `label`
    column, an image folder (PATH/<class>/*.png, 3 classes), or token sequences (.npz of
    input_ids, attention_mask and labels; a .parquet PATH writes a table) in the form
    prunegate.datasets.TokenDataset reads. The template_custom recipe reads
    data/01_raw/example.csv; replace it with your own."""
    from prunegate.data.examples import write_example_csv, write_example_images
    from prunegate.data.tokens import write_example_tokens

    write = {"csv": write_example_csv, "images": write_example_images,
             "tokens": write_example_tokens}[kind]
    written = write(path)
    click.echo(f"wrote {written}")


@cli.command()
@click.argument("base", type=click.Path(dir_okay=False))
@click.argument("head", type=click.Path(exists=True, dir_okay=False))
@click.option("--base-label", default="main", show_default=True, help="Column name for BASE.")
@clean_errors
def diff(base: str, head: str, base_label: str) -> None:
    """Markdown table of two runs' metrics.json (BASE may be missing: HEAD alone). The pull
    request gate (.ci/gate_pr.sh) posts it as the job summary."""
    from prunegate.reporting.metrics_diff import metrics_diff_markdown

    old = json.loads(Path(base).read_text()) if Path(base).is_file() else None
    click.echo(metrics_diff_markdown(old, json.loads(Path(head).read_text()), base_label),
               nl=False)


for command in (bench, bench_family, recipes_check, gate_audit, models, promote, rollback,
                search):
    cli.add_command(command)


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
