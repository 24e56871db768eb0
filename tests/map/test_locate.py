"""Finding value text next to labels: real files (reportlab PDFs, text, docx), every hit grounded."""

from __future__ import annotations

import io
import re

import pytest
from reportlab.pdfgen import canvas

from pipelines.model.document import Document, Kind
from pipelines.map.extract import locate
from pipelines.map.extract.locate import Hit

from .pdf_fixtures import H, draw_header_row_invoice, make_pdf, parse_ok



_pdf = make_pdf
_parse = parse_ok


def grounded(doc: Document, hits: list[Hit]) -> list[Hit]:
    for h in hits:
        assert doc.text[h.start:h.end] == h.text, h
        assert 0.0 <= h.score <= 1.0, h
    return hits


def texts(hits: list[Hit]) -> list[str]:
    return [h.text for h in hits]


# ---------------------------------------------------------------------------------------------
# PDFs


def layout_pdf() -> bytes:
    """Label-right with a column gap, a label with its value below, prose and totals."""
    def draw(c: canvas.Canvas) -> None:
        top = H - 60
        c.setFont("Helvetica-Bold", 18)
        c.drawString(50, top, "Severn Widgets Ltd")
        c.setFont("Helvetica", 10)
        c.drawString(50, top - 40, "Invoice No:")
        c.drawString(200, top - 40, "SW-1001")
        c.drawString(50, top - 80, "Payment reference")
        c.drawString(60, top - 94, "PR 77-31")
        c.drawString(50, top - 140, "Thank you for choosing us. Our total commitment is to quality.")
        c.drawString(50, top - 160, "Subtotal: 100.00")
        c.drawString(50, top - 175, "Total Due: 120.00")
        c.drawString(50, top - 190, "VAT Number: GB123456789")
    return _pdf(draw)


def header_row_pdf() -> bytes:
    """A row of header labels with their values on the next line (label-below), line items and
    European numbers."""
    return make_pdf(lambda c: draw_header_row_invoice(c, H - 50))


def boxed_pdf() -> bytes:
    """Header labels in drawn boxes, their values in the boxes below."""
    def draw(c: canvas.Canvas) -> None:
        top = H - 80
        c.setFont("Helvetica-Bold", 18)
        c.drawString(50, top + 30, "Acme Plumbing Ltd")
        xs = [50, 180, 310, 440, 545]
        for r in range(3):
            c.line(xs[0], top - 20 * r, xs[-1], top - 20 * r)
        for x in xs:
            c.line(x, top, x, top - 40)
        c.setFont("Helvetica-Bold", 9)
        for x, t in zip(xs, ["Invoice Number", "Date of Issue", "Account", "Total Amount"]):
            c.drawString(x + 4, top - 14, t)
        c.setFont("Helvetica", 9)
        for x, t in zip(xs, ["AP-00912", "02/03/2024", "SEV-77", "£1,234.50"]):
            c.drawString(x + 4, top - 34, t)
    return _pdf(draw)


@pytest.fixture(scope="module")
def layout_doc() -> Document:
    return _parse(layout_pdf(), "layout.pdf")


@pytest.fixture(scope="module")
def header_doc() -> Document:
    return _parse(header_row_pdf(), "header.pdf")


@pytest.fixture(scope="module")
def boxed_doc() -> Document:
    return _parse(boxed_pdf(), "boxed.pdf")


def test_label_right_across_a_column_gap(layout_doc: Document) -> None:
    hits = grounded(layout_doc, locate.find_after_label(layout_doc, ["Invoice No"], "right"))
    assert texts(hits)[0] == "SW-1001"
    assert hits[0].page == 1 and hits[0].label == "Invoice No"
    assert hits[0].how in ("right", "kv")


def test_label_below_uses_word_geometry(layout_doc: Document) -> None:
    hits = grounded(layout_doc, locate.find_after_label(layout_doc, ["Payment Reference"], "below"))
    assert texts(hits) == ["PR 77-31"]
    assert hits[0].how == "below"
    # "any" finds it too: nothing sits right of the label
    assert texts(locate.find_after_label(layout_doc, ["Payment Reference"]))[0] == "PR 77-31"


def test_specific_labels_win(layout_doc: Document) -> None:
    # "Total" must not be read inside "Subtotal", and "Total Due" is the better label
    total = grounded(layout_doc, locate.find_after_label(layout_doc, ["Total", "Total Due"]))
    assert total[0].text == "120.00" and total[0].label == "Total Due"
    assert "100.00" not in texts(total)
    # the longest label at a position wins: "VAT Number" is not the label "VAT"
    vat = grounded(layout_doc, locate.find_after_label(layout_doc, ["VAT", "VAT Number"]))
    assert [h.label for h in vat if h.text == "GB123456789"] == ["VAT Number"]
    assert not [h for h in vat if h.label == "VAT"]
    # a label word in running text scores low ("Our total commitment is ...")
    prose = [h for h in total if "commitment" in h.text or "quality" in h.text]
    assert all(h.score < total[0].score for h in prose)


def test_header_row_values_below(header_doc: Document) -> None:
    for label, want in [("Invoice Date", "14.03.2024"), ("Due Date", "13.04.2024"), ("Customer No", "K-4711")]:
        hits = grounded(header_doc, locate.find_after_label(header_doc, [label]))
        assert hits and hits[0].text == want, (label, hits)
    # "Date" alone is inside the longer labels; given both, only the longer ones anchor values
    both = grounded(header_doc, locate.find_after_label(header_doc, ["Date", "Invoice Date"]))
    assert {h.label for h in both} == {"Invoice Date", "Date"}
    assert [h.text for h in both if h.label == "Invoice Date"][0] == "14.03.2024"
    assert "14.03.2024" not in [h.text for h in both if h.label == "Date"]


def test_header_of_a_list_column_is_weak(header_doc: Document) -> None:
    hits = grounded(header_doc, locate.find_after_label(header_doc, ["Amount", "Total Due"]))
    best = hits[0]
    assert best.label == "Total Due" and best.text == "5.236,00 EUR"
    column = [h for h in hits if h.label == "Amount"]
    assert all(h.score < 0.5 for h in column)


def test_boxed_header_cells(boxed_doc: Document) -> None:
    assert any(el.kind is Kind.TABLE for el in boxed_doc.elements)
    for label, want in [("Invoice Number", "AP-00912"), ("Date of issue", "02/03/2024"), ("Total Amount", "£1,234.50")]:
        hits = grounded(boxed_doc, locate.find_after_label(boxed_doc, [label]))
        assert hits[0].text == want, (label, hits)
    # directions are honoured in tables too: the value sits below the header cell, not right
    assert "AP-00912" not in texts(locate.find_after_label(boxed_doc, ["Invoice Number"], "right"))
    assert texts(locate.find_after_label(boxed_doc, ["Invoice Number"], "below"))[0] == "AP-00912"
    cells = grounded(boxed_doc, locate.find_label_cells(boxed_doc, ["Account"]))
    assert texts(cells)[0] == "SEV-77"
    assert cells[0].how == "table"


def test_line_item_rows_from_a_borderless_pdf_table(header_doc: Document) -> None:
    cols = {"description": ["Description", "Item"], "quantity": ["Qty", "Quantity"],
            "unit_price": ["Unit Price", "Price"], "amount": ["Amount", "Line Total"]}
    tables = locate.find_table_rows(header_doc, cols)
    rows = [r for t in tables for r in t if "description" in r]
    descs = [r["description"].text for r in rows]
    assert descs[:3] == ["Sensor module XT-9", "Installation (hours)", "Travel flat rate"]
    first = rows[0]
    assert first["quantity"].text == "3" and first["unit_price"].text == "1.250,00" and first["amount"].text == "3.750,00"
    for r in rows:
        grounded(header_doc, list(r.values()))


# ---------------------------------------------------------------------------------------------
# Text and Word documents


TEXT_INVOICE = """\
INVOICE NO. T-778
Invoice no:   T-778          Page 1
Date: 2024-05-06             Due date: 2024-06-05
Subtotal 80.00
VAT 20% 16.00
Total 96.00

No  Item            Qty   Price
1   Widget          2     30.00
2   Gadget          1     20.00
"""


@pytest.fixture(scope="module")
def text_doc() -> Document:
    return _parse(TEXT_INVOICE.encode(), "invoice.txt")


def test_label_variants_match_tolerantly(text_doc: Document) -> None:
    matches = locate.match_labels(text_doc, ["Invoice No."])
    assert [text_doc.text[m.start:m.end] for m in matches] == ["INVOICE NO", "Invoice no"]
    hits = grounded(text_doc, locate.find_after_label(text_doc, ["Invoice No."]))
    assert set(texts(hits)) == {"T-778"}


def test_right_value_stops_at_gaps_and_labels(text_doc: Document) -> None:
    date = grounded(text_doc, locate.find_after_label(text_doc, ["Date"], "right"))
    assert texts(date)[0] == "2024-05-06"
    due = grounded(text_doc, locate.find_after_label(text_doc, ["Date", "Due Date"], "right"))
    assert [h.text for h in due if h.label == "Due Date"] == ["2024-06-05"]
    # "Due date" contains "date": the shorter label does not also claim the due date
    assert "2024-06-05" not in [h.text for h in due if h.label == "Date"]


def test_subtotal_is_not_total(text_doc: Document) -> None:
    total = grounded(text_doc, locate.find_after_label(text_doc, ["Total"]))
    assert texts(total) == ["96.00"]


def test_text_table_rows(text_doc: Document) -> None:
    tables = locate.find_table_rows(text_doc, {"description": ["Item"], "quantity": ["Qty"], "unit_price": ["Price"]})
    assert len(tables) == 1
    rows = tables[0]
    assert [(r["description"].text, r["quantity"].text, r["unit_price"].text) for r in rows] == [
        ("Widget", "2", "30.00"), ("Gadget", "1", "20.00")]
    for r in rows:
        grounded(text_doc, list(r.values()))


def test_monospaced_label_below() -> None:
    doc = _parse(b"Account Number      Meter Serial\nAC-0042             MS-99812\n", "x.txt")
    hits = grounded(doc, locate.find_after_label(doc, ["Meter Serial"], "below"))
    assert texts(hits) == ["MS-99812"]
    hits = grounded(doc, locate.find_after_label(doc, ["Account Number"]))
    assert texts(hits)[0] == "AC-0042"


def test_key_value_element_value_span() -> None:
    doc = _parse(b"Customer Reference: ZX-14\nNotes: none\n", "kv.txt")
    kv = [el for el in doc.elements if el.kind is Kind.KEY_VALUE]
    assert kv
    hits = grounded(doc, locate.find_after_label(doc, ["Customer Reference"]))
    assert hits[0].text == "ZX-14" and hits[0].how == "kv"


def docx_bytes() -> bytes:
    from docx import Document as Docx

    d = Docx()
    d.add_heading("Service Order", level=1)
    d.add_paragraph("Order Number")
    d.add_paragraph("SO-5510")
    t = d.add_table(rows=3, cols=2)
    for r, (k, v) in enumerate([("Order Date", "12 March 2024"), ("Contact", "Jane Roe"), ("Total", "£ 400.00")]):
        t.cell(r, 0).text = k
        t.cell(r, 1).text = v
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_docx_paragraph_below_and_label_cells() -> None:
    doc = _parse(docx_bytes(), "order.docx")
    below = grounded(doc, locate.find_after_label(doc, ["Order Number"]))
    assert texts(below)[0] == "SO-5510"
    cells = grounded(doc, locate.find_label_cells(doc, ["Order Date", "Total"]))
    assert {h.text for h in cells} >= {"12 March 2024", "£ 400.00"}
    assert all(h.how == "table" and h.score >= 0.8 for h in cells if h.text in ("12 March 2024", "£ 400.00"))
    assert cells[0].text == "12 March 2024"  # a 2-column "label | value" row beats the cell below


# ---------------------------------------------------------------------------------------------
# Regex and helpers


def test_find_regex_groups(text_doc: Document) -> None:
    named = grounded(text_doc, locate.find_regex(text_doc, r"Total (?P<value>[\d.]+)"))
    assert texts(named) == ["96.00"] and named[0].how == "regex"
    group1 = grounded(text_doc, locate.find_regex(text_doc, re.compile(r"VAT \d+% ([\d.]+)")))
    assert texts(group1) == ["16.00"]
    whole = grounded(text_doc, locate.find_regex(text_doc, r"T-\d+"))
    assert texts(whole) == ["T-778", "T-778"]


def test_label_pattern_boundaries() -> None:
    pat = locate.label_pattern("Total")
    assert pat is not None
    assert pat.search("Grand TOTAL: 5") and not pat.search("Subtotal 5") and not pat.search("Totally")
    pat = locate.label_pattern("N° de facture")
    assert pat is not None and pat.search("N° de facture : 12") and pat.search("No de facture 12")
    assert locate.specificity("Invoice Date") > locate.specificity("Date")
    assert locate.fold_label("Rechnungs-Nr.:") == "rechnungs nr"


def test_hits_are_sorted_best_first(header_doc: Document) -> None:
    hits = locate.find_after_label(header_doc, ["Invoice No", "Invoice Date", "Due Date", "Total Due", "Subtotal"])
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    grounded(header_doc, hits)
