"""The constraint search: Optuna proposes, executors run trials, the constraints decide.

Three objectives (validation accuracy up, p95 latency and bytes down) and the constraints as a
gate. Optuna's multi-objective TPE sampler reads each trial's constraint violations, so it
learns where the feasible region is. Optuna's pruners do not work with several objectives, so
a trial stops itself after fine-tuning when its accuracy is hopeless (trial.py).
"""

import logging
import time
from collections.abc import Callable
from typing import Any

from prunegate import progress
from prunegate.errors import ConfigError
from prunegate.evaluation.targets import TargetProfile
from prunegate.gate.config import HIGHER_IS_BETTER
from prunegate.search.config import OBJECTIVES, SearchConfig, constraint_gate
from prunegate.search.executors import make_executor, require_reachable
from prunegate.search.space import apply, check_choices, dimensions, sample
from prunegate.search.trial import Inputs, TrialJob
from prunegate.training.loop import accuracy

log = logging.getLogger(__name__)
# a compressed model rarely beats its dense original by more than this on validation data
HEADROOM = 0.02


Check = Callable[[dict[str, Any]], dict[str, Any]]


def run_search(params: dict[str, Any], config: SearchConfig, inputs: Inputs,
               target: TargetProfile, check: Check,
               on_result: Callable[[dict[str, Any]], None] | None = None
               ) -> tuple[dict[str, Any], bytes | None]:
    """The search report, and the deployable bytes of the best trial that meets every
    constraint (None when no trial does). ``check`` is the recipe's parameter check: it parses
    each trial's parameters once, into the configs whose "chain" the trial runs."""
    import optuna

    dims, combinations, gate = preflight(params, config, check)
    base_accuracy = accuracy(inputs.baseline.model, inputs.val)
    floor = _accuracy_floor(gate, base_accuracy)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        directions=[direction for _, direction in OBJECTIVES],
        sampler=optuna.samplers.TPESampler(
            seed=config.seed, n_startup_trials=max(2, min(10, config.trials // 3))))
    executor = make_executor(config.backend, inputs, config.workers, config.address())
    started, asked, results, pending = time.time(), 0, [], {}
    deadline = started + (config.timeout_s or float("inf"))
    bar = progress.bar(total=config.trials, desc="search", unit="trial")

    def record(result: dict[str, Any]) -> None:
        _tell(study, pending.pop(result["number"]), result, gate)
        results.append(result)
        bar.update()
        bar.set_postfix(feasible=sum(bool(r.get("feasible")) for r in results))
        if on_result is not None:
            on_result(result)

    try:
        while True:
            while asked < config.trials and time.time() < deadline and \
                    executor.running < executor.capacity:
                trial = study.ask()
                chosen = sample(trial, dims)
                pending[trial.number] = trial
                asked += 1
                try:  # a combination no stage accepts (gradual + neurons): never submitted
                    chain = check(apply(params, chosen))["chain"]
                except ConfigError as error:
                    now = time.time()
                    record({"number": trial.number, "chosen": chosen, "state": "invalid",
                            "reason": str(error), "started": now, "ended": now})
                    continue
                executor.submit(TrialJob(trial.number, chosen, chain, gate, target, floor,
                                         config.prune_margin_pp, config.latency_repeats))
            if not executor.running:
                break
            record(executor.next_done())
        backend = executor.describe()
    finally:
        bar.close()
        executor.close()
    elapsed = time.time() - started
    report = summarise(results, config, gate, base_accuracy, elapsed, asked, backend)
    report["space"] = {"dimensions": [d.path for d in dims], "valid_combinations": combinations}
    best = report["best"]
    winner = next((r["onnx"] for r in results if r["number"] == best), None)
    return report, winner


def require_packages(backend: str) -> None:
    """Optuna (and Ray for backend 'ray') are the ``search`` extra, not core dependencies."""
    import importlib.util

    needed = ["optuna", *(["ray"] if backend == "ray" else [])]
    missing = [name for name in needed if importlib.util.find_spec(name) is None]
    if missing:
        raise ConfigError(f"prunegate search needs {' and '.join(missing)}, which this "
                          "environment lacks: pip install 'prunegate[search]' (or set "
                          "search.backend to local, which needs optuna only).")


def preflight(params: dict[str, Any], config: SearchConfig, check: Check):
    """Everything that can be refused before a baseline is trained or a trial runs: the space,
    the constraints and the Ray address."""
    require_packages(config.backend)
    dims = dimensions(config.space, params)
    combinations = check_choices(params, dims, check)
    gate = constraint_gate(config, params.get("gates"))
    address = config.address()
    if config.backend == "ray" and address not in (None, "auto", "local"):
        require_reachable(address)
    return dims, combinations, gate


def _accuracy_floor(gate, base_accuracy: float) -> float:
    floor = gate.min_accuracy or 0.0
    if gate.min_accuracy is not None and gate.min_accuracy > base_accuracy + HEADROOM:
        raise ConfigError(f"search.constraints min_accuracy {gate.min_accuracy} is above what the "
                          f"dense baseline reaches on validation data ({base_accuracy:.4f}), "
                          "so no compressed trial can be expected to meet it. Lower it, or "
                          "train a better baseline first.")
    if gate.max_accuracy_drop_pp is not None:
        floor = max(floor, base_accuracy - gate.max_accuracy_drop_pp / 100.0)
    return floor


def _tell(study, trial, result: dict[str, Any], gate) -> None:
    """The result to Optuna, with one constraint value per check (<= 0: met), so its sampler
    learns where the feasible region is."""
    from optuna.trial import TrialState

    for key in ("where", "reason"):
        if key in result:
            trial.set_user_attr(key, result[key])
    complete = result["state"] == "complete"
    for spec in gate.specs():
        # stopped or broken trials count as outside the feasible region
        trial.set_constraint(spec.name, result["violations"][spec.name] if complete else 1.0)
    if complete:
        study.tell(trial, [result["figures"][name] for name, _ in OBJECTIVES])
    else:
        study.tell(trial, state=TrialState.PRUNED if result["state"] == "pruned"
                   else TrialState.FAIL)


def pareto_front(rows: list[dict[str, Any]]) -> list[int]:
    """Trial numbers no other completed trial beats on every objective."""
    def key(row):  # every objective as "lower is better"
        return [(-1 if d == "maximize" else 1) * row["figures"][m] for m, d in OBJECTIVES]

    front = []
    for row in rows:
        mine = key(row)
        dominated = any(all(o <= m for o, m in zip(key(other), mine, strict=True)) and
                        key(other) != mine for other in rows)
        if not dominated:
            front.append(row["number"])
    return front


def summarise(results: list[dict[str, Any]], config: SearchConfig, gate, base_accuracy: float,
              elapsed: float, asked: int, backend: dict[str, Any]) -> dict[str, Any]:
    done = sorted((r for r in results if r["state"] == "complete"), key=lambda r: r["number"])
    feasible = [r for r in done if r["feasible"]]
    # the best accuracy among trials that meet every constraint; then faster, then smaller
    best = min(feasible, key=lambda r: (-r["figures"]["accuracy"],
                                        r["figures"]["latency_p95_ms"],
                                        r["figures"]["size_bytes"]), default=None)
    closest = [] if best else sorted(done, key=_distance)[:config.closest]
    timed = [r for r in results if "started" in r]
    busy = sum(r["ended"] - r["started"] for r in timed)
    # from the first trial's start to the last one's end: Ray's start-up is not the trials'
    span = (max(r["ended"] for r in timed) - min(r["started"] for r in timed)) if timed else 0.0
    states = [r["state"] for r in results]
    return {
        "budget": {"trials": config.trials, "timeout_s": config.timeout_s, "started": asked,
                   "stopped_by": "trials" if asked >= config.trials else "timeout"},
        "backend": backend, "elapsed_s": elapsed, "trial_seconds": busy, "trials_span_s": span,
        "parallelism": busy / span if span else 0.0,   # trials running at once, on average
        "baseline_val_accuracy": base_accuracy,
        "constraints": [{"name": s.name, "metric": s.metric, "comparator": s.comparator,
                         "threshold": s.threshold, "basis": s.basis} for s in gate.specs()],
        "counts": {state: states.count(state)
                   for state in ("complete", "pruned", "invalid", "error")},
        "feasible": [r["number"] for r in feasible],
        "pareto": pareto_front(done),
        "best": best["number"] if best else None,
        "closest": [{"number": r["number"], "misses": misses(r)} for r in closest],
        "trials": [{k: v for k, v in r.items() if k not in ("onnx", "traceback")}
                   for r in sorted(results, key=lambda r: r["number"])],
    }


def _distance(result: dict[str, Any]) -> tuple[int, float]:
    over = [v for v in result["violations"].values() if v > 0]
    return len(over), sum(over)


def misses(result: dict[str, Any]) -> list[str]:
    """Each failed constraint as 'quantity = value, needs <= threshold (missed by …)'."""
    return [f"{c['name']}: {quantity(c)} = {c['value']:.4g}, needs {c['comparator']} "
            f"{c['threshold']:.4g} (missed by {abs(c['value'] - c['threshold']):.3g})"
            for c in result["checks"] if not c["passed"]]


def quantity(check: dict[str, Any]) -> str:
    """What a check's value is: the metric itself, a drop in pp, or a ratio to the baseline."""
    if check["basis"] == "absolute":
        return check["metric"]
    if check["comparator"] == ">=" or check["metric"] in HIGHER_IS_BETTER:
        return f"{check['metric']} drop vs baseline (pp)"
    return f"{check['metric']} / baseline"
