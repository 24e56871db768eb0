"""Amounts whose labels no schema alias names, found by the sum check (extract/sums.py)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

from pipelines.map.extract import extract_generic
from pipelines.model.schema import Schema, load_schema
from pipelines.parse.dispatch import parse_bytes

from .pdf_fixtures import H, make_pdf, parse_ok

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def invoice_schema() -> Schema:
    return load_schema(ROOT / "schemas" / "invoice.yaml")


def _draw(c: canvas.Canvas, rows: list[tuple[str, str]], items: list[tuple[str, str, str, str]]) -> None:
    c.setFont("Helvetica-Bold", 16)
    c.drawString(50, H - 60, "Wrenfield Instruments Ltd")
    c.setFont("Helvetica", 10)
    c.drawString(360, H - 60, "Invoice No: WI-20931")
    c.drawString(360, H - 74, "Invoice Date: 14 March 2025")
    y = H - 160
    for x, t in [(50, "Description"), (300, "Qty"), (380, "Unit Price"), (480, "Amount")]:
        c.drawString(x, y, t)
    for desc, q, p, a in items:
        y -= 16
        c.drawString(50, y, desc)
        c.drawRightString(320, y, q)
        c.drawRightString(430, y, p)
        c.drawRightString(530, y, a)
    y -= 30
    for label, amount in rows:
        c.drawString(330, y, label)
        c.drawRightString(530, y, amount)
        y -= 16


ITEMS = [("Pressure gauge", "4", "62.50", "250.00"), ("Calibration", "1", "140.00", "140.00")]


def test_unknown_totals_labels_are_completed_from_the_labelled_tax(invoice_schema: Schema) -> None:
    # neither "Merchandise sum" nor "Remit in full" is an alias; "VAT 20%" is
    rows = [("Merchandise sum", "390.00"), ("VAT 20%", "78.00"), ("Remit in full GBP", "468.00")]
    doc = parse_ok(make_pdf(lambda c: _draw(c, rows, ITEMS)), "totals.pdf")
    rec = extract_generic(doc, invoice_schema)
    v = rec.values()
    assert (v["subtotal_amount"], v["tax_amount"], v["total_amount"]) == (Decimal("390.00"), Decimal("78.00"), Decimal("468.00"))
    total = rec.fields["total_amount"]
    assert doc.text[total.evidence.start:total.evidence.end] == "468.00"


def test_item_rows_that_happen_to_add_up_propose_nothing(invoice_schema: Schema) -> None:
    # 250.00 + 140.00 == 390.00 across item and total lines, but no labelled role anchors a sum
    # and the item rows carry several amounts each: no total is invented
    rows = [("Merchandise sum", "390.00")]
    rec = extract_generic(parse_ok(make_pdf(lambda c: _draw(c, rows, ITEMS)), "coincidence.pdf"), invoice_schema)
    assert "total_amount" not in rec.fields and "subtotal_amount" not in rec.fields


def test_ambiguous_completions_propose_nothing(invoice_schema: Schema) -> None:
    # two different readings complete the sum with the labelled tax: neither is taken
    rows = [("Part one", "100.00"), ("Part two", "120.00"), ("VAT", "20.00"), ("Sum A", "120.00"), ("Sum B", "140.00")]
    rec = extract_generic(parse_ok(make_pdf(lambda c: _draw(c, rows, [])), "ambiguous.pdf"), invoice_schema)
    assert "total_amount" not in rec.fields


def test_the_learning_supplier_layout_gets_its_subtotal_and_total(invoice_schema: Schema) -> None:
    """The fixture the review tests coach on: "Goods value" and "Balance to settle GBP" are no aliases."""
    path = ROOT / "tests" / "fixtures" / "learning_supplier" / "kestrel_01.pdf"
    doc = parse_bytes(path.read_bytes(), name=path.name)
    v = extract_generic(doc, invoice_schema).values()
    assert (v["subtotal_amount"], v["tax_amount"], v["total_amount"]) == (Decimal("1457.30"), Decimal("291.46"), Decimal("1748.76"))


@pytest.mark.parametrize("rows", [
    [("Net 20%", "250.00"), ("VAT 20%", "50.00"), ("Net 5%", "140.00"), ("VAT 5%", "7.00"), ("Total VAT", "57.00"),
     ("Total", "447.00")],
    [("Netto 19 %", "250,00"), ("MwSt. 19 %", "47,50"), ("Netto 7 %", "140,00"), ("MwSt. 7 %", "9,80"),
     ("Summe MwSt.", "57,30"), ("Gesamtbetrag", "447,30")],
])
def test_tax_of_two_rates_is_the_sum_printed_below_them(invoice_schema: Schema, rows: list[tuple[str, str]]) -> None:
    """Two VAT rates, each labelled, then their sum: the invoice's tax is the sum, not the first rate's."""
    doc = parse_ok(make_pdf(lambda c: _draw(c, rows, ITEMS)), "rates.pdf")
    v = extract_generic(doc, invoice_schema).values()
    assert v["tax_amount"] == Decimal(rows[4][1].replace(",", "."))
    assert v["total_amount"] == Decimal(rows[5][1].replace(",", "."))
