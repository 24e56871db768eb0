"""Line tables whose PDF reading merged two columns into one cell (extract/tables.py): the
cell's words are split at the gap the page leaves between the columns."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

from pipelines.model.document import Kind
from pipelines.map.extract import extract_generic
from pipelines.model.schema import Schema, load_schema

from .pdf_fixtures import H, make_pdf, parse_ok

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
ITEMS = [("Flow meter DN25", "5", "412,80", "2.064,00"), ("Sealing ring set", "12", "3,15", "37,80"),
         ("Commissioning", "2", "160,00", "320,00")]


@pytest.fixture(scope="module")
def invoice_schema() -> Schema:
    return load_schema(SCHEMAS / "invoice.yaml")


def _draw(c: canvas.Canvas) -> None:
    c.setFont("Helvetica-Bold", 16)
    c.drawString(50, H - 55, "Ostermann Armaturen GmbH")
    c.setFont("Helvetica", 9)
    # a two-column block above the table, its right column starting left of the price column's
    # end: the parser's columns for the whole region put quantity and price into one cell
    c.drawString(50, H - 130, "Brauhaus Lindenhof KG")
    c.drawString(330, H - 130, "Rechnungsnummer: 88-1204")
    c.drawString(50, H - 143, "Hopfenweg 9, 80331 München")
    c.drawString(330, H - 143, "Rechnungsdatum: 03.02.2026")
    c.drawString(330, H - 156, "Kundennummer: L-5521")
    c.setFont("Helvetica-Bold", 14)
    c.drawString(50, H - 190, "RECHNUNG")
    y = H - 230
    c.setFont("Helvetica-Bold", 9)
    c.drawString(50, y, "Bezeichnung")
    for head, x in (("Menge", 330), ("Einzelpreis", 420), ("Betrag", 530)):
        c.drawRightString(x, y, head)
    c.setFont("Helvetica", 9)
    for desc, n, price, amount in ITEMS:
        y -= 16
        c.drawString(50, y, desc)
        for v, x in ((n, 330), (price, 420), (amount, 530)):
            c.drawRightString(x, y, v)


def test_merged_quantity_and_price_cells_are_split_by_their_gap(invoice_schema: Schema) -> None:
    doc = parse_ok(make_pdf(_draw), "merged_cells.pdf")
    # the situation this is about: the parser's table cell holds two columns
    cells = [c.text for el in doc.elements if el.kind is Kind.TABLE for c in el.cells or ()]
    assert "Menge Einzelpreis" in cells and "5 412,80" in cells
    items = extract_generic(doc, invoice_schema).values()["line_items"]
    assert [(i["description"], i.get("quantity"), i.get("unit_price"), i["amount"]) for i in items] == [
        ("Flow meter DN25", Decimal("5"), Decimal("412.80"), Decimal("2064.00")),
        ("Sealing ring set", Decimal("12"), Decimal("3.15"), Decimal("37.80")),
        ("Commissioning", Decimal("2"), Decimal("160.00"), Decimal("320.00"))]


def _header_row(c: canvas.Canvas) -> None:
    c.setFont("Helvetica-Bold", 16)
    c.drawString(50, H - 55, "Lowmoor Textiles Ltd")
    c.setFont("Helvetica", 9)
    y = H - 150
    for head, x in (("Customer", 50), ("Invoice", 170), ("Date", 290), ("Terms", 410)):
        c.drawString(x, y, head)
    for v, x in (("K-1187", 50), ("LT-40917", 170), ("03/04/2025", 290), ("30 days", 410)):
        c.drawString(x, y - 14, v)


def test_a_label_never_spans_two_cells(invoice_schema: Schema) -> None:
    """"Invoice" and "Date" are two header cells, not the label "Invoice Date": the invoice
    number under "Invoice" is not swallowed by a label read across the cell boundary."""
    doc = parse_ok(make_pdf(_header_row), "header_cells.pdf")
    assert "Invoice\tDate" in doc.text  # the cells as the parser gives them
    v = extract_generic(doc, invoice_schema).values()
    assert v["invoice_number"] == "LT-40917"
    assert v["issue_date"].isoformat() in ("2025-04-03", "2025-03-04")
