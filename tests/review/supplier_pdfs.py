"""One invented supplier for the coaching tests, drawn with reportlab (not a benchmark layout).

Marrowby Instruments plc prints its VAT number without the country prefix, its due date only
inside a sentence, and a line table that runs over pages with carried-forward rows. Its
invoices differ in items and page count, as a supplier's invoices do.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

W, H = A4
ISSUER = "Marrowby Instruments plc"
VAT_PRINTED = "447 2913 08"
VAT = "GB447291308"
GOODS = [("Flow meter DN50", Decimal("412.00")), ("Pressure gauge 0-10 bar", Decimal("38.60")),
         ("Commissioning visit", Decimal("260.00")), ("Calibration certificate", Decimal("45.00")),
         ("Sensor cable 10 m", Decimal("17.25")), ("Data logger", Decimal("129.90")),
         ("Ultrasonic clamp-on transducer", Decimal("610.00")), ("Replacement impeller kit", Decimal("88.40")),
         ("Thermowell stainless steel", Decimal("54.10")), ("Telemetry modem annual licence", Decimal("199.00")),
         ("Isolation valve bronze", Decimal("73.35")), ("Weatherproof enclosure", Decimal("142.80")),
         ("Training workshop half-day", Decimal("350.00")), ("Spare battery pack", Decimal("31.95"))]


def invoice(number: str, issue: dt.date, customer: str, account: str, n_items: int, *, seed: int = 0,
            per_page: int = 25) -> tuple[bytes, dict]:
    """The PDF bytes and the true values (line items included)."""
    items = []
    for i in range(n_items):
        desc, price = GOODS[(i + seed) % len(GOODS)]
        qty = Decimal((i * 7 + seed) % 9 + 1)
        items.append({"description": desc, "quantity": qty, "unit_price": price, "amount": qty * price})
    sub = sum((it["amount"] for it in items), Decimal(0))
    tax = (sub * Decimal("0.2")).quantize(Decimal("0.01"))
    due = issue + dt.timedelta(days=21)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    c.setFont("Helvetica-Bold", 17)
    c.drawString(50, H - 60, ISSUER)
    c.setFont("Helvetica", 9)
    c.drawString(50, H - 74, "Wharf House, 3 Tanyard Lane, Kendal LA9 4QT")
    c.drawString(50, H - 86, f"VAT registration no. {VAT_PRINTED}")
    c.setFont("Helvetica", 10)
    c.drawString(360, H - 60, "Invoice reference")
    c.drawString(460, H - 60, number)
    c.drawString(360, H - 74, "Dated")
    c.drawString(460, H - 74, issue.strftime("%d %B %Y"))
    c.drawString(360, H - 88, "Your account")
    c.drawString(460, H - 88, account)
    c.drawString(50, H - 120, "Invoiced to")
    c.drawString(50, H - 134, customer)

    def header(y: float) -> None:
        c.setFont("Helvetica-Bold", 9)
        c.drawString(50, y, "Item")
        for x, t in ((340, "Units"), (430, "Each"), (530, "Line value")):
            c.drawRightString(x, y, t)
        c.setFont("Helvetica", 10)

    y = H - 180
    header(y)
    running = Decimal(0)
    for i, it in enumerate(items):
        if i and i % per_page == 0:
            c.drawString(50, y - 18, "Carried forward")
            c.drawRightString(530, y - 18, f"{running:,.2f}")
            c.showPage()
            y = H - 80
            header(y)
            y -= 16
            c.setFont("Helvetica", 10)
            c.drawString(50, y, "Brought forward")
            c.drawRightString(530, y, f"{running:,.2f}")
        y -= 16
        c.drawString(50, y, it["description"])
        c.drawRightString(340, y, str(it["quantity"]))
        c.drawRightString(430, y, f"{it['unit_price']:,.2f}")
        c.drawRightString(530, y, f"{it['amount']:,.2f}")
        running += it["amount"]
    for i, (label, value) in enumerate((("Goods", sub), ("VAT 20%", tax), ("Amount payable", sub + tax))):
        c.drawRightString(430, y - 40 - 15 * i, label)
        c.drawRightString(530, y - 40 - 15 * i, f"{value:,.2f}")
    c.setFont("Helvetica", 9)
    c.drawString(50, y - 110, f"Please pay by {due.day} {due.strftime('%B %Y')}. Queries to our accounts office.")
    c.save()
    truth = {"invoice_number": number, "issue_date": issue, "due_date": due, "issuer_name": ISSUER, "issuer_tax_id": VAT,
             "customer_name": customer, "customer_account": account, "subtotal_amount": sub, "tax_amount": tax,
             "total_amount": sub + tax, "line_items": items}
    return buf.getvalue(), truth


def write_set(folder, specs: list[tuple[str, dt.date, str, str, int]]) -> dict[str, dict]:
    """Write invoices named by their number; returns file name -> truth."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for k, (number, issue, customer, account, n) in enumerate(specs):
        data, truth = invoice(number, issue, customer, account, n, seed=k)
        name = f"marrowby_{number.replace('/', '-')}.pdf"
        (folder / name).write_bytes(data)
        out[name] = truth
    return out


SPECS = [("MI-55012", dt.date(2026, 3, 3), "Fellgate Water Board", "FW-2210", 3),
         ("MI-55107", dt.date(2026, 3, 19), "Saltcote Creamery Ltd", "SC-0415", 6),
         ("MI-55230", dt.date(2026, 4, 2), "Fellgate Water Board", "FW-2210", 34),
         ("MI-55391", dt.date(2026, 4, 21), "Fellgate Water Board", "FW-2210", 2)]
