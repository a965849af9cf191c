"""report.html: gate.md's tables and the plots in one self-contained page (jinja2, escaped).

The page is built from the same Markdown as gate.md, so the two can never disagree; the plots
are embedded as PNGs, so the file can be attached to a CI run or an MLflow run as it is."""

import base64
import io
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from prunegate.reporting import plots
from prunegate.reporting.summary import gate_markdown, stage_notes

TEMPLATES = Environment(loader=PackageLoader("prunegate.reporting", "templates"),
                        autoescape=select_autoescape(["html", "j2"]))


def html_report(metrics: dict[str, Any], verdict: dict[str, Any], prune_report: dict[str, Any],
                latency_samples: dict[str, list[float]],
                choices: list[dict[str, Any]] | None = None,
                notes: list[str] | None = None) -> str:
    """The verdict, the tables and four plots: the Pareto front, the layer sizes, the latency
    distributions and the candidate's confusion matrix."""
    candidate = metrics["stages"][metrics["candidate"]]
    figures = {"accuracy, size and latency per stage": plots.pareto(metrics),
               "layer sizes before and after pruning": plots.layer_sizes(prune_report),
               "latency distributions": plots.latency_distributions(latency_samples),
               "confusion matrix of the candidate": plots.confusion(
                   candidate["confusion_matrix"], candidate["per_class"].get(
                       "names", candidate["per_class"]["labels"]))}
    markdown = gate_markdown(metrics, verdict, choices,
                             stage_notes(prune_report) if notes is None else notes)
    return TEMPLATES.get_template("report.html.j2").render(
        verdict_line=markdown.splitlines()[0].lstrip("# ").replace("**", ""),
        blocks=markdown_blocks(markdown),
        figures=[{"title": title, "png": _png(fig)} for title, fig in figures.items()])


def markdown_blocks(markdown: str) -> list[dict[str, Any]]:
    """gate.md as headings, paragraphs and tables (the only Markdown it uses)."""
    blocks: list[dict[str, Any]] = []
    rows: list[list[str]] = []
    for line in markdown.splitlines() + [""]:
        if line.startswith("|"):
            if not set(line) <= set("|-: "):   # the header's separator row
                rows.append([c.strip().strip("`") for c in line.strip("|").split("|")])
            continue
        if rows:
            blocks.append({"kind": "table", "rows": rows})
            rows = []
        if line.startswith("#"):
            blocks.append({"kind": "heading", "text": line.lstrip("# ").replace("**", "")})
        elif line:
            blocks.append({"kind": "text", "text": line})
    return blocks


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return base64.b64encode(buffer.getvalue()).decode()
