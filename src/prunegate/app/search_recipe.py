"""``prunegate search --recipe r``: the constraint search on a recipe's baseline and data.

An adapter, like project.py: it loads the recipe through Kedro (training the baseline first if
the recipe never ran), hands plain data to ``search.run_search``, and the results to the
registry. Trials are scored on the validation split; the winner is then gated on the test split
with the recipe's own gates, against the baseline and the champion, exactly like a recipe run,
and registered as ``challenger``. Nothing is promoted: that stays ``prunegate promote``'s job.
"""

import json
import logging
from pathlib import Path
from typing import Any

import onnx

from prunegate import registry
from prunegate.app.project import _context, context_configs, recipe_session
from prunegate.app.recipe import check_params
from prunegate.atomic import write_atomic
from prunegate.data.splits import data_sha256
from prunegate.errors import GateFailed, GateUndecided
from prunegate.gate.stages import gate_deployable
from prunegate.onnx_io.export import export_onnx
from prunegate.search.config import SearchConfig
from prunegate.search.study import preflight, run_search
from prunegate.search.trial import Inputs
from prunegate.validators import from_dict

log = logging.getLogger(__name__)
summary = logging.getLogger("prunegate.summary")


def search_recipe(recipe: str, overrides: dict[str, Any]) -> dict[str, Any]:
    context = _context(recipe, overrides)
    params = context.params
    configs = context_configs(params, context.config_loader)
    config = from_dict(SearchConfig, params.get("search"), "search")
    # a bad space, constraint or Ray address: refused before any training
    preflight(params, config, check_params)
    catalog = _with_baseline(recipe, context, overrides)
    train, val, test = (catalog.load(name) for name in ("train", "val", "test"))
    baseline = catalog.load("baseline_model")
    baseline_onnx = export_onnx(baseline.model, tuple(val["x"].shape[1:]))
    inputs = Inputs(baseline, baseline_onnx.SerializeToString(), train, val)
    tracker = registry.RunTracker(configs["mlflow"], f"search-{recipe}",
                                  {"recipe": recipe, "search": params.get("search") or {}})
    status = "FAILED"
    try:
        report, winner = run_search(params, config, inputs, configs["target"], check_params,
                                    on_result=lambda r: _log_trial(tracker, r))
        report["recipe"] = recipe
        if winner is not None:
            report["release"] = _gate_and_register(recipe, params, configs, tracker, winner,
                                                   baseline_onnx, train, test)
        tracker.set_tags({"search.best": report["best"], "search.pareto": report["pareto"]})
        tracker.log_dict(report, "search.json")
        _save(report, Path(context.config_loader["globals"].get("data", "data")))
        status = "FINISHED"
    finally:
        tracker.end(status=status)
    _summarise(report)
    if report["best"] is None:
        raise GateFailed(f"no trial met every constraint in {report['budget']['started']} "
                         "trials; closest: " + " | ".join(
                             f"trial {c['number']}: {'; '.join(c['misses'])}"
                             for c in report["closest"]) + ". Relax search.constraints or "
                         "widen search.space, or raise search.trials.")
    if not report["release"]["gate_passed"]:
        error = GateUndecided if report["release"]["outcome"] == "undecided" else GateFailed
        raise error(f"trial {report['best']} met the constraints on validation data but the "
                    f"release gate on test data was {report['release']['outcome']}: "
                    f"{report['release']['why']}")
    return report


def _with_baseline(recipe: str, context, overrides: dict[str, Any]):
    """The recipe's catalog, with its splits and dense baseline made first when missing."""
    catalog = context.catalog
    if all(catalog.exists(name) for name in ("baseline_model", "train", "val", "test")):
        return catalog
    summary.info("no baseline for %s yet: running the recipe up to train_baseline", recipe)
    with recipe_session(recipe, overrides) as session:
        session.run(to_nodes=["train.train_baseline"])
    return _context(recipe, overrides).catalog


def _log_trial(tracker, result: dict[str, Any]) -> None:
    tracker.start_stage(f"trial-{result['number']:03d}", result["chosen"])
    where = result.get("where") or {}
    tracker.set_tags({"trial.state": result["state"], "trial.feasible": result.get("feasible"),
                      **{f"trial.ran_on.{k}": v for k, v in where.items()},
                      **({"trial.reason": result["reason"]} if "reason" in result else {})})
    tracker.log_metrics(result.get("figures") or {})
    if "finetuned_val_accuracy" in result:
        tracker.log_metrics({"finetuned_val_accuracy": result["finetuned_val_accuracy"]})
    tracker.end_stage("FINISHED" if result["state"] in ("complete", "pruned") else "FAILED")


def _gate_and_register(recipe: str, params: dict[str, Any], configs: dict[str, Any], tracker,
                       winner: bytes, baseline_onnx: onnx.ModelProto, train, test
                       ) -> dict[str, Any]:
    """The recipe's release gate on the test split, then registration as challenger, by the
    same policy as a recipe run (registry.release); nothing is promoted."""
    name, deployable = configs["mlflow"].registered_model, onnx.load_from_string(winner)
    champion = registry.champion_at_start(name)
    metrics, verdict = gate_deployable(deployable, baseline_onnx, test, configs["gates"],
                                       configs["target"], configs["validate"], champion.model,
                                       champion.split)
    candidate = metrics["stages"]["candidate"]
    tracker.log_metrics({k: v for k, v in candidate.items() if isinstance(v, int | float)},
                        prefix="release.")
    tags = registry.release_tags(recipe, winner, verdict, candidate["accuracy"], params, test,
                                 data_sha256(train), tracker.parent.info.run_id)
    release = registry.register_release(
        name, deployable, verdict, tags,
        lambda: tracker.log_model(deployable, "deployable", test["x"][:1]), champion)
    return {**release.record(), "test_accuracy": candidate["accuracy"],
            "test_latency_p95_ms": candidate["latency_p95_ms"],
            "size_bytes": candidate["size_bytes"], "checks": verdict["checks"]}


def _save(report: dict[str, Any], data: Path) -> None:
    from prunegate.reporting.search_plot import search_plot

    out = data / "08_reporting"
    write_atomic(out / "search.json", lambda tmp: tmp.write_text(
        json.dumps(report, indent=2, default=str)))
    figure = search_plot(report)
    write_atomic(out / "search.png", lambda tmp: figure.savefig(tmp, format="png", dpi=110))


def _summarise(report: dict[str, Any]) -> None:
    counts = ", ".join(f"{n} {state}" for state, n in report["counts"].items() if n)
    summary.info("search: %d trials (%s) in %.0f s on %s, %.2f trials at once on average",
                 report["budget"]["started"], counts, report["elapsed_s"],
                 report["backend"]["backend"], report["parallelism"])
    rows = {t["number"]: t for t in report["trials"]}
    for number in report["pareto"]:
        f = rows[number]["figures"]
        summary.info("  pareto  trial %3d  acc %.4f  p95 %.4f ms  %7d bytes  %s", number,
                     f["accuracy"], f["latency_p95_ms"], f["size_bytes"],
                     "feasible" if rows[number]["feasible"] else "infeasible")
    if report["best"] is not None:
        release = report["release"]
        summary.info("best feasible: trial %d -> %s v%s (challenger); release gate on test: %s",
                     report["best"], release["model"], release["version"],
                     "PASS" if release["gate_passed"] else f"FAIL ({release['why']})")
    for close in report["closest"]:
        summary.info("  closest miss: trial %d: %s", close["number"], "; ".join(close["misses"]))


__all__ = ["search_recipe"]
