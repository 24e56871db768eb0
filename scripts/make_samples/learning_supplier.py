"""Invoices of one supplier whose layout the shipped rules and the generic extractor do not know,
for the rule-learning curve test (tests/review/test_learning_curve.py).

Kestrel Flow Controls Ltd writes its name only in a logo line ("KESTREL FLOW CONTROLS LTD"),
numbers its invoices under "Document ref", prints US-style dates (month first, two-digit years)
under "Raised on" / "Settle by", and calls the total "Balance to settle". Every document has
different values (numbers, dates, customers, line counts) so a learned rule must generalise.

    python -m scripts.make_samples.learning_supplier [--out tests/fixtures/learning_supplier]

writes kestrel_<n>.pdf files and expected.json (the true values per file).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
from decimal import Decimal
from pathlib import Path

from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from .common import fmt_num, fmt_qty, money, uk_vat, uk_vat_spaced

rl_config.invariant = 1
W, H = A4
REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "tests" / "fixtures" / "learning_supplier"
N_DOCS = 12
SEED = 20261125

SUPPLIER = "Kestrel Flow Controls Ltd"
VAT = uk_vat("6041187")
CUSTOMERS = ["Severn Vale Water Ltd", "Marlow Brewing Company Ltd", "Kingsway Leisure Ltd", "Abbey Dental Care Ltd",
             "Pershore Fresh Produce Ltd", "Stroud Print Works Ltd", "Riverside Care Homes Ltd"]
ITEMS = [("Butterfly valve DN150 PN16", "185.00"), ("Pneumatic actuator PA-40", "412.50"), ("Gate valve DN80", "96.20"),
         ("Pressure reducing valve 2in", "238.75"), ("Actuator service kit", "54.10"), ("Site calibration visit", "320.00"),
         ("Flow switch FS-12", "71.35"), ("Check valve DN100", "129.90")]


def _us(d: dt.date) -> str:  # 03/14/26: month first, two-digit year
    return d.strftime("%m/%d/%y")


def invoices() -> list[dict]:
    rng = random.Random(SEED)
    out = []
    number = 380 + rng.randrange(40)
    day = dt.date(2026, 1, 5)
    for i in range(N_DOCS):
        number += rng.randrange(3, 60)
        day += dt.timedelta(days=rng.randrange(4, 17))
        lines = []
        for desc, price in rng.sample(ITEMS, rng.randrange(1, 5)):
            qty = Decimal(rng.randrange(1, 9))
            lines.append({"description": desc, "quantity": qty, "unit_price": Decimal(price), "amount": money(qty * Decimal(price))})
        subtotal = money(sum(ln["amount"] for ln in lines))
        tax = money(subtotal * Decimal("0.2"))
        out.append({
            "file": f"kestrel_{i + 1:02d}.pdf",
            "invoice_number": f"KFC/26/{number:05d}" if i % 3 else f"KFC/26/{number:04d}",
            "issue_date": day, "due_date": day + dt.timedelta(days=30),
            "issuer_name": SUPPLIER, "issuer_tax_id": VAT,
            "customer_name": CUSTOMERS[i % len(CUSTOMERS)], "customer_account": f"K{4100 + 7 * i:05d}",
            "currency": "GBP", "subtotal_amount": subtotal, "tax_amount": tax, "total_amount": subtotal + tax,
            "line_items": lines,
        })
    return out


def render(inv: dict, path: Path) -> None:
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1, pageCompression=1)
    c.setTitle(f"Kestrel {inv['invoice_number']}")
    c.setFont("Helvetica-Bold", 20)  # the logo: the only place the name appears
    c.drawString(50, H - 60, SUPPLIER.upper())
    c.setFont("Helvetica-Oblique", 8)
    c.drawString(50, H - 74, "precision valves and actuators for water networks")
    c.setFont("Helvetica", 8)
    c.drawRightString(545, H - 50, "Unit 4, Heron Way, Tewkesbury GL20 8NB")
    c.drawRightString(545, H - 61, f"VAT {uk_vat_spaced(VAT)}")
    c.setFont("Helvetica-Bold", 14)
    c.drawString(50, H - 120, "TAX INVOICE")
    c.setFont("Helvetica", 9)
    c.drawString(50, H - 150, "Deliver & invoice to")
    c.setFont("Helvetica-Bold", 10)
    c.drawString(50, H - 163, inv["customer_name"])
    c.setFont("Helvetica", 9)
    c.drawString(50, H - 175, "Accounts Payable")
    for k, (label, value) in enumerate([("Document ref", inv["invoice_number"]), ("Raised on", _us(inv["issue_date"])),
                                        ("Settle by", _us(inv["due_date"])), ("Your account", inv["customer_account"])]):
        y = H - 150 - 14 * k
        c.setFont("Helvetica", 9)
        c.drawString(340, y, label)
        c.setFont("Helvetica-Bold", 9)
        c.drawString(430, y, value)
    y = H - 240
    c.setFont("Helvetica-Bold", 9)
    for x, t in [(50, "Description"), (330, "Qty"), (400, "Unit Price"), (490, "Amount")]:
        c.drawString(x, y, t)
    c.line(50, y - 4, 545, y - 4)
    c.setFont("Helvetica", 9)
    for ln in inv["line_items"]:
        y -= 15
        c.drawString(50, y, ln["description"])
        c.drawRightString(345, y, fmt_qty(ln["quantity"]))
        c.drawRightString(450, y, fmt_num(ln["unit_price"]))
        c.drawRightString(530, y, fmt_num(ln["amount"]))
    y -= 36
    for label, value in [("Goods value", inv["subtotal_amount"]), ("VAT @ 20%", inv["tax_amount"]),
                         ("Balance to settle GBP", inv["total_amount"])]:
        c.setFont("Helvetica-Bold" if label.startswith("Balance") else "Helvetica", 9)
        c.drawString(340, y, label)
        c.drawRightString(530, y, fmt_num(value))
        y -= 14
    c.setFont("Helvetica", 7)
    c.drawString(50, 60, "Payment by BACS within 30 days. Goods remain our property until paid in full.")
    c.showPage()
    c.save()


def _jsonable(v):
    if isinstance(v, (dt.date, Decimal)):
        return v.isoformat() if isinstance(v, dt.date) else str(v)
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    return v


def write_all(out: Path = OUT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths, expected = [], {}
    for inv in invoices():
        path = out / inv["file"]
        render(inv, path)
        expected[inv["file"]] = _jsonable({k: v for k, v in inv.items() if k != "file"})
        paths.append(path)
    (out / "expected.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m scripts.make_samples.learning_supplier", description=__doc__)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    paths = write_all(args.out)
    print(f"wrote {len(paths)} invoices + expected.json to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
