"""`make recipes-check`'s tally: outcomes per recipe, the checks that blocked, the figures."""

from click.testing import CliRunner

from prunegate.app.cli import cli
from prunegate.benchmark.pass_rate import headline, markdown, summarise


def run(recipe, seed, outcome, blocking=(), accuracy=0.93):
    checks = {"max_size_ratio": {"decision": "pass"}}
    checks |= {name: {"decision": "undecided" if outcome == "undecided" else "fail"}
               for name in blocking}
    return {"recipe": recipe, "seed": seed, "outcome": outcome, "checks": checks,
            "figures": {"accuracy": accuracy, "dense_accuracy": 0.935, "drop_pp": 0.5,
                        "size_ratio": 0.075, "gzip_ratio": 0.06, "p95_ratio": 0.5}}


def test_each_recipe_gets_its_pass_rate_and_what_blocked_the_rest():
    runs = [run("a", 0, "pass"), run("a", 1, "undecided", ["max_accuracy_drop_pp"], 0.92),
            run("a", 2, "fail", ["max_size_ratio"]), run("b", 0, "pass"),
            {"recipe": "b", "seed": 1, "outcome": "error", "checks": {}, "figures": None}]
    table = summarise(runs)
    assert table["a"] | {"figures": None} == {
        "runs": 3, "pass": 1, "fail": 1, "undecided": 1, "error": 0, "figures": None,
        "blocking": {"max_accuracy_drop_pp": 1, "max_size_ratio": 1}}
    assert (table["b"]["pass"], table["b"]["error"], len(table["b"]["figures"])) == (1, 1, 1)
    text = markdown({"date": "2026-12-02", "seeds": [0, 1, 2], "runs": runs, "recipes": table,
                     "machine": {"cores": 2}})
    assert "| `a` | 1/3 | 1 | 1 | 0 | `max_accuracy_drop_pp` ×1, `max_size_ratio` ×1 |" in text
    assert "| `a` | 0.927 (0.920–0.930) | 0.935 (0.935–0.935) |" in text
    assert "| `b` | 1/2 | 0 | 0 | 1 | — |" in text


def test_headline_figures_come_from_the_candidate_against_the_dense_baseline():
    stage = {"accuracy": 0.9, "size_bytes": 100, "size_compressed_bytes": 50,
             "latency_p95_ms": 0.02, "confusion_matrix": [[5, 1], [0, 4]]}
    dense = {**stage, "accuracy": 0.92, "size_bytes": 1000, "size_compressed_bytes": 900,
             "latency_p95_ms": 0.04}
    figures = headline({"candidate": "quantized", "stages": {"quantized": stage,
                                                             "baseline": dense}})
    assert abs(figures["drop_pp"] - 2.0) < 1e-9
    assert (figures["size_ratio"], figures["p95_ratio"], figures["test_samples"]) == (
        0.1, 0.5, 10)
    assert headline(None) is None


def test_bad_seeds_and_unknown_recipes_are_refused():
    runner = CliRunner()
    bad = runner.invoke(cli, ["recipes-check", "--seeds", "0,x"])
    assert bad.exit_code == 2 and "--seeds takes comma-separated whole numbers" in bad.output
    unknown = runner.invoke(cli, ["recipes-check", "--recipe", "nope"])
    assert unknown.exit_code == 2 and "unknown recipe 'nope'" in unknown.output
