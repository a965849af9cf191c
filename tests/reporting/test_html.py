"""report.html: the same tables as gate.md, escaped, with the plots embedded."""

from prunegate.reporting.html import TEMPLATES, markdown_blocks

GATE_MD = """## Gate: **FAIL**

| check | value | threshold |
|---|---|---|
| max_size_ratio | 0.31 | 0.1 |

a model named <script>alert(1)</script> failed
"""


def test_gate_md_becomes_headings_tables_and_paragraphs():
    blocks = markdown_blocks(GATE_MD)
    assert [b["kind"] for b in blocks] == ["heading", "table", "text"]
    assert blocks[0]["text"] == "Gate: FAIL"
    assert blocks[1]["rows"] == [["check", "value", "threshold"],
                                 ["max_size_ratio", "0.31", "0.1"]]


def test_the_page_escapes_what_it_shows_and_embeds_every_figure():
    page = TEMPLATES.get_template("report.html.j2").render(
        verdict_line="Gate: FAIL", blocks=markdown_blocks(GATE_MD),
        figures=[{"title": "pareto", "png": "AAAA"}, {"title": "sizes", "png": "BBBB"}])
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<th>check</th>" in page and "<td>0.31</td>" in page
    assert page.count('<img src="data:image/png;base64,') == 2
    assert "<title>prunegate report: Gate: FAIL</title>" in page


def test_layers_left_unpruned_and_int8_speed_are_named_in_the_summary():
    from prunegate.reporting.summary import stage_notes

    notes = stage_notes({"left_unpruned": ["block.proj"]})
    assert notes and "block.proj" in notes[0] and "unable to run" in notes[0]
    assert stage_notes({"layers": {}}) == [] and stage_notes(None) == []
    speed = "int8:Gemm is 9% slower than fp32, kept for size (...): 65.0 -> 25.0 KB"
    assert stage_notes(None, {"speed_note": speed}) == [f"Quantize: {speed}."]
    assert stage_notes(None, {"speed_note": None}) == []
