"""HTML and office formats (PPTX, ODT, EPUB, RTF), read with lxml, python-pptx and striprtf, offline."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pipelines.model.document import Document, Kind, Reason, Status
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
    (and recorded): importing the parser and parsing must not try the network at all."""
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

        import pipelines.parse.html  # noqa: F401
        from pipelines.parse.dispatch import parse_bytes

        html = sys.stdin.read().encode()
        doc = parse_bytes(html, name="page.html")
        print(json.dumps({
            "status": doc.status, "reason": doc.reason_text,
            "kinds": [e.kind for e in doc.elements],
            "attempts": attempts,
            "heavy": [m for m in ("unstructured", "spacy", "torch") if m in sys.modules],
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
    assert out["heavy"] == []
    assert {"heading", "paragraph", "list_item", "table"} <= set(out["kinds"])


def test_html_inline_runs_join_and_blocks_split() -> None:
    page = (b"<html><body><div>Invoice <b>INV-7</b> from <span>Acme</span><div>Second block</div>tail text</div>"
            b"<p>Line one<br>Line two</p><ul><li>Outer<ul><li>Inner</li></ul></li></ul></body></html>")
    doc = parse_bytes(page, name="blocks.html")
    _check_spans(doc)
    assert [(e.kind, e.text) for e in doc.elements] == [
        (Kind.PARAGRAPH, "Invoice INV-7 from Acme"), (Kind.PARAGRAPH, "Second block"), (Kind.PARAGRAPH, "tail text"),
        (Kind.PARAGRAPH, "Line one\nLine two"), (Kind.LIST_ITEM, "Outer"), (Kind.LIST_ITEM, "Inner")]


def test_deeply_nested_html_does_not_exhaust_the_stack() -> None:
    depth = 900  # 1,800 nested elements: deeper than Python's recursion limit, within libxml2's huge-tree depth
    page = ("<html><body>" + "<div><span>" * depth + "deep value" + "</span></div>" * depth + "</body></html>").encode()
    doc = parse_bytes(page, name="deep.html")
    assert doc.status is Status.PARSED, doc.reason_text
    assert "deep value" in doc.text


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
# ODT, EPUB, RTF (read with lxml and striprtf; no pandoc)
# ---------------------------------------------------------------------------------------------

_ODT_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
  xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
  xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.3">
 <office:body><office:text>
  <text:h text:outline-level="1">Service Agreement</text:h>
  <text:p>This agreement is made between <text:span>Acme Ltd</text:span> and Globex<text:s/>Corp.</text:p>
  <text:p>Hidden<text:hidden-text text:string-value="x">: secret note</text:hidden-text></text:p>
  <text:h text:outline-level="2">Terms</text:h>
  <text:list><text:list-item><text:p>Monthly fee: 1200 EUR</text:p></text:list-item>
   <text:list-item><text:p>Notice period: 3 months</text:p></text:list-item></text:list>
  <table:table><table:table-column table:number-columns-repeated="3"/>
   <table:table-row><table:table-cell><text:p>Customer</text:p></table:table-cell><table:table-cell><text:p>Plan</text:p></table:table-cell><table:table-cell><text:p>Seats</text:p></table:table-cell></table:table-row>
   <table:table-row><table:table-cell><text:p>Acme</text:p></table:table-cell><table:table-cell><text:p>Gold</text:p></table:table-cell><table:table-cell><text:p>12</text:p></table:table-cell><table:table-cell table:number-columns-repeated="1000"/></table:table-row>
   <table:table-row><table:table-cell><text:p>Globex</text:p></table:table-cell><table:table-cell><text:p>Silver</text:p></table:table-cell><table:table-cell><text:p>3</text:p></table:table-cell></table:table-row>
  </table:table>
 </office:text></office:body></office:document-content>"""


def _zip(entries: dict[str, str], mimetype: str) -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), mimetype)  # first and stored, as both formats require
        for name, text in entries.items():
            zf.writestr(name, text, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def _odt() -> bytes:
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
    return _zip({"META-INF/manifest.xml": manifest, "content.xml": _ODT_CONTENT}, "application/vnd.oasis.opendocument.text")


def _epub(chapter_href: str = "text/ch1.xhtml") -> bytes:
    container = ('<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
                 '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>')
    opf = ('<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">'
           '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">x</dc:identifier><dc:title>T</dc:title></metadata>'
           f'<manifest><item id="c2" href="text/ch2.xhtml" media-type="application/xhtml+xml"/><item id="c1" href="{chapter_href}" media-type="application/xhtml+xml"/></manifest>'
           '<spine><itemref idref="c1"/><itemref idref="c2"/></spine></package>')
    ch1 = ('<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title></title></head><body>'
           '<h1>Service Agreement</h1><p>This agreement is made between Acme Ltd and Globex Corp.</p></body></html>')
    ch2 = ('<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title></title></head><body>'
           '<h2>Terms</h2><ul><li>Monthly fee: 1200 EUR</li><li>Notice period: 3 months</li></ul>'
           '<table><tr><th>Customer</th><th>Plan</th><th>Seats</th></tr><tr><td>Acme</td><td>Gold</td><td>12</td></tr>'
           '<tr><td>Globex</td><td>Silver</td><td>3</td></tr></table></body></html>')
    return _zip({"META-INF/container.xml": container, "OEBPS/content.opf": opf, "OEBPS/text/ch1.xhtml": ch1,
                 "OEBPS/text/ch2.xhtml": ch2}, "application/epub+zip")


def _check_agreement(doc, *, hidden_note: bool = False) -> None:  # type: ignore[no-untyped-def]
    _check_spans(doc)
    headings = [e.text for e in doc.elements if e.kind is Kind.HEADING]
    assert headings == ["Service Agreement", "Terms"]
    assert any(e.text == "This agreement is made between Acme Ltd and Globex Corp." for e in doc.elements)
    assert [e.text for e in doc.elements if e.kind is Kind.LIST_ITEM] == ["Monthly fee: 1200 EUR", "Notice period: 3 months"]
    (table,) = [e for e in doc.elements if e.kind is Kind.TABLE]
    assert table.attrs["records"] == [
        {"Customer": "Acme", "Plan": "Gold", "Seats": "12"},
        {"Customer": "Globex", "Plan": "Silver", "Seats": "3"},
    ]


def test_odt_headings_lists_tables_and_no_hidden_text() -> None:
    doc = parse_bytes(_odt(), name="agreement.odt")
    assert doc.status is Status.PARSED, doc.reason_text
    assert doc.media_type == "application/vnd.oasis.opendocument.text"
    _check_agreement(doc)
    assert "secret note" not in doc.text  # text:hidden-text is not shown to a reader
    (table,) = [e for e in doc.elements if e.kind is Kind.TABLE]
    assert len(table.cells) == 9  # 1,000 repeated empty cells are not expanded


def test_epub_chapters_in_spine_order() -> None:
    doc = parse_bytes(_epub(), name="agreement.epub")
    assert doc.status is Status.PARSED, doc.reason_text
    _check_agreement(doc)


def test_epub_path_outside_the_archive_is_refused() -> None:
    doc = parse_bytes(_epub("../../etc/passwd"), name="evil.epub")
    assert doc.status is Status.QUARANTINED
    assert doc.reason is Reason.CORRUPT and "outside the archive" in doc.reason_text


def test_rtf_text() -> None:
    rtf = rb"{\rtf1\ansi{\fonttbl\f0\fswiss Helvetica;}\f0\pard Service Agreement\par\par This agreement is made between Acme Ltd and Globex Corp.\par\par Monthly fee: 1200 EUR\par}"
    doc = parse_bytes(rtf, name="note.rtf")
    assert doc.status is Status.PARSED, doc.reason_text
    assert doc.media_type == "application/rtf"
    _check_spans(doc)
    assert any(e.text == "This agreement is made between Acme Ltd and Globex Corp." for e in doc.elements)
    (kv,) = [e for e in doc.elements if e.kind is Kind.KEY_VALUE]
    assert (kv.attrs["key"], kv.attrs["value"]) == ("Monthly fee", "1200 EUR")

