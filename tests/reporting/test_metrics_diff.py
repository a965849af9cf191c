from prunegate.reporting.metrics_diff import metrics_diff_markdown


def run(accuracy: float, size: int, ratio: float) -> dict:
    return {"candidate": "quantized", "stages": {"quantized": {
        "accuracy": accuracy, "f1_macro": accuracy, "size_bytes": size, "params": 100,
        "latency_p95_ratio": ratio}}}


def rows(markdown: str) -> dict[str, list[str]]:
    return {cells[0]: cells[1:] for line in markdown.splitlines() if line.startswith("| ")
            for cells in [[c.strip() for c in line.strip("|").split("|")]]}


def test_changes_are_relative_and_marked_by_which_way_is_better():
    table = rows(metrics_diff_markdown(run(0.90, 1000, 0.5), run(0.92, 1500, 0.5)))
    assert table["accuracy"] == ["0.9000", "0.9200", "+2.2% ✅"]
    assert table["size (bytes)"] == ["1,000", "1,500", "+50.0% ⚠️"]   # bigger is worse
    assert table["parameters"][2] == "="
    assert table["p95 / dense (same run)"][2] == "="
    assert "MACs" not in table                                      # absent, not invented


def test_without_a_base_the_head_figures_stand_alone():
    markdown = metrics_diff_markdown(None, run(0.9, 1000, 0.5))
    assert rows(markdown)["accuracy"] == ["–", "0.9000", "–"]
    assert "main did not run" in markdown
