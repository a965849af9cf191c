"""Two runs' metrics.json side by side, as the Markdown a pull request's gate job posts.

Latency figures from two separate runs on a shared runner are noisy; the table says so and
leaves the verdict to the gate, which measures interleaved in one process.
"""

from typing import Any

# (key, label, format, better): better is +1 when larger is better, -1 when smaller is
ROWS = [("accuracy", "accuracy", "{:.4f}", 1), ("f1_macro", "F1 (macro)", "{:.4f}", 1),
        ("size_bytes", "size (bytes)", "{:,.0f}", -1),
        ("size_compressed_bytes", "size compressed (bytes)", "{:,.0f}", -1),
        ("params", "parameters", "{:,.0f}", -1), ("macs", "MACs", "{:,.0f}", -1),
        ("latency_p95_ratio", "p95 / dense (same run)", "{:.3f}", -1)]


def metrics_diff_markdown(base: dict[str, Any] | None, head: dict[str, Any],
                          base_label: str = "main", head_label: str = "this PR") -> str:
    """A table of the deployable (candidate) stage's metrics in ``base`` and ``head``.

    Without a base (main could not run, or has no metrics yet), head's figures alone.
    """
    stage = head["candidate"]
    new = head["stages"][stage]
    old = None if base is None else base["stages"].get(base.get("candidate", stage))
    lines = [f"### Metrics of the deployable model ({stage})", "",
             f"| metric | {base_label} | {head_label} | change |", "|---|---:|---:|---:|"]
    for key, label, fmt, better in ROWS:
        if key not in new:
            continue
        before = None if old is None else old.get(key)
        lines.append(f"| {label} | {_cell(before, fmt)} | {fmt.format(new[key])} | "
                     f"{_change(before, new[key], better)} |")
    if old is None:
        lines += ["", f"No {base_label} figures to compare with: {base_label} did not run."]
    lines += ["", "Both runs use tiny settings on a shared runner: compare sizes and accuracy, "
              "and read latency from the ratio to the dense model timed in the same run."]
    return "\n".join(lines) + "\n"


def _cell(value: float | None, fmt: str) -> str:
    return "–" if value is None else fmt.format(value)


def _change(before: float | None, after: float, better: int) -> str:
    if before is None:
        return "–"
    if before == after:
        return "="
    relative = f"{(after - before) / abs(before):+.1%}" if before else f"{after - before:+g}"
    return relative + (" ✅" if (after - before) * better > 0 else " ⚠️")
