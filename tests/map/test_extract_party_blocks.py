"""Party blocks on crafted invoices (reportlab; invented parties and numbers).

* "From:" and "To:" side by side over their blocks: the second key is no value of the first; the
  issuer is the name under "From:".
* A letterhead whose name carries a line saying what the firm does, then its address; the
  addressee's block in the window opens with a person's name, the company under it: the
  company is the addressee's, not the issuer.
* A "VAT No:" line right under the window's city line is the addressee's tax id, not the issuer's;
  the same line under the letterhead stays the issuer's.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

from pipelines.map.extract import extract_generic
from pipelines.model.schema import Schema, load_schema

from .pdf_fixtures import H, make_pdf, parse_ok

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


@pytest.fixture(scope="module")
def invoice_schema() -> Schema:
    return load_schema(SCHEMAS / "invoice.yaml")


def _totals(c: canvas.Canvas, rows: list[tuple[str, str]], top: float) -> None:
    for i, (a, b) in enumerate(rows):
        c.drawString(300, top - 14 * i, a)
        c.drawRightString(540, top - 14 * i, b)


def _from_to(c: canvas.Canvas) -> None:
    c.setFont("Helvetica-Bold", 18)
    c.drawString(50, H - 50, "INVOICE")
    c.setFont("Helvetica-Bold", 10)
    c.drawString(50, H - 90, "From:")
    c.drawString(300, H - 90, "To:")
    c.setFont("Helvetica", 10)
    for i, (a, b) in enumerate([("Ashdown Consulting", "Brightline Media Ltd"),
                                ("2 Mill Yard, Leeds LS2 7AA", "40 Wharf Rd, London N1 7GR")]):
        c.drawString(50, H - 103 - 13 * i, a)
        c.drawString(300, H - 103 - 13 * i, b)
    for i, line in enumerate(["Invoice number: AC-0193", "Invoice date: 4 March 2025"]):
        c.drawString(50, H - 160 - 13 * i, line)
    _totals(c, [("Subtotal", "£2,000.00"), ("VAT 20%", "£400.00"), ("Total due", "£2,400.00")], H - 300)


def test_from_and_to_side_by_side(invoice_schema: Schema) -> None:
    got = extract_generic(parse_ok(make_pdf(_from_to), "invoice.pdf"), invoice_schema).values()
    assert got["issuer_name"] == "Ashdown Consulting"  # never "To"
    assert got["customer_name"] == "Brightline Media Ltd"


def _firm_letter(c: canvas.Canvas) -> None:
    c.setFont("Helvetica-Bold", 15)
    c.drawString(50, H - 50, "Cabinet Ravelle")
    c.setFont("Helvetica", 8)
    c.drawString(50, H - 66, "Avocats associés")
    c.drawString(50, H - 78, "12 boulevard Voltaire, 75011 Paris")
    c.setFont("Helvetica", 10)
    for i, line in enumerate(["Maître Anne Lefort", "Société Valcourt SAS", "5 rue de Rivoli, 75004 Paris"]):
        c.drawString(330, H - 120 - 13 * i, line)
    c.drawString(330, H - 190, "Paris, le 12 mars 2025")
    c.setFont("Helvetica-Bold", 12)
    c.drawString(50, H - 230, "NOTE D'HONORAIRES N° 2025-031")
    c.setFont("Helvetica", 10)
    _totals(c, [("Total HT", "3 000,00 €"), ("TVA 20 %", "600,00 €"), ("Total TTC", "3 600,00 €")], H - 330)


def test_the_company_in_the_window_is_the_addressee(invoice_schema: Schema) -> None:
    got = extract_generic(parse_ok(make_pdf(_firm_letter), "note.pdf"), invoice_schema).values()
    assert got["issuer_name"] == "Cabinet Ravelle"
    assert got["issuer_address"] == "12 boulevard Voltaire, 75011 Paris"


def _window_vat(c: canvas.Canvas, under_window: bool) -> None:
    c.setFont("Helvetica-Bold", 16)
    c.drawString(50, H - 50, "Larkspur Consulting Ltd")
    c.setFont("Helvetica", 10)
    c.drawString(50, H - 66, "3 Bank Street, Leeds LS1 5AT")
    if not under_window:
        c.drawString(50, H - 79, "VAT No: GB246813579")
    for i, line in enumerate(["Fernhill Trading Ltd", "12 Chapel Street", "Hull HU1 3QP"]
                             + (["VAT No: GB246813579"] if under_window else [])):
        c.drawString(50, H - 130 - 13 * i, line)
    c.drawString(380, H - 130, "Invoice No: LC-3320")
    c.drawString(380, H - 143, "Invoice Date: 04/03/2026")
    _totals(c, [("Subtotal", "1,000.00"), ("VAT 20%", "200.00"), ("Total", "1,200.00")], H - 250)


@pytest.mark.parametrize("under_window", [True, False])
def test_a_vat_number_under_the_window_is_the_addressees(invoice_schema: Schema, under_window: bool) -> None:
    doc = parse_ok(make_pdf(lambda c: _window_vat(c, under_window)), "invoice.pdf")
    rec = extract_generic(doc, invoice_schema)
    issuer_id = rec.fields.get("issuer_tax_id")
    if under_window:
        assert issuer_id is None or issuer_id.confidence < invoice_schema.min_confidence, issuer_id
        assert rec.values().get("customer_tax_id") == "GB246813579"
    else:
        assert rec.values()["issuer_tax_id"] == "GB246813579"
        assert issuer_id.confidence >= invoice_schema.min_confidence
