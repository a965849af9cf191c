"""Command line: ``kedro run`` with clean errors, and the ``prunegate`` registry commands.

Kedro loads ``cli`` from here as the project's commands, so ``kedro run`` is Kedro's own run command
wrapped: when one of prunegate's errors ends the run (bad config, missing data, failed gate), it
prints one line naming the problem and the fix, and exits 1 (gate failed, promotion refused) or 2
(could not run: bad config, missing data, unreachable tracking store).
"""

import copy
import functools
import json
import signal
import sys
from pathlib import Path

import click
from kedro.framework.cli.project import run as kedro_run

from prunegate.app.project import recipe_context, require_recipe
from prunegate.errors import (
    ConfigError,
    GateFailed,
    GateUndecided,
    PromotionRefused,
    find_prunegate_error,
)


class Terminated(BaseException):
    """SIGTERM, raised where the process is, like KeyboardInterrupt for SIGINT: a BaseException,
    so no ``except Exception`` in a node or a library swallows it on the way up."""


def _terminate(signum, frame) -> None:
    raise Terminated()


def clean_errors(func):
    """Our errors become one red line and an exit code; anything else keeps its traceback.
    An interrupted run (Ctrl-C, SIGTERM from CI's cancel) ends its MLflow runs as KILLED, frees
    its folder, says what it registered, and exits 130 or 143 as a shell would."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        signal.signal(signal.SIGTERM, _terminate)
        try:
            return func(*args, **kwargs)
        except (KeyboardInterrupt, Terminated) as stop:
            from prunegate.app.hooks import interrupt

            left = interrupt() or "nothing registered"
            click.secho(f"interrupted: {left}", err=True, fg="red")
            sys.exit(143 if isinstance(stop, Terminated) else 130)
        except Exception as error:
            ours = find_prunegate_error(error)
            if ours is None:
                raise
            label = ("FAIL" if isinstance(ours, GateFailed | PromotionRefused) else
                     "UNDECIDED" if isinstance(ours, GateUndecided) else "error")
            click.secho(f"{label}: {ours}", err=True, fg="red")
            sys.exit(ours.exit_code)
    return wrapper


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


@click.group(name="prunegate")
def cli() -> None:
    """prunegate: compress, measure, gate and promote PyTorch models.

    Run from the project root. Registry commands read the tracking URI and model name of
    --recipe (default mnist_mlp); MLFLOW_TRACKING_URI overrides the URI.
    """


cli.add_command(run)

recipe_option = click.option("--recipe", default="mnist_mlp", show_default=True,
                             help="Recipe whose registered model and test split to use.")


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
    from kedro.framework.session import KedroSession

    from prunegate.app.project import gate_candidate
    from prunegate.gate.rule import raise_unless_passed
    from prunegate.reporting.summary import summary_table

    if candidate is not None:
        metrics, verdict = gate_candidate(recipe, candidate)
        click.echo(summary_table(metrics, verdict))
        raise_unless_passed(verdict)
        return
    require_recipe(recipe)
    with KedroSession.create(env=recipe) as session:
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
@click.argument("kind", type=click.Choice(["csv", "images"]))
@click.argument("path", type=click.Path())
def example_data(kind: str, path: str) -> None:
    """Write generated example data to PATH: a CSV of 16 features and a 4-class `label`
    column, or an image folder (PATH/<class>/*.png, 3 classes). The template_custom recipe
    reads data/01_raw/example.csv; replace it with your own."""
    from prunegate.data.examples import write_example_csv, write_example_images

    written = write_example_csv(path) if kind == "csv" else write_example_images(path)
    click.echo(f"wrote {written}")


@cli.command()
@click.option("--quick", is_flag=True, help="Smoke test: one seed, LeNet-300-100 and "
              "mnist_mlp only, short training (about 2 minutes).")
@click.option("--out", default="benchmarks/results", show_default=True,
              type=click.Path(file_okay=False), help="Where the JSON, Markdown and PNG go.")
@clean_errors
def bench(quick: bool, out: str) -> None:
    """prunegate's recipes against the peers (torch.nn.utils.prune, Torch-Pruning, NNCF when
    installed: pip install -e .[peers]) on LeNet-300-100 and LeNet-5, 5 seeds (0-4), from the same
    dense weights with the same fine-tuning budget; every artifact timed interleaved in one run.

    Writes <out>/<date>.json, latest.json, latest.md (the table and the targets) and
    pareto.png. The recipes run in a scratch copy: data/ and mlflow.db are not touched."""
    from prunegate.benchmark.run import BenchConfig, run_bench

    results = run_bench(Path.cwd(), Path(out), BenchConfig.quick() if quick else BenchConfig())
    click.echo((Path(out) / "latest.md").read_text())
    click.echo(f"{len(results['runs'])} measurements; written to {out}/")


@cli.command("recipes-check")
@click.option("--seeds", default="0,1,2,3,4", show_default=True,
              help="Comma-separated seeds; each moves every seed a recipe reads.")
@click.option("--recipe", "recipes", multiple=True,
              help="Only this recipe (repeatable). Default: every pipelines/*.yml.")
@click.option("--out", default="benchmarks/results", show_default=True,
              type=click.Path(file_okay=False),
              help="Where recipes-check.json and recipes-check.md go.")
@clean_errors
def recipes_check(seeds: str, recipes: tuple[str, ...], out: str) -> None:
    """Run every shipped recipe end to end at each seed and report its gate pass rate (pass,
    fail, undecided, error) and the checks that kept a run from passing. One run after the
    other, in scratch copies with their own MLflow store: nothing of yours is touched.
    Exit 0 only when every run passed."""
    from prunegate.benchmark.pass_rate import check_recipes, markdown, shipped_recipes, write

    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError as error:
        raise ConfigError(f"--seeds takes comma-separated whole numbers, got '{seeds}'.") \
            from error
    known = shipped_recipes(Path.cwd())
    for recipe in recipes:
        require_recipe(recipe)
    result = check_recipes(Path.cwd(), list(recipes) or known, seed_list)
    write(result, Path(out))
    click.echo(markdown(result))
    sys.exit(0 if all(r["outcome"] == "pass" for r in result["runs"]) else 1)


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


@cli.command("gate-audit")
@recipe_option
@click.option("--runs", default=20, show_default=True, help="Gate runs per scenario.")
@clean_errors
def gate_audit(recipe: str, runs: int) -> None:
    """Measure the gate's own error rates on the recipe's latest artifacts: false alarms on
    the same candidate, and detections of injected accuracy, latency and size regressions.
    Writes data/08_reporting/gate_audit.json (or data/<recipe>/…)."""
    from prunegate.gate.audit import run_gate_audit

    configs, catalog = recipe_context(recipe, connect=False)
    result = run_gate_audit(catalog.load("quantized_onnx"), catalog.load("baseline_onnx"),
                            catalog.load("test"), runs=runs, target=configs["target"])
    catalog.save("gate_audit", result)
    same, injected = result["same_candidate"], result["injected"]
    click.echo(f"{'scenario':<16} {'runs':>5} {'not passed':>11} {'of which undecided':>19}"
               "  goal")
    click.echo(f"{'same candidate':<16} {same['runs']:>5} "
               f"{same['false_failures'] + same['undecided']:>11} {same['undecided']:>19}  0 "
               "failed (false alarms)")
    for kind, row in injected.items():
        click.echo(f"{kind + ' regr.':<16} {row['runs']:>5} {row['caught']:>11} "
                   f"{row['undecided']:>19}  {row['runs']} not passed (caught)")
    ok = same["false_failures"] == 0 and all(r["caught"] == r["runs"] for r in injected.values())
    click.echo("AUDIT PASS" if ok else "AUDIT FAIL: the gate missed a regression or flaked")
    sys.exit(0 if ok else 1)


@cli.group()
def registry() -> None:
    """Inspect registered versions."""


@registry.command("status")
@recipe_option
@clean_errors
def registry_status(recipe: str) -> None:
    """Champion and challenger, with their metrics and tags, and the champion history."""
    from prunegate import registry as reg

    configs, _ = recipe_context(recipe)
    info = reg.status(configs["mlflow"].registered_model)
    click.echo(f"{info['model']}: " + ", ".join(f"{a} -> v{v}" for a, v in
                                                 sorted(info["aliases"].items())))
    for alias, version in sorted(info["versions"].items()):
        click.echo(f"\n{alias} v{version['version']}")
        for key, value in sorted(version["tags"].items()):
            click.echo(f"  {key:<28} {value}")
    click.echo(f"\nchampion history (oldest first): {info['history']}")
    for entry in info["log"][-5:]:
        click.echo(f"  {entry['why']}: v{entry['from']} -> v{entry['to']}")


@registry.command("compare")
@click.argument("a")
@click.argument("b")
@recipe_option
@clean_errors
def registry_compare(a: str, b: str, recipe: str) -> None:
    """Tags and gate metrics of versions A and B side by side."""
    from prunegate import registry as reg

    configs, _ = recipe_context(recipe)
    rows = reg.compare_versions(configs["mlflow"].registered_model, a, b)
    click.echo(f"{'tag':<28} {'v' + a:<24} {'v' + b:<24}")
    for key, va, vb in rows:
        mark = "" if va == vb else "  *"
        click.echo(f"{key:<28} {va[:24]:<24} {vb[:24]:<24}{mark}")


@cli.command()
@click.option("--version", "version", required=True, help="Version to promote to champion.")
@click.option("--expect-champion", default=None,
              help="Promote only if champion still points at this version ('none': no champion "
                   "yet). Default: whatever champion is when the command starts.")
@recipe_option
@click.option("--params", default=None, metavar="KEY=VALUE,...",
              help="The --params the run was gated with (e.g. gates.max_size_ratio=0.2): the "
                   "re-check uses the same gate.")
@clean_errors
def promote(version: str, expect_champion: str | None, recipe: str, params: str | None) -> None:
    """Verified promotion: the registry's copy must have its validated SHA-256 and pass the
    recipe's gate again, re-measured now on the recipe's test split against its dense baseline
    (accuracy, drop, size, per-class and other quality checks, I/O contract, finite outputs;
    latency is the run's, measured on the target). No verdict is read from registry tags. Then
    champion moves (compare-and-set)."""
    from prunegate import registry as reg
    from prunegate.app.project import load_artifact

    configs, catalog = recipe_context(recipe, params=params)
    name = configs["mlflow"].registered_model
    if expect_champion is None:
        expected = reg.champion_version(name)
    else:
        expected = None if expect_champion == "none" else expect_champion
    result = reg.promote(name, version, load_artifact(catalog, "test"), configs["gates"],
                         load_artifact(catalog, "baseline_onnx"), expected, reason="cli promote")
    click.echo(json.dumps(result))


@cli.command()
@recipe_option
@clean_errors
def rollback(recipe: str) -> None:
    """Move champion back to the previous champion (verified), recorded in the history."""
    from prunegate import registry as reg

    configs, catalog = recipe_context(recipe)
    result = reg.rollback(configs["mlflow"].registered_model, catalog.load("test"))
    click.echo(json.dumps(result))


def _add_search() -> None:
    from prunegate.app.cli_search import search

    cli.add_command(search)


_add_search()


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
