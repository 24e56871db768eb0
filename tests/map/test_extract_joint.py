"""Joint choice on a crafted invoice (reportlab) whose only consistent reading is the right one.

Read field by field, the invoice misleads: "Amount Due" (a more specific total label than
"Total") carries the previous balance plus this invoice; the dates are numeric with day and
month both <= 12 and nothing else on the page fixes their order, and read day-first the due
date would fall before the issue date; the customer's block carries a VAT number too. Only one
reading satisfies every check: subtotal + tax == total, due date >= issue date, the issuer's
tax id outside the customer's block.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

from pipelines.map.extract import extract_generic
from pipelines.model.schema import Schema, load_schema
from pipelines.validate.validator import validate

from .pdf_fixtures import H, make_pdf, parse_ok

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


@pytest.fixture(scope="module")
def invoice_schema() -> Schema:
    return load_schema(SCHEMAS / "invoice.yaml")


def _draw(c: canvas.Canvas, *, with_balance: bool = True) -> None:
    top = H - 60
    c.setFont("Helvetica-Bold", 18)
    c.drawString(50, top, "Kestrel Analytics Ltd")
    c.setFont("Helvetica", 10)
    c.drawString(50, top - 16, "VAT No: GB 123 4567 89")
    c.drawString(360, top, "INVOICE")
    c.drawString(360, top - 16, "Invoice No: KA-5521")
    c.drawString(360, top - 30, "Invoice Date: 02/11/2025")
    c.drawString(360, top - 44, "Due Date: 03/10/2025")
    c.drawString(50, top - 80, "Bill To:")
    c.drawString(50, top - 94, "Harrow Field Supplies Ltd")
    c.drawString(50, top - 108, "VAT No: GB 987 6543 21")
    y = top - 170
    c.setFont("Helvetica-Bold", 10)
    c.drawString(50, y, "Description")
    c.drawString(470, y, "Amount")
    c.setFont("Helvetica", 10)
    for desc, amount in [("Data pipeline audit", "1,600.00"), ("Dashboard build", "800.00")]:
        y -= 16
        c.drawString(50, y, desc)
        c.drawRightString(530, y, amount)
    rows = [("Subtotal", "2,400.00"), ("VAT 20%", "480.00"), ("Total", "2,880.00")]
    if with_balance:
        rows += [("Previous balance", "1,150.00"), ("Amount Due", "4,030.00")]
    y -= 30
    for label, amount in rows:
        c.drawString(360, y, label)
        c.drawRightString(530, y, amount)
        y -= 16


def test_only_consistent_reading_is_chosen(invoice_schema: Schema) -> None:
    doc = parse_ok(make_pdf(_draw), "crafted_invoice.pdf")
    rec = extract_generic(doc, invoice_schema)
    v = rec.values()
    # subtotal + tax == total picks the invoice's own total over the larger "Amount Due"
    assert (v["subtotal_amount"], v["tax_amount"], v["total_amount"]) == (Decimal("2400.00"), Decimal("480.00"), Decimal("2880.00"))
    # read month-first, the due date is on or after the issue date
    assert (v["issue_date"], v["due_date"]) == (date(2025, 2, 11), date(2025, 3, 10))
    # the issuer's VAT number, not the one in the customer's block
    assert v["issuer_tax_id"].replace(" ", "") == "GB123456789"
    assert v["issuer_name"] == "Kestrel Analytics Ltd"
    assert v["customer_name"] == "Harrow Field Supplies Ltd"
    assert not [i for i in validate(rec, invoice_schema) if i.code == "failed_check"]
    # every value is grounded: its evidence slices back to the text it was read from
    for name, fv in rec.fields.items():
        if fv.evidence is not None:
            assert doc.text[fv.evidence.start:fv.evidence.end] == fv.evidence.text, name


def test_agreement_raises_confidence(invoice_schema: Schema) -> None:
    """The total backed by the sum check is surer than the same label read with no check behind it."""
    checked = extract_generic(parse_ok(make_pdf(lambda c: _draw(c, with_balance=False)), "a.pdf"),
                              invoice_schema).fields["total_amount"]

    def unchecked(c: canvas.Canvas) -> None:
        c.setFont("Helvetica", 10)
        c.drawString(50, H - 60, "Kestrel Analytics Ltd")
        c.drawString(360, H - 200, "Total")
        c.drawRightString(530, H - 200, "2,880.00")

    alone = extract_generic(parse_ok(make_pdf(unchecked), "b.pdf"), invoice_schema).fields["total_amount"]
    assert checked.value == alone.value == Decimal("2880.00")
    assert checked.confidence > alone.confidence
    # a competing reading ("Amount Due" with the previous balance) lowers it again
    contested = extract_generic(parse_ok(make_pdf(_draw), "c.pdf"), invoice_schema).fields["total_amount"]
    assert contested.value == checked.value and contested.confidence < checked.confidence
