"""The search's figure: every completed trial, the Pareto front and the winner."""

from typing import Any

from prunegate.reporting.plots import plt


def search_plot(report: dict[str, Any]):
    """Validation accuracy against size and against p95; feasible trials filled, the Pareto
    front outlined, the best feasible trial starred."""
    done = [t for t in report["trials"] if t["state"] == "complete"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, key, label in ((axes[0], "size_bytes", "size on disk (bytes, log)"),
                           (axes[1], "latency_p95_ms", "p95 latency (ms, log)")):
        for feasible, colour in ((True, "tab:green"), (False, "tab:red")):
            rows = [t for t in done if t["feasible"] is feasible]
            ax.scatter([t["figures"][key] for t in rows], [t["figures"]["accuracy"] for t in rows],
                       c=colour, s=30, alpha=0.7,
                       label="meets every constraint" if feasible else "misses one")
        front = sorted((t for t in done if t["number"] in report["pareto"]),
                       key=lambda t: t["figures"][key])
        ax.scatter([t["figures"][key] for t in front], [t["figures"]["accuracy"] for t in front],
                   s=90, facecolors="none", edgecolors="black", label="Pareto front")
        best = next((t for t in done if t["number"] == report["best"]), None)
        if best is not None:
            ax.scatter(best["figures"][key], best["figures"]["accuracy"], marker="*", s=220,
                       c="gold", edgecolors="black", label=f"best: trial {best['number']}")
        ax.axhline(report["baseline_val_accuracy"], color="grey", ls="--", lw=1,
                   label="dense baseline")
        ax.set(xscale="log", xlabel=label, ylabel="validation accuracy")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7, loc="lower right")
    fig.suptitle(f"search: {len(done)} completed trials of {report['budget']['started']}")
    fig.tight_layout()
    plt.close(fig)
    return fig
