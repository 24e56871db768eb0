"""Word (.docx) parsing: document order, styles, tables with merged cells, headers/footers, bad input."""

from __future__ import annotations

import copy
import datetime as dt
import io
import zipfile

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

from pipelines.model.document import Document, Kind, Reason, Status
from pipelines.parse.dispatch import parse_bytes

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def assert_spans(doc: Document) -> None:
    for d in doc.walk():
        for e in d.elements:
            assert d.text[e.start:e.end] == e.text, e
            for c in e.cells or []:
                assert d.text[c.start:c.end] == c.text, c


def save(d) -> bytes:
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def parse(data: bytes, name: str = "doc.docx") -> Document:
    doc = parse_bytes(data, name=name)
    assert_spans(doc)
    return doc


def body(doc: Document):
    return [e for e in doc.elements if e.kind not in (Kind.PAGE_HEADER, Kind.PAGE_FOOTER)]


def find(doc: Document, needle: str):
    hits = [e for e in doc.elements if needle in e.text]
    assert hits, f"{needle!r} not in {[e.text for e in doc.elements]}"
    return hits[0]


def test_body_keeps_document_order_of_paragraphs_and_tables():
    d = docx.Document()
    d.add_paragraph("Before the table.")
    t = d.add_table(rows=2, cols=2)
    for r, row in enumerate([["Item", "Price"], ["Widget", "5.00"]]):
        for c, value in enumerate(row):
            t.cell(r, c).text = value
    d.add_paragraph("After the table.")
    d.add_table(rows=1, cols=1).cell(0, 0).text = "Second table"
    d.add_paragraph("The end.")
    doc = parse(save(d))
    assert doc.status is Status.PARSED and doc.media_type == DOCX
    assert [(e.kind, e.text) for e in body(doc)] == [
        (Kind.PARAGRAPH, "Before the table."),
        (Kind.TABLE, "Item\tPrice\nWidget\t5.00"),
        (Kind.PARAGRAPH, "After the table."),
        (Kind.TABLE, "Second table"),
        (Kind.PARAGRAPH, "The end."),
    ]
    table = body(doc)[1]
    assert [(c.row, c.col, c.text) for c in table.cells] == [(0, 0, "Item"), (0, 1, "Price"), (1, 0, "Widget"), (1, 1, "5.00")]


def test_paragraph_kinds_from_styles_and_numbering():
    d = docx.Document()
    d.add_heading("Service Agreement", 0)
    d.add_heading("1. Parties", level=1)
    d.add_heading("1.1 Supplier", level=2)
    d.add_paragraph("First bullet", style="List Bullet")
    d.add_paragraph("Step one", style="List Number")
    numbered = d.add_paragraph("Numbered via numPr")
    numbered._p.get_or_add_pPr().append(parse_xml(
        f'<w:numPr {nsdecls("w")}><w:ilvl w:val="1"/><w:numId w:val="3"/></w:numPr>'))
    d.add_paragraph("Invoice number: INV-2024-001")
    d.add_paragraph("Ordinary prose that is not a field, even with a colon: inside it and more words.")
    p = d.add_paragraph("Line one")
    p.add_run().add_break()
    p.add_run("line two")
    doc = parse(save(d))
    got = {e.text: e for e in body(doc)}
    assert got["Service Agreement"].kind is Kind.TITLE and got["Service Agreement"].attrs["level"] == 0
    assert got["1. Parties"].kind is Kind.HEADING and got["1. Parties"].attrs["level"] == 1
    assert got["1. Parties"].attrs["style"] == "Heading 1"
    assert got["1.1 Supplier"].attrs["level"] == 2
    assert got["First bullet"].kind is Kind.LIST_ITEM
    assert got["Step one"].kind is Kind.LIST_ITEM
    assert got["Numbered via numPr"].kind is Kind.LIST_ITEM and got["Numbered via numPr"].attrs["level"] == 1
    kv = got["Invoice number: INV-2024-001"]
    assert kv.kind is Kind.KEY_VALUE and kv.attrs["key"] == "Invoice number" and kv.attrs["value"] == "INV-2024-001"
    assert got["Ordinary prose that is not a field, even with a colon: inside it and more words."].kind is Kind.PARAGRAPH
    assert got["Line one\nline two"].kind is Kind.PARAGRAPH


def test_custom_style_based_on_heading_is_a_heading():
    d = docx.Document()
    from docx.enum.style import WD_STYLE_TYPE

    style = d.styles.add_style("Contract Clause", WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = d.styles["Heading 2"]
    d.add_paragraph("Clause heading", style="Contract Clause")
    doc = parse(save(d))
    el = find(doc, "Clause heading")
    assert el.kind is Kind.HEADING and el.attrs["level"] == 2 and el.attrs["style"] == "Contract Clause"


def test_merged_cells_text_appears_once():
    d = docx.Document()
    t = d.add_table(rows=4, cols=3)
    for c, h in enumerate(["Region", "Product", "Amount"]):
        t.cell(0, c).text = h
    t.cell(1, 0).merge(t.cell(2, 0)).text = "North"  # vertical merge
    t.cell(1, 1).text = "Pumps"
    t.cell(1, 2).text = "100"
    t.cell(2, 1).text = "Valves"
    t.cell(2, 2).text = "50"
    t.cell(3, 0).merge(t.cell(3, 1)).text = "Total"  # horizontal merge
    t.cell(3, 2).text = "150"
    doc = parse(save(d))
    (table,) = [e for e in doc.elements if e.kind is Kind.TABLE]
    assert table.text == "Region\tProduct\tAmount\nNorth\tPumps\t100\n\tValves\t50\nTotal\t\t150"
    assert table.text.count("North") == 1 and table.text.count("Total") == 1
    assert table.attrs["merged_cells"] == [
        {"row": 1, "col": 0, "rowspan": 2, "colspan": 1},
        {"row": 3, "col": 0, "rowspan": 1, "colspan": 2},
    ]
    assert table.attrs["n_rows"] == 4 and table.attrs["n_cols"] == 3
    # python-docx itself repeats merged cells across their span; we do not.
    assert [c.text for c in t.rows[3].cells] == ["Total", "Total", "150"]


def test_nested_table_is_flattened_into_its_cell():
    d = docx.Document()
    t = d.add_table(rows=1, cols=2)
    t.cell(0, 0).text = "Rates"
    cell = t.cell(0, 1)
    cell.text = "See:"
    inner = cell.add_table(rows=2, cols=2)
    for r, row in enumerate([["Band A", "1.20"], ["Band B", "1.50"]]):
        for c, v in enumerate(row):
            inner.cell(r, c).text = v
    doc = parse(save(d))
    (table,) = [e for e in doc.elements if e.kind is Kind.TABLE]
    assert table.text == "Rates\tSee: Band A | 1.20 / Band B | 1.50"
    assert table.attrs["nested_tables"] == 1
    assert len([e for e in doc.elements if e.kind is Kind.TABLE]) == 1


def test_headers_and_footers_once_each_first_and_last():
    d = docx.Document()
    s1 = d.sections[0]
    s1.header.paragraphs[0].text = "ACME Ltd - Confidential"
    s1.footer.paragraphs[0].text = "Registered in England No. 123456"
    s1.different_first_page_header_footer = True
    s1.first_page_header.paragraphs[0].text = "Cover page header"
    d.add_paragraph("Section one body.")
    s2 = d.add_section()
    s2.header.is_linked_to_previous = False
    s2.header.paragraphs[0].text = "ACME Ltd - Confidential"  # same text: reported once
    s2.footer.is_linked_to_previous = False
    s2.footer.paragraphs[0].text = "Appendix footer"
    d.add_paragraph("Section two body.")
    doc = parse(save(d))
    kinds = [e.kind for e in doc.elements]
    headers = [e for e in doc.elements if e.kind is Kind.PAGE_HEADER]
    footers = [e for e in doc.elements if e.kind is Kind.PAGE_FOOTER]
    assert sorted(e.text for e in headers) == ["ACME Ltd - Confidential", "Cover page header"]
    assert [e.text for e in footers] == ["Registered in England No. 123456", "Appendix footer"]
    assert kinds[: len(headers)] == [Kind.PAGE_HEADER] * len(headers)
    assert kinds[-len(footers):] == [Kind.PAGE_FOOTER] * len(footers)
    assert {e.attrs["type"] for e in headers} == {"default", "first"}
    assert footers[1].attrs["section"] == 2
    assert [e.text for e in body(doc)] == ["Section one body.", "Section two body."]


def test_core_properties_in_metadata():
    d = docx.Document()
    cp = d.core_properties
    cp.title = "Framework agreement"
    cp.author = "Jane Doe"
    cp.created = dt.datetime(2024, 3, 5, 10, 0, 0)
    cp.modified = dt.datetime(2024, 3, 6, 11, 30, 0)
    d.add_paragraph("Body.")
    doc = parse(save(d))
    assert doc.metadata["title"] == "Framework agreement"
    assert doc.metadata["author"] == "Jane Doe"
    assert doc.metadata["created"] == "2024-03-05T10:00:00+00:00"
    assert doc.metadata["modified"] == "2024-03-06T11:30:00+00:00"


def test_tracked_deletions_and_field_codes_are_not_text():
    d = docx.Document()
    p = d.add_paragraph("Amount: ")
    p._p.append(parse_xml(f'<w:del {nsdecls("w")} w:id="1" w:author="x"><w:r><w:delText>999</w:delText></w:r></w:del>'))
    p._p.append(parse_xml(f'<w:ins {nsdecls("w")} w:id="2" w:author="x"><w:r><w:t>120.00</w:t></w:r></w:ins>'))
    q = d.add_paragraph("Page ")
    q._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:fldChar w:fldCharType="begin"/></w:r>'))
    q._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>'))
    q._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:fldChar w:fldCharType="separate"/></w:r>'))
    q._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:t>3</w:t></w:r>'))
    q._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:fldChar w:fldCharType="end"/></w:r>'))
    doc = parse(save(d))
    assert find(doc, "Amount:").text == "Amount: 120.00"
    assert find(doc, "Page").text == "Page 3"
    assert "999" not in doc.text and "PAGE" not in doc.text


def test_content_controls_are_read_in_place():
    d = docx.Document()
    d.add_paragraph("Before.")
    inner = d.add_paragraph("Inside a content control.")
    d.add_paragraph("After.")
    sdt = parse_xml(f'<w:sdt {nsdecls("w")}><w:sdtPr/><w:sdtContent/></w:sdt>')
    inner._p.addprevious(sdt)
    sdt.find(qn("w:sdtContent")).append(inner._p)
    doc = parse(save(d))
    assert [e.text for e in body(doc)] == ["Before.", "Inside a content control.", "After."]


def _rezip(data: bytes, *, drop: str | None = None, replace: dict[str, bytes] | None = None) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename == drop:
                continue
            dst.writestr(copy.copy(info), (replace or {}).get(info.filename, src.read(info.filename)))
    return out.getvalue()


@pytest.fixture
def good_docx() -> bytes:
    d = docx.Document()
    d.add_paragraph("Hello")
    return save(d)


def test_missing_document_part_is_corrupt(good_docx):
    doc = parse(_rezip(good_docx, drop="word/document.xml"))
    assert doc.media_type == DOCX
    assert doc.status is Status.QUARANTINED and doc.reason is Reason.CORRUPT
    assert "word/document.xml" in doc.reason_text


def test_malformed_document_xml_is_corrupt(good_docx):
    doc = parse(_rezip(good_docx, replace={"word/document.xml": b"<w:document><w:body><w:p>unclosed"}))
    assert doc.status is Status.QUARANTINED and doc.reason is Reason.CORRUPT
    assert "could not be read" in doc.reason_text


def test_truncated_docx_is_corrupt(good_docx):
    doc = parse(good_docx[: len(good_docx) // 2])
    assert doc.status is Status.QUARANTINED and doc.reason is Reason.CORRUPT
    assert doc.elements == [] and doc.text == ""


def test_parser_rejects_non_zip_directly():
    # Content sniffing never routes non-zip bytes here, but the parser must still fail cleanly.
    from pipelines.parse import docx as docx_parser
    from pipelines.parse.builder import TextBuilder
    from pipelines.parse.dispatch import ParseContext
    from pipelines.parse.errors import BadInput

    doc = Document(id="x", source_path="x.docx", media_type=DOCX, size=3)
    with pytest.raises(BadInput) as exc:
        docx_parser.parse(b"not a zip", TextBuilder(doc), ParseContext(doc=doc))
    assert exc.value.reason is Reason.CORRUPT


def test_text_box_read_once_not_from_the_vml_fallback():
    d = docx.Document()
    p = d.add_paragraph("Anchor paragraph.")
    box = "<w:txbxContent><w:p><w:r><w:t>Text box: Reference ABC-9</w:t></w:r></w:p></w:txbxContent>"
    run = parse_xml(
        f'<w:r {nsdecls("w")} xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" xmlns:v="urn:schemas-microsoft-com:vml">'
        '<mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wps:wsp><wps:txbx>'
        f"{box}</wps:txbx></wps:wsp></w:drawing></mc:Choice>"
        f"<mc:Fallback><w:pict><v:shape><v:textbox>{box}</v:textbox></v:shape></w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r>"
    )
    p._p.append(run)
    doc = parse(save(d))
    assert [e.text for e in body(doc)] == ["Anchor paragraph.", "Text box: Reference ABC-9"]
    box_el = body(doc)[1]
    assert box_el.attrs["textbox"] is True and box_el.kind is Kind.KEY_VALUE
