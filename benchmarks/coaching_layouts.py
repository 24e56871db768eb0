"""Six invented supplier layouts for the coaching benchmark, drawn with reportlab at run time.

Every supplier, customer, number and label here is made up for this benchmark (nothing comes
from the sample corpus or the shared dev sets). The layouts differ on purpose: English,
German, French and US conventions; day-first, ISO, spelled-out and month-first dates; comma
and point decimals; a due date only inside a sentence; a VAT number printed without its
country prefix; a line table running over several pages with carried-forward rows; a credit
note with negative amounts. `make_documents(dir)` writes ~10 PDFs per layout and returns
the gold values a reviewer would type.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

W, H = A4
CENT = Decimal("0.01")
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December"]
MONTHS_FR = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre"]
CUSTOMERS = ["Pellworth Bakeries Ltd", "Granary Lane Hotels", "Okapi Sports Club", "Vintry Housing Co-operative",
             "Stellmark Dental Practice", "Hollowmere Parish Council", "Juniper Row Nurseries", "Brackenfield Mills"]


def q(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def en_amount(x: Decimal) -> str:
    return f"{x:,.2f}"


def de_amount(x: Decimal) -> str:
    return f"{x:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


def fr_amount(x: Decimal) -> str:
    return f"{x:,.2f}".replace(",", " ").replace(".", ",")


@dataclass
class Doc:
    """One generated document: its gold record and what to draw."""

    name: str
    gold: dict[str, Any]
    items: list[tuple[str, Decimal, Decimal, Decimal]] = field(default_factory=list)


@dataclass
class Layout:
    key: str
    issuer: str
    tax_printed: str
    tax_id: str
    currency: str
    rate: Decimal
    goods: list[tuple[str, Decimal]]
    draw: Callable[[canvas.Canvas, Doc, Layout], None]
    items_range: tuple[int, int] = (2, 6)
    credit: bool = False
    has_due: bool = True
    address: str = ""  # as a reviewer types it: parts separated by commas


# ---- drawing helpers -----------------------------------------------------------------------


def text(c: canvas.Canvas, x: float, y: float, s: str, size: float = 10, bold: bool = False) -> None:
    c.setFont("Helvetica-Bold" if bold else "Helvetica", size)
    c.drawString(x, y, s)


def right(c: canvas.Canvas, x: float, y: float, s: str, size: float = 10, bold: bool = False) -> None:
    c.setFont("Helvetica-Bold" if bold else "Helvetica", size)
    c.drawRightString(x, y, s)


def table(c: canvas.Canvas, doc: Doc, top: float, heads: list[str], xs: list[float], fmt: Callable[[Decimal], str],
          qty: Callable[[Decimal], str] = lambda d: f"{d.normalize():f}", *, rows_per_page: int = 30,
          carry: tuple[str, str] | None = None, page_top: float = H - 80) -> float:
    """Header row and one line per item (description left, numbers right-aligned); new pages
    repeat the header, with carried/brought-forward rows when `carry` is given. Returns y."""
    def header(y: float) -> None:
        text(c, xs[0], y, heads[0], 9, True)
        for h, x in zip(heads[1:], xs[1:]):
            right(c, x, y, h, 9, True)

    y = top
    header(y)
    running = Decimal(0)
    for i, (desc, n, price, amount) in enumerate(doc.items):
        if i and i % rows_per_page == 0:
            if carry:
                right(c, xs[-2], y - 18, carry[0], 9)
                right(c, xs[-1], y - 18, fmt(running), 9)
            c.showPage()
            y = page_top
            header(y)
            if carry:
                y -= 16
                right(c, xs[-2], y, carry[1], 9)
                right(c, xs[-1], y, fmt(running), 9)
        y -= 16
        text(c, xs[0], y, desc)
        for x, v in zip(xs[1:], (qty(n), fmt(price), fmt(amount))):
            right(c, x, y, v)
        running += amount
    return y


# ---- the six layouts -------------------------------------------------------------------------


def draw_tamsin(c: canvas.Canvas, d: Doc, lay: Layout) -> None:
    g = d.gold
    text(c, 50, H - 60, lay.issuer, 18, True)
    text(c, 50, H - 76, "Unit 4, Culverhay Trading Estate, Frome BA11 9QZ", 9)
    text(c, 50, H - 88, f"VAT Reg: {lay.tax_printed}", 9)
    text(c, 360, H - 60, "TAX INVOICE", 14, True)
    for i, (label, value) in enumerate([("Invoice No.", g["invoice_number"]), ("Date", g["issue_date"].strftime("%d/%m/%Y")),
                                        ("Payment due", g["due_date"].strftime("%d/%m/%Y")), ("Account ref", g["customer_account"])]):
        text(c, 360, H - 90 - 14 * i, label, 9, True)
        text(c, 450, H - 90 - 14 * i, value, 9)
    text(c, 50, H - 140, "Invoice to:", 9, True)
    text(c, 50, H - 154, g["customer_name"])
    y = table(c, d, H - 210, ["Description", "Qty", "Unit price", "Net"], [50, 330, 420, 530], en_amount)
    for i, (label, value) in enumerate([("Net total", g["subtotal_amount"]), ("VAT @ 20%", g["tax_amount"]),
                                        ("Total due GBP", g["total_amount"])]):
        right(c, 420, y - 40 - 15 * i, label, 10, i == 2)
        right(c, 530, y - 40 - 15 * i, en_amount(value), 10, i == 2)
    text(c, 50, 60, "Thank you for your custom. Sort code 40-17-22, account 51992043.", 8)


def draw_hohenfels(c: canvas.Canvas, d: Doc, lay: Layout) -> None:
    g = d.gold
    text(c, 50, H - 55, lay.issuer, 16, True)
    text(c, 50, H - 70, "Kesselgasse 14 · 70173 Stuttgart", 9)
    text(c, 50, H - 130, g["customer_name"])
    text(c, 50, H - 143, "Am Pfarrgarten 3, 53111 Bonn", 9)
    text(c, 50, H - 190, "RECHNUNG", 14, True)
    text(c, 330, H - 130, f"Rechnung Nr.: {g['invoice_number']}", 9)
    text(c, 330, H - 143, f"Rechnungsdatum: {g['issue_date'].strftime('%d.%m.%Y')}", 9)
    text(c, 330, H - 156, f"Kundennummer: {g['customer_account']}", 9)
    y = table(c, d, H - 230, ["Bezeichnung", "Menge", "Einzelpreis", "Betrag"], [50, 330, 420, 530], de_amount,
              qty=lambda n: f"{n.normalize():f}".replace(".", ","))
    for i, (label, value) in enumerate([("Nettobetrag", g["subtotal_amount"]), ("MwSt. 19 %", g["tax_amount"]),
                                        ("Gesamtbetrag EUR", g["total_amount"])]):
        right(c, 420, y - 40 - 15 * i, label, 10, i == 2)
        right(c, 530, y - 40 - 15 * i, de_amount(value), 10, i == 2)
    text(c, 50, y - 110, f"Zahlbar bis {g['due_date'].strftime('%d.%m.%Y')} ohne Abzug. Vielen Dank für Ihren Auftrag.", 9)
    text(c, 50, 70, f"USt-IdNr.: {lay.tax_printed} · Amtsgericht Stuttgart HRB 739104", 8)
    text(c, 50, 58, "Bankverbindung: Landesbank Musterstadt, BIC SOLADEST600", 8)


def fr_date(x: dt.date) -> str:
    return f"{x.day} {MONTHS_FR[x.month - 1]} {x.year}"


def draw_vasseur(c: canvas.Canvas, d: Doc, lay: Layout) -> None:
    g = d.gold
    text(c, 50, H - 60, lay.issuer, 17, True)
    text(c, 50, H - 75, "12 rue des Tanneurs, 69002 Lyon", 9)
    text(c, 50, H - 87, f"N° TVA intracommunautaire : {lay.tax_printed}", 9)
    text(c, 50, H - 130, f"FACTURE N° {g['invoice_number']}", 13, True)
    text(c, 50, H - 148, f"Date de facture : {fr_date(g['issue_date'])}", 10)
    text(c, 50, H - 162, f"Échéance : {fr_date(g['due_date'])}", 10)
    text(c, 330, H - 130, "Client", 9, True)
    text(c, 330, H - 144, g["customer_name"])
    text(c, 330, H - 158, f"Réf. client : {g['customer_account']}", 9)
    y = table(c, d, H - 210, ["Désignation", "Qté", "Prix unitaire", "Montant HT"], [50, 320, 420, 530], fr_amount)
    for i, (label, value) in enumerate([("Total HT", g["subtotal_amount"]), ("TVA 20 %", g["tax_amount"]),
                                        ("Total TTC", g["total_amount"])]):
        right(c, 420, y - 40 - 15 * i, label, 10, i == 2)
        right(c, 530, y - 40 - 15 * i, fr_amount(value) + " €", 10, i == 2)
    text(c, 50, 60, "Pénalités de retard : trois fois le taux d'intérêt légal.", 8)


def draw_quillon(c: canvas.Canvas, d: Doc, lay: Layout) -> None:
    g = d.gold
    text(c, 50, H - 60, lay.issuer, 18, True)
    text(c, 50, H - 75, "880 Harbor Point Drive, Suite 300, Portland, OR 97209", 9)
    text(c, 50, H - 87, f"Tax ID {lay.tax_printed}", 9)
    text(c, 400, H - 60, "INVOICE", 16, True)
    text(c, 400, H - 80, f"Invoice # {g['invoice_number']}", 10)
    issue = g["issue_date"]
    text(c, 400, H - 94, f"Invoice Date: {MONTHS_EN[issue.month - 1]} {issue.day}, {issue.year}", 10)
    text(c, 50, H - 130, "BILL TO", 9, True)
    text(c, 50, H - 144, g["customer_name"])
    text(c, 50, H - 158, f"Customer ID: {g['customer_account']}", 9)
    y = table(c, d, H - 200, ["Service", "Hours", "Rate", "Amount"], [50, 330, 420, 530], lambda x: "$" + en_amount(x))
    for i, (label, value) in enumerate([("Subtotal", g["subtotal_amount"]), ("Sales Tax (8.5%)", g["tax_amount"]),
                                        ("Balance Due (USD)", g["total_amount"])]):
        right(c, 420, y - 40 - 15 * i, label, 10, i == 2)
        right(c, 530, y - 40 - 15 * i, "$" + en_amount(value), 10, i == 2)
    due = g["due_date"]
    text(c, 50, y - 110, f"Please remit payment by {MONTHS_EN[due.month - 1]} {due.day}, {due.year}. "
                         "Questions? Write to billing and quote your invoice number.", 9)


def draw_brightwater(c: canvas.Canvas, d: Doc, lay: Layout) -> None:
    g = d.gold
    text(c, 50, H - 55, lay.issuer, 16, True)
    text(c, 50, H - 69, f"Havenkade 41, 3024 AB Rotterdam · BTW {lay.tax_printed}", 9)
    for i, (label, value) in enumerate([("Document no.", g["invoice_number"]), ("Issued", g["issue_date"].isoformat()),
                                        ("Due", g["due_date"].isoformat()), ("Client no.", g["customer_account"])]):
        text(c, 50, H - 100 - 13 * i, label, 9, True)
        text(c, 130, H - 100 - 13 * i, value, 9)
    text(c, 330, H - 100, "Supplied to", 9, True)
    text(c, 330, H - 113, g["customer_name"])
    y = table(c, d, H - 175, ["Article", "Qty", "Price", "Total"], [50, 330, 420, 530],
              lambda x: en_amount(x), rows_per_page=22, carry=("Carried forward", "Brought forward"))
    for i, (label, value) in enumerate([("Goods total", g["subtotal_amount"]), ("BTW 21%", g["tax_amount"]),
                                        ("To pay EUR", g["total_amount"])]):
        right(c, 420, y - 40 - 15 * i, label, 10, i == 2)
        right(c, 530, y - 40 - 15 * i, en_amount(value), 10, i == 2)


def draw_orrin(c: canvas.Canvas, d: Doc, lay: Layout) -> None:
    g = d.gold
    text(c, 50, H - 60, lay.issuer, 17, True)
    text(c, 50, H - 74, "Dock Road, Ellesmere Port CH65 4EZ", 9)
    text(c, 380, H - 60, "CREDIT NOTE", 15, True)
    text(c, 380, H - 80, f"Credit note no: {g['invoice_number']}", 9)
    text(c, 380, H - 93, f"Date: {g['issue_date'].strftime('%d %b %Y')}", 9)
    text(c, 380, H - 106, f"Against invoice: {g['invoice_number'].replace('CN', 'IN')}", 9)
    text(c, 50, H - 120, "Credited to:", 9, True)
    text(c, 50, H - 133, g["customer_name"])
    text(c, 50, H - 146, f"Customer code: {g['customer_account']}", 9)
    y = table(c, d, H - 190, ["Returned item", "Qty", "Price", "Credit"], [50, 330, 420, 530], en_amount)
    for i, (label, value) in enumerate([("Net credit", g["subtotal_amount"]), ("VAT credit", g["tax_amount"]),
                                        ("Total credit GBP", g["total_amount"])]):
        right(c, 420, y - 40 - 15 * i, label, 10, i == 2)
        right(c, 530, y - 40 - 15 * i, en_amount(value), 10, i == 2)
    text(c, 50, 60, f"VAT registration {lay.tax_printed}. This credit will be set against your next invoice.", 8)


LAYOUTS = [
    Layout("tamsin_gb", "Tamsin Brook Engineering Ltd", "GB 219 5530 71", "GB219553071", "GBP", Decimal("0.20"),
           [("Bearing housing, cast", Decimal("38.40")), ("Drive belt B-section", Decimal("12.95")),
            ("Site labour (hour)", Decimal("54.00")), ("Shaft alignment service", Decimal("185.00")),
            ("Coupling insert kit", Decimal("22.10")), ("Gearbox oil 20 l", Decimal("96.75"))], draw_tamsin, address='Unit 4, Culverhay Trading Estate, Frome BA11 9QZ'),
    Layout("hohenfels_de", "Hohenfels Messtechnik GmbH", "DE 287 114 965", "DE287114965", "EUR", Decimal("0.19"),
           [("Drucksensor PS-40", Decimal("212.00")), ("Kalibrierung vor Ort", Decimal("145.50")),
            ("Anfahrtspauschale", Decimal("48.00")), ("Kabelsatz 5 m", Decimal("19.90")),
            ("Messumformer 4-20 mA", Decimal("331.25"))], draw_hohenfels, address='Kesselgasse 14, 70173 Stuttgart'),
    Layout("vasseur_fr", "Atelier Vasseur SARL", "FR61832550917", "FR61832550917", "EUR", Decimal("0.20"),
           [("Reliure cuir, format A4", Decimal("64.00")), ("Dorure à chaud", Decimal("18.50")),
            ("Restauration de dos", Decimal("120.00")), ("Papier marbré (feuille)", Decimal("7.40"))], draw_vasseur, address='12 rue des Tanneurs, 69002 Lyon'),
    Layout("quillon_us", "Quillon Data Services Inc.", "47-2093318", "47-2093318", "USD", Decimal("0.085"),
           [("Database tuning", Decimal("165.00")), ("On-call support", Decimal("95.00")),
            ("Backup verification", Decimal("120.00")), ("Schema review", Decimal("150.00"))], draw_quillon, address='880 Harbor Point Drive, Suite 300, Portland, OR 97209'),
    Layout("brightwater_nl", "Brightwater Lab Supplies BV", "NL853104277B01", "NL853104277B01", "EUR", Decimal("0.21"),
           [(f"{kind} {size}", price) for kind, base in [("Pipette tips", "0.45"), ("Petri dishes", "0.30"),
                                                         ("Nitrile gloves box", "6.80"), ("Sample vials", "0.22"),
                                                         ("Filter paper pack", "4.15")]
            for size, price in [("S", Decimal(base)), ("M", Decimal(base) * 2), ("L", Decimal(base) * 3)]],
           draw_brightwater, items_range=(18, 50), address='Havenkade 41, 3024 AB Rotterdam'),
    Layout("orrin_credit", "Orrin & Pike Distribution Ltd", "734 0091 58", "GB734009158", "GBP", Decimal("0.20"),
           [("Pallet wrap, damaged", Decimal("31.20")), ("Carton 600x400, wrong size", Decimal("2.35")),
            ("Tape dispenser", Decimal("14.90")), ("Label roll 100x150", Decimal("9.60"))], draw_orrin, address='Dock Road, Ellesmere Port CH65 4EZ',
           credit=True),
]


def _gold(lay: Layout, n: int, rng: random.Random) -> Doc:
    issue = dt.date(2026, 1, 5) + dt.timedelta(days=rng.randrange(0, 80))
    k = rng.randint(*lay.items_range)
    items = []
    for _ in range(k):
        desc, price = rng.choice(lay.goods)
        qty = Decimal(rng.randint(1, 12))
        items.append((desc, qty, price, q(qty * price)))
    sign = Decimal(-1) if lay.credit else Decimal(1)
    items = [(a, b, c * sign, d * sign) for a, b, c, d in items]
    sub = q(sum((x[3] for x in items), Decimal(0)))
    tax = q(sub * lay.rate)
    prefix = {"tamsin_gb": "TBE-", "hohenfels_de": "2026-", "vasseur_fr": "F26/", "quillon_us": "QDS",
              "brightwater_nl": "BW", "orrin_credit": "CN"}[lay.key]
    number = f"{prefix}{rng.randint(10000, 99999)}"
    gold = {"invoice_number": number, "issue_date": issue, "due_date": issue + dt.timedelta(days=30),
            "issuer_name": lay.issuer, "issuer_address": lay.address, "issuer_tax_id": lay.tax_id, "customer_name": rng.choice(CUSTOMERS),
            "customer_account": f"{rng.choice('KCAP')}{rng.randint(1000, 9999)}", "currency": lay.currency,
            "subtotal_amount": sub, "tax_amount": tax, "total_amount": sub + tax,
            "line_items": [{"description": a, "quantity": b, "unit_price": c, "amount": d} for a, b, c, d in items]}
    if lay.credit:
        gold["due_date"] = None  # a credit note has no due date: a value found there is wrong
    return Doc(f"{lay.key}_{n:02d}.pdf", gold, items)


def make_documents(out: Path, per_layout: int = 10, seed: int = 7) -> dict[str, list[Doc]]:
    """Write every layout's documents under `out/<layout>/`; returns the gold documents per layout."""
    rng = random.Random(seed)
    docs: dict[str, list[Doc]] = {}
    for lay in LAYOUTS:
        folder = out / lay.key
        folder.mkdir(parents=True, exist_ok=True)
        docs[lay.key] = []
        for n in range(1, per_layout + 1):
            d = _gold(lay, n, rng)
            c = canvas.Canvas(str(folder / d.name), pagesize=A4, invariant=1)
            lay.draw(c, d, lay)
            c.save()
            docs[lay.key].append(d)
    return docs


__all__ = ["LAYOUTS", "Doc", "Layout", "make_documents"]
