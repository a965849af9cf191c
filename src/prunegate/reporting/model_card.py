"""What the MLflow UI shows about a run and its registered version, without opening artifacts:
the parent run's headline figures, and a model card (Markdown) as the version's description."""

from typing import Any

# what the registered model is; written once, when its description is empty
MODEL_DESCRIPTION = (
    "Compressed by prunegate: each version is one recipe run's deployable (ONNX, served through "
    "MLflow's pyfunc with logits, probabilities and labels), registered as `challenger` after "
    "its gate ran. `champion` moves only to a version whose gate passed and whose registry "
    "copy was re-gated; each version's description is its model card.")


def headline(metrics: dict[str, Any], verdict: dict[str, Any]) -> dict[str, float]:
    """The deployable's figures against the dense baseline, as flat metrics for the parent run
    (so the experiment table sorts and compares runs without expanding them)."""
    stage = metrics["stages"][metrics["candidate"]]
    base = metrics["stages"][metrics.get("baseline", "baseline")]
    figures = {"accuracy": stage.get("accuracy"),
               "accuracy_drop_pp": stage.get("accuracy_drop_pp"),
               "size_bytes": stage.get("size_bytes"),
               "size_ratio": _ratio(stage.get("size_bytes"), base.get("size_bytes")),
               "latency_p95_ms": stage.get("latency_p95_ms"),
               "latency_p95_ratio": stage.get("latency_p95_ratio"),
               "energy_uj": stage.get("energy_uj"),
               "energy_ratio": _ratio(stage.get("energy_uj"), base.get("energy_uj")),
               "robust_accuracy": stage.get("robust_accuracy"),
               "gate_passed": 1.0 if verdict["passed"] else 0.0}
    return {key: float(value) for key, value in figures.items()
            if isinstance(value, int | float)}


def _ratio(a: Any, b: Any) -> float | None:
    return a / b if isinstance(a, int | float) and isinstance(b, int | float) and b else None


def what_was_done(params: dict[str, Any], metrics: dict[str, Any]) -> list[str]:
    """One line per compression step the run made, from its parameters."""
    prune, distill = params.get("prune") or {}, params.get("distill") or {}
    quantize = params.get("quantize") or {}
    stages = metrics["stages"]
    amount = next((f"{key} {prune[key]}" for key in ("sparsity", "threshold",
                                                       "latency_budget_ms", "energy_budget_uj",
                                                       "energy_budget_ratio", "layer_ratios")
                   if prune.get(key) is not None), "")
    lines = [f"pruning: {prune.get('granularity', '?')} by {prune.get('criterion', '?')}, "
             f"{prune.get('scope', 'local')} scope, {amount}, "
             f"{(prune.get('schedule') or 'one_shot')} schedule"]
    if "finetuned" in stages:
        lines.append(f"fine-tuning: {(params.get('finetune') or {}).get('epochs', '?')} epochs")
    if "distilled" in stages:
        lines.append(f"knowledge distillation: {distill.get('kind', 'logit')} KD into "
                     f"{distill.get('student', 'pruned')}, teacher "
                     f"{distill.get('teacher', 'auto')}")
    lines.append(f"quantization: {quantize.get('mode', 'none')}")
    return lines


def model_card(recipe: str, params: dict[str, Any], metrics: dict[str, Any],
               verdict: dict[str, Any], run_id: str, experiment_id: str) -> str:
    """A registered version's description: recipe, steps, figures, verdict, and its run."""
    figures = headline(metrics, verdict)

    def show(key: str, fmt: str) -> str:
        return format(figures[key], fmt) if key in figures else "n/a"

    failed = [c["name"] for c in verdict["checks"] if c.get("passed") is False]
    lines = [f"**prunegate recipe `{recipe}`**, gate **{verdict['outcome'].upper()}**"
             + (f" (failed: {', '.join(failed)})" if failed else ""), "",
             *[f"- {line}" for line in what_was_done(params, metrics)], "",
             "| figure | value |", "|---|---|",
             f"| accuracy | {show('accuracy', '.4f')} |",
             f"| accuracy drop vs dense | {show('accuracy_drop_pp', '+.2f')} pp |",
             f"| size vs dense | {show('size_ratio', '.3f')}× ({show('size_bytes', ',.0f')} B)"
             " |",
             f"| p95 latency vs dense | {show('latency_p95_ratio', '.2f')}× |",
             f"| energy vs dense | {show('energy_ratio', '.3f')}× |", "",
             f"Run: `runs:/{run_id}` (UI: `#/experiments/{experiment_id}/runs/{run_id}`); its "
             "artifacts hold gate.md, report.html and every stage's model."]
    return "\n".join(lines)


def run_note(recipe: str, metrics: dict[str, Any], verdict: dict[str, Any]) -> str:
    """The parent run's description in the UI: one line, the verdict and the headline."""
    figures = headline(metrics, verdict)
    parts = [f"{recipe}: gate {verdict['outcome'].upper()}"]
    if "accuracy" in figures:
        parts.append(f"accuracy {figures['accuracy']:.4f} "
                     f"({figures.get('accuracy_drop_pp', 0.0):+.2f} pp drop)")
    for key, label in (("size_ratio", "size"), ("latency_p95_ratio", "p95"),
                       ("energy_ratio", "energy")):
        if key in figures:
            parts.append(f"{figures[key]:.3g}× {label}")
    return ", ".join(parts)


def where_to_look(report: str, uri: str, experiment_id: str, run_id: str) -> str:
    """The run's last lines: its report, and how to open the run in the MLflow UI."""
    page = f"#/experiments/{experiment_id}/runs/{run_id}"
    if uri.startswith(("http://", "https://")):
        ui = f"{uri.rstrip('/')}/{page}"
    else:  # a local store: the UI is a command away ("***" if the URI carries a password)
        ui = f"`mlflow ui --backend-store-uri {uri}`, then http://127.0.0.1:5000/{page}"
    return f"report: {report} (open it in a browser)\nMLflow: {ui}"
