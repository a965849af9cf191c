"""The report's figures (matplotlib, Agg: no display needed)."""

from typing import Any

import matplotlib

matplotlib.use("Agg")
from matplotlib import pyplot as plt  # noqa: E402

from prunegate.gate.stages import STAGES  # noqa: E402


def pareto(metrics: dict[str, Any]):
    """Accuracy against size (log scale) and against p95 latency, one point per stage."""
    stages = [s for s in STAGES if s in metrics["stages"]]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, key, label in ((axes[0], "size_bytes", "size on disk (bytes, log)"),
                           (axes[1], "latency_p95_ms", "p95 latency at batch 1 (ms, log)")):
        for stage in stages:
            m = metrics["stages"][stage]
            ax.scatter(m[key], m["accuracy"], s=60)
            ax.annotate(stage, (m[key], m["accuracy"]), textcoords="offset points",
                        xytext=(5, 4), fontsize=8)
        ax.set(xscale="log", xlabel=label, ylabel="test accuracy")
        ax.grid(alpha=0.3)
    fig.suptitle("accuracy × size × latency, every stage measured in one run")
    fig.tight_layout()
    plt.close(fig)
    return fig


def _prune_title(config: dict[str, Any]) -> str:
    if config.get("selection") == "threshold":
        how = f"|w| < {config['threshold']:g}"
    elif config.get("latency_budget_ms") is not None:
        how = f"to a {config['latency_budget_ms']:g} ms budget by {config.get('criterion', '?')}"
    elif config.get("energy_budget_uj") is not None or config.get("energy_budget_ratio"):
        budget = (f"{config['energy_budget_uj']:g} µJ" if config.get("energy_budget_uj")
                  is not None else f"{config['energy_budget_ratio']:.0%} of dense")
        how = f"to an energy budget of {budget} by {config.get('criterion', '?')}"
    elif config.get("layer_ratios"):
        how = ", ".join(f"{name} {ratio:.0%}" for name, ratio in config["layer_ratios"].items())
        how = f"{how} by {config.get('criterion', '?')}"
    else:
        how = f"{config.get('sparsity', 0):.0%} by {config.get('criterion', '?')}"
    return f"per-layer weights, {config.get('granularity', '?')} pruning, {how}"


def layer_sizes(prune_report: dict[str, Any]):
    """Weights per layer before and after pruning, with the zero fraction after."""
    layers = list(prune_report["layers"])
    before = [prune_report["layers"][n]["before"]["params"] for n in layers]
    after = [prune_report["layers"][n]["after"]["params"] * (
        1 - prune_report["layers"][n]["after"]["sparsity"]) for n in layers]
    fig, ax = plt.subplots(figsize=(8, 3.5))
    xs = range(len(layers))
    ax.bar([x - 0.2 for x in xs], before, width=0.4, label="before")
    ax.bar([x + 0.2 for x in xs], after, width=0.4, label="after (non-zero)")
    ax.set(xticks=list(xs), xticklabels=layers, yscale="log", ylabel="weights",
           title=_prune_title(prune_report.get("config", {})))
    ax.legend()
    fig.tight_layout()
    plt.close(fig)
    return fig


def latency_distributions(samples: dict[str, list[float]]):
    fig, ax = plt.subplots(figsize=(8, 3.5))
    names = [s for s in STAGES if s in samples]
    ax.boxplot([[v * 1000 for v in samples[n]] for n in names], showfliers=False)
    ax.set_xticks(range(1, len(names) + 1), names)
    ax.set(ylabel="µs per batch-1 call", title="latency distributions, interleaved rounds")
    fig.tight_layout()
    plt.close(fig)
    return fig


def confusion(matrix: list[list[int]], labels: list[int]):
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.imshow(matrix, cmap="Blues")
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            ax.text(j, i, str(value), ha="center", va="center", fontsize=7)
    ax.set(xticks=range(len(labels)), xticklabels=labels, yticks=range(len(labels)),
           yticklabels=labels, xlabel="predicted", ylabel="true",
           title="deployable model: confusion matrix")
    fig.tight_layout()
    plt.close(fig)
    return fig
