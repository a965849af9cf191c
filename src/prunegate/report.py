"""Human-readable summaries of a run."""

from typing import Any

from prunegate.gates import failure_line

STAGES = ("baseline", "pruned", "finetuned", "distilled", "quantized")


def summary_table(metrics: dict[str, Any], verdict: dict[str, Any]) -> str:
    """Stage × (accuracy, F1, size, params, p50, p95), then the verdict line."""
    rows = [f"{'stage':<10} {'accuracy':>8} {'f1':>7} {'size KB':>9} {'gzip KB':>8} "
            f"{'params':>8} {'nonzero':>8} {'p50 µs':>8} {'p95 µs':>8}"]
    for stage in STAGES:
        m = metrics["stages"].get(stage)
        if m is None:
            continue
        rows.append(f"{stage:<10} {m['accuracy']:>8.4f} {m['f1_macro']:>7.4f} "
                    f"{m['size_bytes'] / 1024:>9.1f} {m['size_compressed_bytes'] / 1024:>8.1f} "
                    f"{m['params']:>8d} {m['nonzero_params']:>8d} "
                    f"{m['latency_p50_ms'] * 1000:>8.1f} {m['latency_p95_ms'] * 1000:>8.1f}")
    checks = [f"  {'PASS' if c['passed'] else 'FAIL'}  {c['name']:<22} {c['value']:>10.4g} "
              f"{c['comparator']} {c['threshold']:.4g}" for c in verdict["checks"]]
    # on FAIL the CLI's last line names the failing checks, so it is not repeated here
    last = [f"PASS: {failure_line(verdict)}"] if verdict["passed"] else []
    return "\n".join([*rows, "", "gate checks:", *checks, "", *last])


def plot_history(history: dict[str, list[float]], title: str):
    """Loss and validation accuracy per epoch, as a matplotlib figure."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, (loss, acc) = plt.subplots(1, 2, figsize=(8, 3))
    loss.plot(history["epoch"], history["train_loss"], marker="o")
    loss.set(xlabel="epoch", ylabel="train loss")
    acc.plot(history["epoch"], history["val_accuracy"], marker="o", color="tab:green")
    acc.set(xlabel="epoch", ylabel="val accuracy")
    fig.suptitle(title)
    fig.tight_layout()
    plt.close(fig)
    return fig
