"""``make recipes-check``: does every shipped recipe pass its own gate, seed after seed?

A recipe that passes on one seed and fails on the next gets a scheduled job switched off, so the
pass rate is measured, not assumed: each recipe runs end to end (``kedro run --config``, in a
scratch copy of the project with its own MLflow store, so there is no champion and nothing of
the user's is touched) once per seed, with every seed it reads moved together, and the outcome
(pass, fail, undecided, error) and the checks that did not pass are recorded.
"""

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from prunegate.benchmark.recipes import _data_folder, scratch_project

log = logging.getLogger(__name__)

SEED_KEYS = ("data.seed", "train.seed", "prune.seed", "finetune.seed", "distill.training.seed",
             "quantize.seed")
OUTCOMES = {0: "pass", 1: "fail", 3: "undecided"}


def shipped_recipes(root: Path) -> list[str]:
    return sorted(p.stem for p in (root / "pipelines").glob("*.yml"))


def check_recipes(root: Path, recipes: list[str], seeds: list[int]) -> dict[str, Any]:
    """Every recipe at every seed, one after the other (timings need a quiet machine)."""
    runs = []
    for recipe in recipes:
        for seed in seeds:
            runs.append(run_once(root, recipe, seed))
            r = runs[-1]
            log.info("%-20s seed %d: %-9s %5.0f s  %s", recipe, seed, r["outcome"], r["seconds"],
                     r["why"])
    return {"date": date.today().isoformat(), "seeds": seeds, "runs": runs,
            "recipes": summarise(runs), "machine": {"cores": os.cpu_count()}}


def run_once(root: Path, recipe: str, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"prunegate-{recipe}-{seed}-") as tmp:
        project = scratch_project(root, Path(tmp))
        if recipe == "template_custom":  # the template reads the example CSV it documents
            from prunegate.data.examples import write_example_csv
            write_example_csv(project / "data" / "01_raw" / "example.csv")
        env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{project / 'mlflow.db'}"}
        kedro = Path(sys.executable).with_name("kedro")
        params = ",".join(f"{key}={seed}" for key in SEED_KEYS)
        started = time.perf_counter()
        done = subprocess.run([str(kedro), "run", "--config", f"pipelines/{recipe}.yml",
                               "--params", params], cwd=project, env=env, capture_output=True,
                              text=True)
        reports = project / _data_folder(project, recipe) / "08_reporting"
        verdict = _json(reports / "gate.json")
        figures = headline(_json(reports / "metrics.json"))
    last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
    return {"recipe": recipe, "seed": seed, "exit": done.returncode,
            "outcome": OUTCOMES.get(done.returncode, "error"),
            "seconds": round(time.perf_counter() - started, 1),
            "why": "" if done.returncode == 0 else last[:400], "figures": figures,
            "checks": {c["name"]: {k: c.get(k) for k in ("decision", "value", "interval",
                                                           "resolution", "threshold")}
                       for c in (verdict or {}).get("checks", [])}}


def _json(path: Path) -> Any:
    return json.loads(path.read_text()) if path.is_file() else None


def headline(metrics: dict[str, Any] | None) -> dict[str, float] | None:
    """The deployable's figures a reader compares recipes by (None if it never got measured)."""
    if not metrics:
        return None
    cand, dense = metrics["stages"][metrics["candidate"]], metrics["stages"]["baseline"]
    return {"accuracy": cand["accuracy"], "dense_accuracy": dense["accuracy"],
            "drop_pp": 100 * (dense["accuracy"] - cand["accuracy"]),
            "size_ratio": cand["size_bytes"] / dense["size_bytes"],
            "gzip_ratio": cand["size_compressed_bytes"] / dense["size_compressed_bytes"],
            "p95_ratio": cand["latency_p95_ms"] / dense["latency_p95_ms"],
            "test_samples": int(sum(map(sum, cand["confusion_matrix"])))}


def summarise(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per recipe: how many seeds passed, failed, were undecided or errored, and which checks
    kept the others from passing."""
    out: dict[str, dict[str, Any]] = {}
    for r in runs:
        row = out.setdefault(r["recipe"], {"runs": 0, "pass": 0, "fail": 0, "undecided": 0,
                                           "error": 0, "blocking": {}})
        row["runs"] += 1
        row[r["outcome"]] += 1
        if r.get("figures"):
            row.setdefault("figures", []).append(r["figures"])
        for name, check in r["checks"].items():
            if check["decision"] in ("fail", "undecided"):
                row["blocking"][name] = row["blocking"].get(name, 0) + 1
    return out


def markdown(result: dict[str, Any]) -> str:
    seeds = ", ".join(map(str, result["seeds"]))
    lines = [f"Gate pass rate of every shipped recipe, seeds {seeds} ({result['date']}, "
             f"{result['machine']['cores']} cores; `make recipes-check`).", "",
             "| recipe | pass | fail | undecided | error | checks that did not pass |",
             "|---|---|---|---|---|---|"]
    for recipe, row in result["recipes"].items():
        blocking = ", ".join(f"`{k}` ×{v}" for k, v in sorted(row["blocking"].items())) or "—"
        lines.append(f"| `{recipe}` | {row['pass']}/{row['runs']} | {row['fail']} | "
                     f"{row['undecided']} | {row['error']} | {blocking} |")
    lines += ["", "The deployable against its dense fp32 ONNX baseline, mean over the seeds "
              "(min–max); p95 at batch 1, interleaved in the same run:", "",
              "| recipe | accuracy | dense | drop pp | size | gzip size | p95 |",
              "|---|---|---|---|---|---|---|"]
    for recipe, row in result["recipes"].items():
        figures = row.get("figures") or []
        if figures:
            lines.append(f"| `{recipe}` | " + " | ".join(
                _spread([f[key] for f in figures], fmt) for key, fmt in (
                    ("accuracy", "{:.3f}"), ("dense_accuracy", "{:.3f}"), ("drop_pp", "{:+.2f}"),
                    ("size_ratio", "{:.3f}×"), ("gzip_ratio", "{:.3f}×"),
                    ("p95_ratio", "{:.2f}×"))) + " |")
    return "\n".join(lines) + "\n"


def _spread(values: list[float], fmt: str) -> str:
    mean = sum(values) / len(values)
    return (fmt.format(mean) + f" ({fmt.format(min(values))}–{fmt.format(max(values))})"
            if len(values) > 1 else fmt.format(mean))


def write(result: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "recipes-check.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / "recipes-check.md").write_text(markdown(result))
