"""The benchmark's summary (mean ± std over seeds), Markdown table, targets and Pareto plot."""

from collections import defaultdict
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

DENSE_ONNX = "dense fp32 (ONNX Runtime)"
DENSE_EAGER = "dense fp32 (torch eager)"
FLOOR = "ONNX Runtime floor (trivial model)"
MEANS = ("size_bytes", "size_compressed_bytes", "size_ratio", "size_compressed_ratio",
         "p50_ms_b1", "p95_ms_b1", "p50_ms_b32", "p95_ms_b32", "macs", "params",
         "nonzero_params", "compression_seconds", "entropy_bytes")


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per model and method. Speed-ups are taken per seed, against the dense models
    timed in the same randomised rounds, then averaged."""
    by_run = defaultdict(dict)
    for row in rows:
        by_run[(row["model"], row["seed"])][row["method"]] = row
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for (model, _), methods in by_run.items():
        for method, row in methods.items():
            row = dict(row)
            for size in (1, 32):
                own = row.get(f"p50_ms_b{size}")
                for ref, key in ((DENSE_ONNX, "onnx_fp32"), (DENSE_EAGER, "torch_eager")):
                    base = methods.get(ref, {}).get(f"p50_ms_b{size}")
                    row[f"speedup_vs_{key}_b{size}"] = base / own if own and base else None
                floor = methods.get(FLOOR, {}).get(f"p50_ms_b{size}")
                row[f"vs_floor_b{size}"] = own / floor if own and floor else None
            groups[(model, method)].append(row)
    summary = []
    for (model, method), group in groups.items():
        acc = [r["accuracy"] for r in group if r.get("accuracy") is not None]
        entry = {"model": model, "method": method, "seeds": len(group),
                 "accuracy_mean": float(np.mean(acc)) if acc else None,
                 "accuracy_std": float(np.std(acc, ddof=1)) if len(acc) > 1 else 0.0,
                 "note": next((r["note"] for r in group if r.get("note")), "")}
        failed = sum(r.get("gate_passed") is False for r in group)
        if failed:   # a recipe whose own gate did not pass is still measured, and says so
            entry["note"] = f"its gate did not pass on {failed} of {len(group)} seeds"
        for key in (*MEANS, "vs_floor_b1", "vs_floor_b32",
                    *(f"speedup_vs_{k}_b{s}" for k in ("onnx_fp32", "torch_eager")
                      for s in (1, 32))):
            values = [r[key] for r in group if r.get(key) is not None
                      and not (isinstance(r[key], float) and np.isnan(r[key]))]
            entry[key] = float(np.mean(values)) if values else None
        entry.update(p50_ms=entry["p50_ms_b1"], p95_ms=entry["p95_ms_b1"],
                     speedup_vs_onnx_fp32=entry["speedup_vs_onnx_fp32_b1"],
                     speedup_vs_torch_eager=entry["speedup_vs_torch_eager_b1"])
        summary.append(entry)
    return summary


# Issue #25's goals, per model; other models are held to LeNet-300-100's
GOALS = {"lenet_300_100": {"b1": 2.5, "eager": 5.0, "b32": 4.0, "floor": 1.5, "smaller": 50.0,
                           "drop_pp": 0.5},
         "lenet5": {"b1": 1.5, "smaller": 50.0, "drop_pp": 0.5}}


def goal_checks(entry: dict[str, Any], drop_pp: float,
                goals: dict[str, float]) -> list[tuple[str, bool, str]]:
    """Each goal of ``goals`` for one method's summary entry: (goal, met, figure)."""
    checks = {
        "b1": lambda g: (f">= {g:g}x faster than dense ONNX fp32 at batch 1",
                         entry["speedup_vs_onnx_fp32_b1"]),
        "eager": lambda g: (f">= {g:g}x faster than dense torch eager at batch 1",
                            entry["speedup_vs_torch_eager_b1"]),
        "b32": lambda g: (f">= {g:g}x faster than dense ONNX fp32 at batch 32",
                          entry["speedup_vs_onnx_fp32_b32"]),
        "smaller": lambda g: (f">= {g:g}x smaller than dense fp32 under gzip",
                              1 / entry["size_compressed_ratio"]
                              if entry.get("size_compressed_ratio") else None),
    }
    out = []
    for key, goal in goals.items():
        if key == "floor":
            ratio = entry.get("vs_floor_b1")
            out.append((f"within {goal:g}x of the ONNX Runtime floor at batch 1",
                        ratio is not None and ratio <= goal, _x(ratio)))
        elif key == "drop_pp":
            out.append((f"accuracy drop <= {goal:g} pp (mean of {entry['seeds']} seeds)",
                        drop_pp <= goal, f"{drop_pp:+.2f} pp"))
        else:
            name, value = checks[key](goal)
            out.append((name, (value or 0) >= goal, _x(value)))
    return out


def targets(summary: list[dict[str, Any]], model: str) -> list[tuple[str, bool, str]]:
    """Issue #25's goals and #7's peer comparisons for the prunegate recipe on ``model`` that
    meets the most goals (ties: the faster at batch 1): (target, met, evidence)."""
    rows = [e for e in summary if e["model"] == model]
    dense = next(e for e in rows if e["method"] == DENSE_ONNX)
    ours = [e for e in rows if e["method"].startswith("prunegate:")]
    peers = [e for e in rows if not e["method"].startswith("prunegate:")
             and e["method"] not in (DENSE_ONNX, DENSE_EAGER, FLOOR) and e["accuracy_mean"]]
    goals = GOALS.get(model, GOALS["lenet_300_100"])
    drop = {e["method"]: 100 * (dense["accuracy_mean"] - e["accuracy_mean"]) for e in ours}
    checked = {e["method"]: goal_checks(e, drop[e["method"]], goals) for e in ours}
    best = max(ours, key=lambda e: (sum(ok for _, ok, _ in checked[e["method"]]),
                                    e["speedup_vs_onnx_fp32_b1"] or 0))
    name = best["method"]
    out = [(f"{name}: {goal}", ok, figure) for goal, ok, figure in checked[name]]
    for peer in peers:
        wins = [best["size_compressed_bytes"] < peer["size_compressed_bytes"],
                best["p50_ms"] < peer["p50_ms"], best["accuracy_mean"] > peer["accuracy_mean"]]
        ok = sum(wins) >= 2 and best["accuracy_mean"] >= peer["accuracy_mean"]
        out.append((f"{name}: better than {peer['method']} on >= 2 of size, latency, accuracy, "
                    "at equal or better accuracy", ok,
                    f"size {'win' if wins[0] else 'loss'}, latency "
                    f"{'win' if wins[1] else 'loss'}, accuracy "
                    f"{best['accuracy_mean']:.3f} vs {peer['accuracy_mean']:.3f}"))
    return out


def _burst(burst: int) -> str:
    if burst == 1:
        return "one call per model per round (cold: each call follows another model's)"
    return (f"{burst} calls per model in a row per round, the first dropped (warm: one model "
            "called back to back)")


def markdown_table(results: dict[str, Any]) -> str:
    m, c = results["machine"], results["config"]
    lines = [f"Measured {results['date']} with `make bench`{' QUICK=1' if c['quick'] else ''} on "
             f"{m['cpu']} ({m['cores']} cores), torch {m['torch']}, ONNX Runtime "
             f"{m['onnxruntime']}; seeds {c['seeds']}, fine-tuning budget {c['tuning_epochs']} "
             "epochs. Latency: 1 thread, interleaved in one run; speed-ups per seed against the "
             f"dense models in the same randomised rounds, then averaged. Every ONNX model is "
             f"called with `{c.get('call', 'run')}`, {_burst(c.get('burst', 1))}; torch eager "
             "is timed in rounds of its own beside the dense ONNX model.",
             *_noise_lines(results.get("noise")), ""]
    for model in dict.fromkeys(e["model"] for e in results["summary"]):
        lines += [f"### {model}", "",
                  "| method | accuracy | raw size (vs dense) | gzip (vs dense) | raw / gzip vs "
                  "entropy bound | p50 / p95 b1 | × vs ONNX fp32 b1 | × vs torch eager b1 | "
                  "p50 b32 | × vs ONNX fp32 b32 | MACs | non-zeros | compress s |",
                  "|" + "---|" * 13]
        for e in (e for e in results["summary"] if e["model"] == model):
            lines.append("| " + " | ".join([
                e["method"] + (f" ({e['note']})" if e["note"] else ""),
                _pm(e["accuracy_mean"], e["accuracy_std"]),
                _size(e["size_bytes"], e["size_ratio"]),
                _size(e["size_compressed_bytes"], e["size_compressed_ratio"]),
                _bound(e),
                f"{_us(e['p50_ms_b1'])} / {_us(e['p95_ms_b1'])}",
                _x(e["speedup_vs_onnx_fp32_b1"]), _x(e["speedup_vs_torch_eager_b1"]),
                _us(e["p50_ms_b32"]), _x(e["speedup_vs_onnx_fp32_b32"]),
                _int(e["macs"]), _int(e["nonzero_params"]),
                "" if e["compression_seconds"] is None else f"{e['compression_seconds']:.0f}",
            ]) + " |")
        lines += ["", "Targets (issue #25's goals, issue #7's peers), for the recipe that meets "
                  "the most goals:", ""]
        lines += [f"- {'met' if ok else '**not met**'}: {t} — {why}"
                  for t, ok, why in targets(results["summary"], model)]
        lines.append("")
    return "\n".join(lines) + "\n"


def pareto_plot(summary: list[dict[str, Any]]):
    models = list(dict.fromkeys(e["model"] for e in summary))
    fig, axes = plt.subplots(len(models), 2, figsize=(12, 4.5 * len(models)), squeeze=False)
    for row, model in zip(axes, models, strict=True):
        entries = [e for e in summary if e["model"] == model and e["accuracy_mean"] is not None]
        for ax, key, label in ((row[0], "size_compressed_bytes", "gzip size (bytes)"),
                               (row[1], "p50_ms_b1", "p50 latency at batch 1 (ms)")):
            for e in entries:
                if e.get(key) is None:
                    continue
                ours = e["method"].startswith("prunegate:")
                reference = e["method"] in (DENSE_ONNX, DENSE_EAGER)
                ax.errorbar(e[key], e["accuracy_mean"], yerr=e["accuracy_std"],
                            fmt="o" if ours else "D" if reference else "s",
                            color="C0" if ours else "0.5" if reference else "C3")
                ax.annotate(e["method"].replace("prunegate:", ""), (e[key], e["accuracy_mean"]),
                            fontsize=7, xytext=(4, 2), textcoords="offset points")
            ax.set(xscale="log", xlabel=label, ylabel="test accuracy",
                   title=f"{model}: accuracy vs {label.split(' (')[0]}")
            ax.grid(alpha=0.3)
    fig.suptitle("prunegate (blue circles) vs peers (red squares) and dense (grey diamonds); "
                 "mean ± std over seeds")
    fig.tight_layout()
    plt.close(fig)
    return fig


def _pm(mean, std) -> str:
    return "" if mean is None else f"{mean:.3f} ± {std:.3f}"


def _size(size, ratio) -> str:
    return "" if size is None else f"{size / 1024:.1f} KB ({ratio:.3f}×)"


def _bound(e: dict[str, Any]) -> str:
    """How far the file is from its weights' zero-order entropy (evaluation/size.py)."""
    bound = e.get("entropy_bytes")
    if not bound or e.get("size_bytes") is None:
        return ""
    return f"{e['size_bytes'] / bound:.2f}× / {e['size_compressed_bytes'] / bound:.2f}×"


def _us(ms) -> str:
    return "" if ms is None else f"{ms * 1000:.1f} µs"


def _x(ratio) -> str:
    return "" if ratio is None else f"{ratio:.2f}×"


def _int(value) -> str:
    return "" if value is None else f"{int(value):,}"


def _noise_lines(noise: dict[str, Any] | None) -> list[str]:
    """The machine's noise as measured before and after the timing (evaluation/noise.py)."""
    if not noise:
        return []
    parts = [f"{when}: other processes "
             + ("n/a" if r.get("other_load") is None else f"{r['other_load']:.0%}")
             + f" of the CPU, a model against itself {r['self_ratio_p50']:.3f}× "
             f"[{r['self_ratio_ci'][0]:.3f}, {r['self_ratio_ci'][1]:.3f}]"
             + ("" if r.get("steal") is None else f", steal {r['steal']:.1%}")
             + f", load average {r['load_per_core']:.2f} per core"
             for when, r in noise["readings"].items()]
    state = "quiet" if noise["quiet"] else "NOISY"
    limits = noise["limits"]
    return ["", f"Machine noise ({'; '.join(parts)}): {state} within the limits (other "
            f"processes ≤ {limits['max_other_load']:.0%} of the CPU, steal ≤ "
            f"{limits['max_steal']:.0%}, self-ratio within 1 ± {limits['max_spread']})."]

