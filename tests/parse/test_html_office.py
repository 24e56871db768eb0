"""HTML and office formats through unstructured, fully offline."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pipelines.document import Document, Kind, Reason, Status
from pipelines.parse.dispatch import parse_bytes

ROOT = Path(__file__).resolve().parents[2]

HTML_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Acme Tariffs 2024</title>
<script>var tracking = "do not keep";</script><style>p { color: red }</style></head>
<body>
<h1>Acme Energy Tariffs</h1>
<p>This page lists the tariffs we offer to business customers in 2024.</p>
<h2>Standard plans</h2>
<ul><li>Basic plan for small offices</li><li>Green plan with <b>100% renewable</b> energy</li></ul>
<p>Questions? Read the <a href="https://acme.example/faq">FAQ</a> before you call us.</p>
<table>
<caption>Prices per kWh</caption>
<thead><tr><th>Plan</th><th>Price</th><th>Currency</th></tr></thead>
<tbody>
<tr><td>Basic</td><td>0.21</td><td>EUR</td></tr>
<tr><td>Green &amp; Clean</td><td>0.25</td><td>EUR</td></tr>
<tr><td colspan="2">Business Pro (on request)</td><td>USD</td></tr>
<tr><td rowspan="2">Legacy</td><td>0.30</td><td>EUR</td></tr>
<tr><td>0.35</td><td>GBP</td></tr>
</tbody></table>
<h3>Contract</h3>
<dl><dt>Invoice number</dt><dd>INV-2024-001</dd><dt>Due date</dt><dd>2024-03-01</dd></dl>
<p>Customer ID: C-1001</p>
<pre>tariff --list
  --all</pre>
</body></html>
"""


def _check_spans(doc: Document) -> None:
    assert doc.status is Status.PARSED, doc.reason_text
    for e in doc.elements:
        assert doc.text[e.start : e.end] == e.text
        for c in e.cells or []:
            assert doc.text[c.start : c.end] == c.text


@pytest.fixture(scope="module")
def html_doc() -> Document:
    return parse_bytes(HTML_PAGE.encode("utf-8"), name="tariffs.html")


def test_html_text_elements(html_doc: Document) -> None:
    _check_spans(html_doc)
    kinds = [(e.kind, e.text) for e in html_doc.elements if e.kind is not Kind.TABLE]
    assert kinds[0] == (Kind.TITLE, "Acme Tariffs 2024")
    headings = [(e.text, e.attrs["level"]) for e in html_doc.elements if e.kind is Kind.HEADING]
    assert headings == [("Acme Energy Tariffs", 1), ("Standard plans", 2), ("Contract", 3)]
    assert (Kind.PARAGRAPH, "This page lists the tariffs we offer to business customers in 2024.") in kinds
    items = [e.text for e in html_doc.elements if e.kind is Kind.LIST_ITEM]
    assert items == ["Basic plan for small offices", "Green plan with 100% renewable energy"]
    link_para = next(e for e in html_doc.elements if e.text.startswith("Questions?"))
    assert link_para.attrs["links"] == [{"text": "FAQ", "url": "https://acme.example/faq"}]
    kv = {e.attrs["key"]: e.attrs["value"] for e in html_doc.elements if e.kind is Kind.KEY_VALUE}
    assert kv == {"Invoice number": "INV-2024-001", "Due date": "2024-03-01", "Customer ID": "C-1001"}
    assert any(e.kind is Kind.CODE and e.text == "tariff --list\n  --all" for e in html_doc.elements)
    assert "tracking" not in html_doc.text and "color: red" not in html_doc.text


def test_html_table_keeps_merged_cells_aligned(html_doc: Document) -> None:
    (table,) = [e for e in html_doc.elements if e.kind is Kind.TABLE]
    assert table.attrs["caption"] == "Prices per kWh"
    assert table.attrs["header"] == ["Plan", "Price", "Currency"]
    assert table.attrs["records"] == [
        {"Plan": "Basic", "Price": "0.21", "Currency": "EUR"},
        {"Plan": "Green & Clean", "Price": "0.25", "Currency": "EUR"},
        {"Plan": "Business Pro (on request)", "Price": "", "Currency": "USD"},  # colspan: USD stays in its column
        {"Plan": "Legacy", "Price": "0.30", "Currency": "EUR"},
        {"Plan": "Legacy", "Price": "0.35", "Currency": "GBP"},  # rowspan repeated down
    ]
    cells = {(c.row, c.col): c for c in table.cells}
    assert cells[(3, 2)].text == "USD"
    assert html_doc.text[cells[(2, 0)].start : cells[(2, 0)].end] == "Green & Clean"


def test_html_nested_tables_and_windows_1252() -> None:
    page = (
        "<html><head><meta http-equiv='Content-Type' content='text/html; charset=windows-1252'></head><body>"
        "<table><tr><td><p>Caf\xe9 report.</p></td><td>"
        "<table><tr><th>Item</th><th>Qty</th></tr><tr><td>Cr\xe8me</td><td>2</td></tr></table>"
        "</td></tr></table></body></html>"
    ).encode("cp1252")
    doc = parse_bytes(page, name="report.htm")
    _check_spans(doc)
    # the outer table only lays the page out: its text comes out as text, the inner one as a table
    assert any(e.kind is Kind.PARAGRAPH and e.text == "Café report." for e in doc.elements)
    (table,) = [e for e in doc.elements if e.kind is Kind.TABLE]
    assert table.attrs["records"] == [{"Item": "Crème", "Qty": "2"}]
    assert doc.metadata["html_layout_tables"] == 1


def test_html_layout_table_keeps_headings_and_paragraphs() -> None:
    page = b"""<html><body><table width="600" role="presentation"><tr><td>
    <h1>Newsletter</h1><p>We opened a new office in Cork this month.</p>
    <table><tr><td>Invoice</td><td>INV-1</td></tr><tr><td>Total</td><td>100 EUR</td></tr></table>
    </td></tr></table></body></html>"""
    doc = parse_bytes(page, name="mail.html")
    _check_spans(doc)
    assert [(e.kind, e.text) for e in doc.elements][:2] == [
        (Kind.HEADING, "Newsletter"), (Kind.PARAGRAPH, "We opened a new office in Cork this month.")]
    (table,) = [e for e in doc.elements if e.kind is Kind.TABLE]
    assert table.attrs["pairs"] == [["Invoice", "INV-1"], ["Total", "100 EUR"]]
    assert "records" not in table.attrs  # no header row was guessed for a label/value table


def test_html_partitions_offline_without_any_network_attempt(tmp_path: Path) -> None:
    """A fresh interpreter with proxies pointing at a dead port and every socket connect refused
    (and recorded): importing the parser and partitioning must not try the network at all, and
    unstructured must not try to download its spaCy model."""
    script = textwrap.dedent(
        """
        import json, socket, sys, urllib.request
        attempts = []
        def refuse(self, address, *a, **k):
            attempts.append(repr(address))
            raise OSError("network disabled by test")
        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        _orig_cc = socket.create_connection
        def refuse_cc(address, *a, **k):
            attempts.append(repr(address))
            raise OSError("network disabled by test")
        socket.create_connection = refuse_cc
        def refuse_urlopen(url, *a, **k):
            attempts.append(str(getattr(url, "full_url", url)))
            raise OSError("network disabled by test")
        urllib.request.urlopen = refuse_urlopen

        import pipelines.parse.html  # noqa: F401  (imports unstructured through the offline shim)
        import unstructured.nlp.tokenize as tok
        from pipelines.parse.dispatch import parse_bytes

        html = sys.stdin.read().encode()
        doc = parse_bytes(html, name="page.html")
        import importlib.util, os
        print(json.dumps({
            "status": doc.status, "reason": doc.reason_text,
            "kinds": [e.kind for e in doc.elements],
            "attempts": attempts,
            "spacy_model_installed": importlib.util.find_spec("en_core_web_sm") is not None,
            "do_not_track": os.environ.get("DO_NOT_TRACK"),
            "tags": tok.pos_tag("Revenue grew by twelve percent this quarter"),
        }))
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DO_NOT_TRACK", "SCARF_NO_ANALYTICS")}
    env.update(HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9",
               http_proxy="http://127.0.0.1:9", NO_PROXY="", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", script], input=HTML_PAGE, capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["status"] == "parsed", out["reason"]
    assert out["attempts"] == []
    assert out["do_not_track"] == "1"
    assert not out["spacy_model_installed"]
    assert {"heading", "paragraph", "list_item", "table"} <= set(out["kinds"])
    assert dict(map(tuple, out["tags"]))["grew"].startswith("VB")  # the offline tagger still finds verbs


def test_narrative_text_classification_without_spacy_model() -> None:
    from pipelines.parse.unstructured_offline import partition_html  # noqa: F401
    from unstructured.partition.text_type import is_possible_narrative_text, is_possible_title

    assert is_possible_narrative_text("The contract renews every year on the first of March.")
    assert is_possible_narrative_text("Revenue grew 12% in the third quarter.")
    assert not is_possible_narrative_text("QUARTERLY REVIEW")
    assert is_possible_title("Quarterly Review")


# ---------------------------------------------------------------------------------------------
# PPTX
# ---------------------------------------------------------------------------------------------


def _deck() -> bytes:
    from pptx import Presentation
    from pptx.util import Inches

    prs = Presentation()
    s1 = prs.slides.add_slide(prs.slide_layouts[1])
    s1.shapes.title.text = "Quarterly Review"
    s1.placeholders[1].text_frame.text = "Revenue grew 12% in the third quarter."
    s2 = prs.slides.add_slide(prs.slide_layouts[5])
    s2.shapes.title.text = "Customers"
    table = s2.shapes.add_table(3, 2, Inches(1), Inches(2), Inches(6), Inches(2)).table
    for r, row in enumerate([["Customer", "MRR"], ["Acme", "1200"], ["Globex", "900"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    box = s2.shapes.add_textbox(Inches(1), Inches(5), Inches(6), Inches(1))
    box.text_frame.text = "We signed two new accounts this quarter."
    s2.notes_slide.notes_text_frame.text = "Mention the Globex renewal."
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def test_pptx_slides_tables_and_notes() -> None:
    doc = parse_bytes(_deck(), name="review.pptx")
    _check_spans(doc)
    assert doc.media_type.endswith("presentationml.presentation")
    assert [p.number for p in doc.pages] == [1, 2]
    headings = [(e.text, e.page) for e in doc.elements if e.kind is Kind.HEADING]
    assert headings == [("Quarterly Review", 1), ("Customers", 2)]
    paras = {e.text: e for e in doc.elements if e.kind is Kind.PARAGRAPH}
    assert paras["Revenue grew 12% in the third quarter."].page == 1
    assert paras["We signed two new accounts this quarter."].page == 2
    assert paras["Mention the Globex renewal."].attrs.get("notes") is True
    (table,) = [e for e in doc.elements if e.kind is Kind.TABLE]
    assert table.page == 2
    assert table.attrs["records"] == [{"Customer": "Acme", "MRR": "1200"}, {"Customer": "Globex", "MRR": "900"}]
    assert "\f" in doc.text  # slides are separated by a page break


def test_corrupt_pptx_is_quarantined() -> None:
    data = bytearray(_deck())
    data[len(data) // 2 : len(data) // 2 + 400] = b"\0" * 400
    doc = parse_bytes(bytes(data), name="broken.pptx")
    assert doc.status is Status.QUARANTINED
    assert doc.reason in (Reason.CORRUPT, Reason.ZIP_BOMB)


# ---------------------------------------------------------------------------------------------
# pandoc formats: ODT, EPUB, RTF
# ---------------------------------------------------------------------------------------------


def _pandoc() -> str | None:
    from pipelines.parse.unstructured_offline import pandoc_available

    return pandoc_available()


needs_pandoc = pytest.mark.skipif(_pandoc() is None, reason="pandoc (pypandoc-binary) not installed")

AGREEMENT_MD = """# Service Agreement

This agreement is made between Acme Ltd and Globex Corp.

## Terms

- Monthly fee: 1200 EUR
- Notice period: 3 months

| Customer | Plan   | Seats |
|----------|--------|-------|
| Acme     | Gold   | 12    |
| Globex   | Silver | 3     |
"""


def _convert(fmt: str, tmp_path: Path) -> bytes:
    import pypandoc

    out = tmp_path / f"agreement.{fmt}"
    pypandoc.convert_text(AGREEMENT_MD, fmt, format="md", outputfile=str(out), extra_args=["--standalone"], sandbox=True)
    return out.read_bytes()


@needs_pandoc
@pytest.mark.parametrize("fmt", ["odt", "epub", "rtf"])
def test_pandoc_formats(fmt: str, tmp_path: Path) -> None:
    doc = parse_bytes(_convert(fmt, tmp_path), name=f"agreement.{fmt}")
    _check_spans(doc)
    headings = [e.text for e in doc.elements if e.kind is Kind.HEADING]
    assert headings == ["Service Agreement", "Terms"]
    assert any(e.kind is Kind.PARAGRAPH and e.text == "This agreement is made between Acme Ltd and Globex Corp." for e in doc.elements)
    assert [e.text for e in doc.elements if e.kind is Kind.LIST_ITEM] == ["Monthly fee: 1200 EUR", "Notice period: 3 months"]
    (table,) = [e for e in doc.elements if e.kind is Kind.TABLE]
    assert table.attrs["records"] == [
        {"Customer": "Acme", "Plan": "Gold", "Seats": "12"},
        {"Customer": "Globex", "Plan": "Silver", "Seats": "3"},
    ]


def test_pandoc_missing_gives_clear_unsupported(monkeypatch: pytest.MonkeyPatch) -> None:
    import pipelines.parse.unstructured_offline as uo

    monkeypatch.setattr(uo, "pandoc_available", lambda: None)
    doc = parse_bytes(rb"{\rtf1\ansi Hello \b world\b0 .\par}", name="note.rtf")
    assert doc.status is Status.QUARANTINED
    assert doc.reason is Reason.UNSUPPORTED
    assert "RTF needs pandoc" in doc.reason_text and "pypandoc-binary" in doc.reason_text
