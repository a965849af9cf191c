"""The measurement commands: make bench, make recipes-check and make gate-audit."""

import sys
from pathlib import Path

import click

from prunegate.app.cli_errors import clean_errors, recipe_option
from prunegate.app.project import recipe_context, require_recipe
from prunegate.atomic import write_atomic
from prunegate.errors import ConfigError


@click.command()
@click.option("--quick", is_flag=True, help="Smoke test: one seed, LeNet-300-100 and "
              "mnist_mlp only, short training (under a minute).")
@click.option("--out", default="benchmarks/results", show_default=True,
              type=click.Path(file_okay=False), help="Where the JSON, Markdown and PNG go.")
@click.option("--call", type=click.Choice(["run", "iobinding"]), default="run",
              show_default=True, help="How every ONNX model is called: session.run, or "
              "inputs and outputs bound once to preallocated buffers (run_with_iobinding).")
@click.option("--burst", type=click.IntRange(1, 1000), default=1, show_default=True,
              help="Calls per model in a row when timing, the first dropped: 1 times every "
              "call cold, after another model's (a host serving many models); 10 times warm "
              "calls (one model called back to back under steady load).")
@click.option("--allow-noisy", is_flag=True, help="Publish even when the machine is too "
              "noisy (the table says NOISY): for smoke tests on a busy machine.")
@clean_errors
def bench(quick: bool, out: str, call: str, burst: int, allow_noisy: bool) -> None:
    """prunegate's recipes against the peers (torch.nn.utils.prune, Torch-Pruning, NNCF when
    installed: pip install -e .[peers]) on LeNet-300-100 and LeNet-5, 5 seeds (0-4), from the same
    dense weights with the same fine-tuning budget; every artifact timed interleaved in one run.

    Writes <out>/<date>.json, latest.json, latest.md (the table and the targets) and
    pareto.png. The recipes run in a scratch copy: data/ and mlflow.db are not touched.

    The machine's noise is measured before and after (load average; a model timed against
    itself). On a noisy machine the figures go to <date>-noisy.json only, latest.* is left as
    it was, and the command exits 1."""
    from dataclasses import replace

    from prunegate.benchmark.run import BenchConfig, NoisyMachine, run_bench

    config = replace(BenchConfig.quick() if quick else BenchConfig(), call=call,
                     burst=burst, allow_noisy=allow_noisy)
    try:
        results = run_bench(Path.cwd(), Path(out), config)
    except NoisyMachine as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    click.echo((Path(out) / "latest.md").read_text())
    click.echo(f"{len(results['runs'])} measurements; written to {out}/")


@click.command("recipes-check")
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


@click.command("gate-audit")
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


@click.command("bench-family")
@recipe_option
@click.option("--repeats", default=1000, show_default=True,
              help="Timed rounds at batch 1 (a fifth of them at batch 32).")
@clean_errors
def bench_family(recipe: str, repeats: int) -> None:
    """The recipe's latest artifacts beside Torch-Pruning at the same pruning ratio, from the
    same dense checkpoint and with the same fine-tuning: params, MACs, accuracy, size and
    p50/p95 at batch 1 and 32, each timed interleaved with the dense model. Run the recipe
    first (kedro run --config pipelines/<recipe>.yml). Writes family_peer.json and .md in the
    recipe's 08_reporting."""
    import json

    from prunegate.benchmark.family import compare, markdown

    configs, catalog = recipe_context(recipe, connect=False)
    ratio = float(catalog.load("prune_report")["config"]["sparsity"])  # after the backoff
    artifacts = {name: catalog.load(name) for name in (
        "train", "val", "test", "baseline_model", "distilled_model", "baseline_onnx",
        "distilled_onnx", "quantized_onnx")}
    result = compare(artifacts, ratio, configs["prune"].round_to, configs["finetune"],
                     configs["target"], repeats)
    text = markdown(recipe, result)
    reporting = catalog.get("metrics").filepath.parent
    write_atomic(reporting / "family_peer.json",
                 lambda tmp: tmp.write_text(json.dumps(result, indent=2) + "\n"))
    write_atomic(reporting / "family_peer.md", lambda tmp: tmp.write_text(text + "\n"))
    click.echo(text)
    click.echo(f"written to {reporting}/family_peer.json and .md")
