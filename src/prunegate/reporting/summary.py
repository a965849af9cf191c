"""Human-readable summaries of a run."""

from typing import Any

from prunegate.gate.rule import failure_line, unit, value_label
from prunegate.gate.stages import STAGES


def summary_table(metrics: dict[str, Any], verdict: dict[str, Any]) -> str:
    """Stage × (accuracy, F1, size, params, p50, p95, energy, robust accuracy), then the
    verdict line."""
    rows = [f"{'stage':<10} {'accuracy':>8} {'f1':>7} {'size KB':>9} {'gzip KB':>8} "
            f"{'params':>8} {'nonzero':>8} {'p50 µs':>8} {'p95 µs':>8} {'µJ':>7} {'robust':>7}"]
    for stage in STAGES:
        m = metrics["stages"].get(stage)
        if m is None:
            continue
        rows.append(f"{stage:<10} {m['accuracy']:>8.4f} {m['f1_macro']:>7.4f} "
                    f"{m['size_bytes'] / 1024:>9.1f} {m['size_compressed_bytes'] / 1024:>8.1f} "
                    f"{m['params']:>8d} {m['nonzero_params']:>8d} "
                    f"{m['latency_p50_ms'] * 1000:>8.1f} {m['latency_p95_ms'] * 1000:>8.1f} "
                    f"{m.get('energy_uj', float('nan')):>7.3g} "
                    + (f"{m['robust_accuracy']:>7.4f}" if "robust_accuracy" in m else f"{'—':>7}"))
    checks = [_check_line(c) for c in verdict["checks"]]
    # on FAIL the CLI's last line names the failing checks, so it is not repeated here
    last = [f"PASS: {failure_line(verdict)}"] if verdict["passed"] else []
    return "\n".join([*rows, "", "gate checks:", *checks, "", *last])


DECISION = {"pass": "PASS", "fail": "FAIL", "undecided": "UNDC", "skipped": "SKIP"}
HEADS = {"pass": "✅ **PASS**", "fail": "❌ **FAIL**", "undecided": "⚠️ **UNDECIDED**"}


def _check_line(c: dict[str, Any]) -> str:
    if c["decision"] == "skipped":
        return f"  SKIP  {c['name']:<34} {c['note']}"
    interval = c["interval"]
    ci = (f" [{interval[0]:.4g}, {interval[1]:.4g}]" if interval and interval[0] != interval[1]
          else "")
    return (f"  {DECISION[c['decision']]}  {c['name']:<34} {c['value']:>10.4g}{ci} "
            f"{c['comparator']} {c['threshold']:.4g}{unit(c)}"
            + (f"  ({c['note']})" if c["note"] else ""))


def measured_choices(prune_report: dict[str, Any] | None = None,
                     quantize_report: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every choice a timing made in this run, and the settings that replay it anywhere.

    Everything else in a run is bit-reproducible (same seeds, data, threads and versions give
    the same bytes); these two depend on the machine's speed at that moment."""
    choices = []
    if quantize_report and quantize_report.get("measured"):
        choices.append({"stage": "quantize", "choice": f"variant {quantize_report['chosen']}",
                        "rule": quantize_report["rule"], "pin": quantize_report["pin"]})
    latency = (prune_report or {}).get("latency")
    if latency and "pin" in latency:
        ratios = ", ".join(f"{k} {v:.0%}" for k, v in latency["ratios"].items())
        choices.append({"stage": "prune", "choice": f"layer ratios {ratios}",
                        "rule": f"latency budget {latency['budget_ms']} ms, greedy on measured "
                                "savings (unresolved savings count as none)",
                        "pin": latency["pin"]})
    energy = (prune_report or {}).get("energy")
    if energy and energy.get("energy") == "measured":   # modelled: a pure function, no choice
        ratios = ", ".join(f"{k} {v:.0%}" for k, v in energy["ratios"].items())
        choices.append({"stage": "prune", "choice": f"layer ratios {ratios}",
                        "rule": f"energy budget {energy['energy_budget_uj']:.4g} µJ, greedy "
                                "on measured savings", "pin": energy["pin"]})
    return choices


def pin_params(pin: dict[str, Any]) -> str:
    """A pin as kedro's --params, or as YAML where a list has commas (which --params splits)."""
    import json

    def flat(key: str, value: Any) -> list[str]:
        if isinstance(value, dict):
            return [item for k, v in value.items() for item in flat(f"{key}.{k}", v)]
        if isinstance(value, list):
            return [f"{key}=[{','.join(map(str, value))}]"]
        return [f"{key}={'null' if value is None else value}"]

    items = [item for key, value in pin.items() for item in flat(key, value)]
    if any("[" in i and "," in i for i in items):
        return json.dumps(pin)
    return ",".join(items)


def _choice_lines(choices: list[dict[str, Any]]) -> list[str]:
    if not choices:
        return []
    lines = ["", "Measured choices (decided by a timing on this machine; the pin rebuilds the "
             "same artifact without timing, e.g. `kedro run --config ... --params <pin>`):", "",
             "| stage | choice | rule | pin |", "|---|---|---|---|"]
    for c in choices:
        lines.append(f"| {c['stage']} | {c['choice']} | {c['rule']} | `{pin_params(c['pin'])}` |")
    return lines


def stage_notes(prune_report: dict[str, Any] | None,
                quantize_report: dict[str, Any] | None = None) -> list[str]:
    """What pruning gave up and why, and what int8 did to speed, in words for the summary."""
    notes = []
    left = (prune_report or {}).get("left_unpruned")
    if left:
        notes.append(f"Left unpruned: {', '.join(left)}. Pruning them left the model unable to "
                     "run (a reshape or size its forward assumes), so they keep every neuron.")
    energy = (prune_report or {}).get("energy")
    if energy:
        moves = "; ".join(f"{m['layer']} to {m['ratio']:.0%}: {m['cost']:.4g} µJ"
                          for m in energy["steps"])
        notes.append(f"Energy budget {energy['energy_budget_uj']:.4g} µJ per inference "
                     f"({energy['energy']}, dense {energy['dense_uj']:.4g} µJ) "
                     f"{'met' if energy['met'] else 'NOT met'} at {energy['energy_uj']:.4g} µJ, "
                     f"most energy saved per importance lost first, the model re-evaluated "
                     f"after each move: {moves or 'no move needed'}.")
    speed = (quantize_report or {}).get("speed_note")
    if speed:
        notes.append(f"Quantize: {speed}.")
    return notes


def gate_markdown(metrics: dict[str, Any], verdict: dict[str, Any],
                  choices: list[dict[str, Any]] | None = None,
                  notes: list[str] | None = None) -> str:
    """The verdict as Markdown: a CI step summary or a PR comment."""
    outcome = verdict.get("outcome", "pass" if verdict["passed"] else "fail")
    level = f"{verdict.get('confidence', 0.95):.0%}"
    lines = [f"## prunegate gate: {HEADS[outcome]}", "", f"{failure_line(verdict)}.", "",
             f"| check | value | one-sided {level} bounds | resolution | needs | result |",
             "|---|---|---|---|---|---|"]
    for c in verdict["checks"]:
        value = "—" if c["value"] is None else f"{value_label(c)} {c['value']:.4g}{unit(c)}"
        interval = (f"[{c['interval'][0]:.4g}, {c['interval'][1]:.4g}]"
                    if c["interval"] and c["interval"][0] != c["interval"][1] else "exact")
        res = c.get("resolution")
        resolution = "—" if res is None else "exact" if res == 0 else f"{res:.3g}{unit(c)}"
        if c["value"] is None:
            interval = "—"
        note = f" — {c['note']}" if c["note"] else ""
        lines.append(f"| `{c['name']}` | {value} | {interval} | {resolution} | "
                     f"{c['comparator']} {c['threshold']:g}{unit(c)} | {c['decision']}{note} |")
    if verdict.get("latency_noise") is not None:
        other = verdict.get("other_load")
        lines += ["", f"Latency noise of this machine during the gate: a model against itself "
                  f"measured within ±{verdict['latency_noise']:.1%} at p95 ({level} one-sided)"
                  + (f"; other processes used {other:.0%} of the CPU meanwhile"
                     if other is not None else "")
                  + (f"; models called with `{verdict['call']}`" if verdict.get("call") else "")
                  + "."]
    lines += ["", "| stage | accuracy | size KB | gzip KB | MACs | p50 µs | p95 µs |",
              "|---|---|---|---|---|---|---|"]
    for stage in STAGES:
        m = metrics["stages"].get(stage)
        if m is not None:
            lines.append(f"| {stage} | {m['accuracy']:.4f} | {m['size_bytes'] / 1024:.1f} | "
                         f"{m['size_compressed_bytes'] / 1024:.1f} | {m.get('macs', '—')} | "
                         f"{m['latency_p50_ms'] * 1000:.1f} | {m['latency_p95_ms'] * 1000:.1f} |")
    return "\n".join(lines + _robustness_table(metrics) + _latency_table(metrics)
                     + _kfold_lines(metrics)
                     + _choice_lines(choices or []) + [f"\n{n}" for n in notes or []]) + "\n"


def _robustness_table(metrics: dict[str, Any]) -> list[str]:
    """Energy per inference, calibration and accuracy on each perturbed copy, per stage."""
    stages = [(s, m) for s in STAGES if (m := metrics["stages"].get(s)) is not None]
    if not stages or "energy_uj" not in stages[0][1]:
        return []
    robust = metrics.get("robustness") or {}
    copies = list(stages[0][1].get("robustness", {}))
    sources = sorted({m["energy_source"] for _, m in stages})
    lines = ["", f"Energy per inference at batch 1: {'; '.join(sources)}. Robustness: every "
             "stage on the same perturbed copies of the test split"
             + (f" (seed {robust.get('seed', 0)}: {', '.join(copies)})" if copies else
                " (none applies to these inputs)")
             + f"; ECE over {robust.get('ece_bins', 15)} confidence bins.", "",
             "| stage | µJ / inference | ECE | robust accuracy |"
             + "".join(f" {c} |" for c in copies),
             "|---|---|---|---|" + "---|" * len(copies)]
    for stage, m in stages:
        per = m.get("robustness", {})
        lines.append(f"| {stage} | {m['energy_uj']:.3g} | {m['ece']:.4f} | "
                     + (f"{m['robust_accuracy']:.4f} |" if "robust_accuracy" in m else "— |")
                     + "".join(f" {per[c]:.4f} |" if c in per else " — |" for c in copies))
    return lines


def _latency_table(metrics: dict[str, Any]) -> list[str]:
    """Every stage at every batch size of the target, with the p95 ratio to the dense model."""
    target = metrics.get("target")
    if not target:
        return []
    lines = ["", f"Latency on target `{target.get('name', '?')}`: {target['runtime']} "
             f"{target['provider']}, {target['intra_op_threads']} intra-op thread(s); the gate "
             f"decides at batch {target['batch_sizes'][0]}.", "",
             "| stage | batch | p50 ms | p95 ms | p99 ms | samples/s | p95 / dense [95% CI] "
             "| p95 / champion [95% CI] |", "|---|---|---|---|---|---|---|---|"]
    for stage in STAGES:
        m = metrics["stages"].get(stage)
        for batch, row in (m or {}).get("latency_by_batch", {}).items():
            lines.append(f"| {stage} | {batch} | {row['p50_ms']:.4f} | {row['p95_ms']:.4f} | "
                         f"{row['p99_ms']:.4f} | {row['throughput_per_s']:.0f} | "
                         f"{_ratio(row, 'p95_ratio')} | {_ratio(row, 'p95_ratio_vs_champion')} |")
    return lines


def _ratio(row: dict[str, Any], key: str) -> str:
    if key not in row:
        return "—"
    low, high = row[f"{key}_ci"]
    return f"{row[key]:.2f} [{low:.2f}, {high:.2f}]"


def _kfold_lines(metrics: dict[str, Any]) -> list[str]:
    kfold = metrics.get("kfold") or {}
    if not kfold.get("k"):
        return []
    held, test = kfold["held_out_accuracy"], kfold["test_accuracy"]
    return ["", f"k-fold stability ({kfold['k']} folds of fine-tune + distill): test accuracy "
            f"{test['mean']:.4f} ± {test['std']:.4f} (mean ± std); held-out-fold accuracy "
            f"{held['mean']:.4f} ± {held['std']:.4f}, optimistic because training saw those "
            "samples before pruning."]


def pareto_points(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """One record per stage (accuracy, size, latency): the Pareto data ``dvc plots`` draws."""
    return [{"stage": stage, "accuracy": m["accuracy"], "size_kb": m["size_bytes"] / 1024,
             "size_gzip_kb": m["size_compressed_bytes"] / 1024,
             "latency_p95_ms": m["latency_p95_ms"]}
            for stage in STAGES if (m := metrics["stages"].get(stage)) is not None]


def plot_history(history: dict[str, list[float]], title: str):
    """Loss and validation accuracy per epoch, as a matplotlib figure."""
    from matplotlib import pyplot as plt

    from prunegate.reporting import plots  # noqa: F401  (selects the Agg backend)

    fig, (loss, acc) = plt.subplots(1, 2, figsize=(8, 3))
    loss.plot(history["epoch"], history["train_loss"], marker="o")
    loss.set(xlabel="epoch", ylabel="train loss")
    acc.plot(history["epoch"], history["val_accuracy"], marker="o", color="tab:green")
    acc.set(xlabel="epoch", ylabel="val accuracy")
    fig.suptitle(title)
    fig.tight_layout()
    plt.close(fig)
    return fig
