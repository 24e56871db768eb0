"""PDFs drawn with reportlab for the mapping tests, shared by the locate and generic tests."""

from __future__ import annotations

import io
from collections.abc import Callable

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from pipelines.model.document import Document
from pipelines.parse.dispatch import parse_bytes

W, H = A4


def make_pdf(draw: Callable[[canvas.Canvas], None]) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    draw(c)
    c.save()
    return buf.getvalue()


def parse_ok(data: bytes, name: str) -> Document:
    doc = parse_bytes(data, name=name)
    assert doc.status == "parsed", doc.reason_text
    return doc


def draw_header_row_invoice(c: canvas.Canvas, top: float) -> None:
    """Issuer, invoice number label-right, a header row with values below (label-below),
    a customer, a borderless line-items table with European numbers and a totals block."""
    c.setFont("Helvetica-Bold", 20)
    c.drawString(50, top, "Nordlicht Systems GmbH")
    c.setFont("Helvetica", 10)
    c.drawString(380, top - 24, "Invoice No.:  NS-2024-0815")
    c.drawString(50, top - 60, "Bill to:")
    c.drawString(50, top - 73, "Harbour Foods Ltd")
    c.setFont("Helvetica-Bold", 9)
    c.drawString(300, top - 60, "Invoice Date")
    c.drawString(400, top - 60, "Due Date")
    c.drawString(480, top - 60, "Customer No")
    c.setFont("Helvetica", 10)
    c.drawString(300, top - 73, "14.03.2024")
    c.drawString(400, top - 73, "13.04.2024")
    c.drawString(480, top - 73, "K-4711")
    y = top - 130
    c.setFont("Helvetica-Bold", 10)
    for x, t in [(50, "Description"), (300, "Qty"), (360, "Unit Price"), (470, "Amount")]:
        c.drawString(x, y, t)
    c.setFont("Helvetica", 10)
    for desc, q, p, a in [("Sensor module XT-9", "3", "1.250,00", "3.750,00"),
                          ("Installation (hours)", "6", "95,00", "570,00"),
                          ("Travel flat rate", "1", "80,00", "80,00")]:
        y -= 16
        c.drawString(50, y, desc)
        c.drawRightString(320, y, q)
        c.drawRightString(420, y, p)
        c.drawRightString(530, y, a)
    y -= 30
    for lab, val in [("Subtotal", "4.400,00 EUR"), ("VAT 19%", "836,00 EUR"), ("Total Due", "5.236,00 EUR")]:
        c.drawString(360, y, lab)
        c.drawRightString(530, y, val)
        y -= 15
