"""``prunegate search``: the constraint search command (cli.py adds it to the group)."""

import click

from prunegate.app.cli_errors import clean_errors

SEARCH_HELP = """Search the compression chain for the best model that meets the constraints.

\b
  prunegate search --recipe mnist_mlp
  prunegate search --recipe mnist_mlp --trials 40 --timeout 1800 --workers 2
  prunegate search --recipe mnist_mlp --ray-address ray://head:10001
  prunegate search --recipe mnist_mlp --params "search.constraints.max_size_ratio=0.05"

Each trial re-runs prune, fine-tune, distill and quantize on the recipe's dense baseline (trained
first if the recipe never ran) with parameters Optuna picks from search.space, and is scored on
the validation split: accuracy, p95 latency on the recipe's target, bytes. The constraints use
the gates' vocabulary (search.constraints; default: the recipe's gates). Every trial is an
MLflow child run of one search run. The best trial that meets every constraint is gated on the
test split with the recipe's gates and registered as challenger (never promoted); the Pareto
front, the winner and, when none qualifies, the closest misses and by how much they missed are
in data/08_reporting/search.json and search.png.

Exit codes: 0 a trial met every constraint and passed the release gate; 1 none met the
constraints (the closest are reported) or the winner failed the release gate; 2 the search
could not run (bad config or space, impossible constraints, unreachable Ray or tracking
store)."""


@click.command(help=SEARCH_HELP)
@click.option("--recipe", default="mnist_mlp", show_default=True, help="Recipe to search.")
@click.option("--trials", type=int, default=None, help="Trial budget (search.trials).")
@click.option("--timeout", type=float, default=None,
              help="Wall-time budget in seconds; no trial starts after it (search.timeout_s).")
@click.option("--backend", type=click.Choice(["ray", "local"]), default=None,
              help="Where trials run (search.backend).")
@click.option("--workers", type=int, default=None, help="Ray: trials at once (search.workers).")
@click.option("--ray-address", default=None,
              help="A Ray cluster (search.ray_address; default RAY_ADDRESS, else local Ray).")
@click.option("--params", "params", default=None, metavar="KEY=VALUE,...",
              help="Parameter overrides, as kedro run --params.")
def search(recipe: str, trials: int | None, timeout: float | None, backend: str | None,
           workers: int | None, ray_address: str | None, params: str | None) -> None:
    from prunegate.app.project import parse_overrides
    from prunegate.app.search_recipe import search_recipe

    def run() -> None:
        overrides = parse_overrides(params)
        flags = {"trials": trials, "timeout_s": timeout, "backend": backend,
                 "workers": workers, "ray_address": ray_address}
        overrides.setdefault("search", {}).update(
            {k: v for k, v in flags.items() if v is not None})
        search_recipe(recipe, overrides)

    clean_errors(run)()
