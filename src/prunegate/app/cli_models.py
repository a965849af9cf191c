"""The model registry commands: ``prunegate models status|compare``, ``promote`` (re-gated,
compare-and-set) and ``rollback``. The group is ``models``, not ``registry``: Kedro loads these
commands into ``kedro`` too, where a ``registry`` group would hide ``kedro registry list``."""

import json

import click

from prunegate.app.cli_errors import clean_errors, recipe_option
from prunegate.app.project import load_artifact, recipe_context


@click.group()
def models() -> None:
    """Inspect the registered versions: status, compare."""


@models.command("status")
@recipe_option
@clean_errors
def models_status(recipe: str) -> None:
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


@models.command("compare")
@click.argument("a")
@click.argument("b")
@recipe_option
@clean_errors
def models_compare(a: str, b: str, recipe: str) -> None:
    """Tags and gate metrics of versions A and B side by side."""
    from prunegate import registry as reg

    configs, _ = recipe_context(recipe)
    rows = reg.compare_versions(configs["mlflow"].registered_model, a, b)
    click.echo(f"{'tag':<28} {'v' + a:<24} {'v' + b:<24}")
    for key, va, vb in rows:
        mark = "" if va == vb else "  *"
        click.echo(f"{key:<28} {va[:24]:<24} {vb[:24]:<24}{mark}")


@click.command()
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

    configs, catalog = recipe_context(recipe, params=params)
    name = configs["mlflow"].registered_model
    if expect_champion is None:
        expected = reg.champion_version(name)
    else:
        expected = None if expect_champion == "none" else expect_champion
    result = reg.promote(name, version, load_artifact(catalog, "test"), configs["gates"],
                         load_artifact(catalog, "baseline_onnx"), expected, reason="cli promote")
    click.echo(json.dumps(result))


@click.command()
@recipe_option
@clean_errors
def rollback(recipe: str) -> None:
    """Move champion back to the previous champion (verified), recorded in the history."""
    from prunegate import registry as reg

    configs, catalog = recipe_context(recipe)
    result = reg.rollback(configs["mlflow"].registered_model, catalog.load("test"))
    click.echo(json.dumps(result))
