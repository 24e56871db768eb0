"""Render invoices as digital PDFs in clearly different supplier layouts (reportlab, invariant mode).

Layouts:  a  AquaFlow      label: value block top right, gridded line table (also the credit note)
          b  Hartwell      labels above values in boxed header cells, unruled aligned columns
          c  Rheinhydro    German DIN-5008 letter, EUR, 1.234,56, dates 03.02.2026
          d  Cotswold Labs A5 receipt: no line table, "Amount due"
          e  Brunel        platypus flowable invoice; long ones spill onto page 2 (totals there)
          f  Pinnacle      coloured banner, "Inv #", US-style dates, shaded rows
          u  Severn Vale Water's own bill to a customer (email attachments)
"""

from __future__ import annotations

from pathlib import Path

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .common import (d_dmy_abbr, d_dots, d_long, d_slash, d_us, eur_de, fmt_num, fmt_qty, gbp, iban_spaced)
from .data import UTILITY
from .invoice_model import Invoice

rl_config.invariant = 1
W, H = A4


def _canvas(path: Path, inv: Invoice, pagesize=A4) -> canvas.Canvas:
    c = canvas.Canvas(str(path), pagesize=pagesize, invariant=1, pageCompression=1)
    c.setAuthor(inv.supplier.name)
    c.setTitle(f"{'Credit note' if inv.credit else 'Invoice'} {inv.number}")
    c.setCreator("Severn Vale Water sample generator")
    c.setProducer("ReportLab PDF Library")
    return c


def _table_at(c, data, widths, style, x, top):
    t = Table(data, colWidths=widths)
    t.setStyle(TableStyle(style))
    _, h = t.wrapOn(c, sum(widths), 1000)
    t.drawOn(c, x, top - h)
    return top - h


def _lines(c, x, y, lines, font="Helvetica", size=9, leading=11.5, right=False):
    c.setFont(font, size)
    for ln in lines:
        (c.drawRightString if right else c.drawString)(x, y, ln)
        y -= leading
    return y


# --------------------------------------------------------------------------- a: AquaFlow
def layout_a(inv: Invoice, path: Path) -> None:
    s = inv.supplier
    c = _canvas(path, inv)
    c.setFillColor(colors.HexColor("#0b4f8a"))
    c.setFont("Helvetica-Bold", 20)
    c.drawString(20 * mm, H - 25 * mm, s.name)
    c.setFillColor(colors.black)
    y = _lines(c, 20 * mm, H - 32 * mm, s.address_lines + [f"Tel: {s.phone}", s.email])
    title = "CREDIT NOTE" if inv.credit else "INVOICE"
    c.setFont("Helvetica-Bold", 16)
    c.drawRightString(W - 20 * mm, H - 25 * mm, title)
    pairs = ([("Credit Note No.:", inv.number), ("Date:", d_slash(inv.issue_date)),
              ("Original Invoice:", inv.reference), ("Account No.:", inv.customer_account)] if inv.credit else
             [("Invoice No.:", inv.number), ("Invoice Date:", d_slash(inv.issue_date)),
              ("Due Date:", d_slash(inv.due_date)), ("Account No.:", inv.customer_account)]
             + ([("PO Number:", inv.po_number)] if inv.po_number else []))
    yy = H - 34 * mm
    for label, value in pairs:
        c.setFont("Helvetica-Bold", 9)
        c.drawRightString(W - 55 * mm, yy, label)
        c.setFont("Helvetica", 9)
        c.drawString(W - 53 * mm, yy, value)
        yy -= 12
    c.setFont("Helvetica-Bold", 10)
    c.drawString(20 * mm, y - 14, "Invoice To:" if not inv.credit else "Credit To:")
    y = _lines(c, 20 * mm, y - 27, [inv.customer_name] + inv.customer_address, size=10, leading=12.5)
    head = ["Item", "Description", "Qty", "Unit Price (£)", "Line Total (£)"]
    rows = [[ln.code, ln.description, fmt_qty(ln.quantity), fmt_num(ln.unit_price), fmt_num(ln.amount)]
            for ln in inv.lines]
    style = [("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#555555")),
             ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dce8f5")),
             ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9), ("FONT", (0, 1), (-1, -1), "Helvetica", 9),
             ("ALIGN", (2, 0), (-1, -1), "RIGHT")]
    y = _table_at(c, [head] + rows, [22 * mm, 80 * mm, 14 * mm, 27 * mm, 27 * mm], style, 20 * mm, y - 18)
    tots = [["Subtotal", gbp(inv.subtotal)], [f"VAT @ {inv.tax_rate}%", gbp(inv.tax)],
            ["Total Credit" if inv.credit else "Total Due", gbp(inv.total)]]
    tstyle = [("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#555555")), ("ALIGN", (1, 0), (1, -1), "RIGHT"),
              ("FONT", (0, 0), (-1, -1), "Helvetica", 9), ("FONT", (0, 2), (-1, 2), "Helvetica-Bold", 10)]
    y = _table_at(c, tots, [30 * mm, 27 * mm], tstyle, W - 20 * mm - 57 * mm, y - 8)
    if inv.credit:
        _lines(c, 20 * mm, y - 20, [f"This credit note cancels items on invoice {inv.reference}.",
                                    "The credit will be offset against your next payment."], size=9)
    else:
        _lines(c, 20 * mm, y - 20, ["Payment terms: 30 days from invoice date."], size=9)
    c.setStrokeColor(colors.HexColor("#0b4f8a"))
    c.line(20 * mm, 32 * mm, W - 20 * mm, 32 * mm)
    x = s.extra
    _lines(c, 20 * mm, 27 * mm, [
        f"Bank: Lloyds Bank plc   Sort code: {x['sort_code']}   Account: {x['bank_account']}",
        f"IBAN: {iban_spaced(s.iban)}   BIC: {s.bic}",
        f"VAT Reg No. {s.tax_id_printed}   Registered in England & Wales No. {x['company_no']}"], size=8, leading=10)
    c.showPage()
    c.save()


# --------------------------------------------------------------------------- b: Hartwell
def layout_b(inv: Invoice, path: Path) -> None:
    s = inv.supplier
    c = _canvas(path, inv)
    c.setFont("Times-Bold", 22)
    c.drawCentredString(W / 2, H - 24 * mm, s.name.upper())
    c.setFont("Times-Roman", 9.5)
    c.drawCentredString(W / 2, H - 30 * mm, "  |  ".join(s.address_lines))
    c.drawCentredString(W / 2, H - 35 * mm, f"Telephone {s.phone}  |  {s.email}")
    c.setFont("Times-Bold", 13)
    c.drawString(18 * mm, H - 50 * mm, "SALES INVOICE")
    cells = [("INVOICE NUMBER", inv.number), ("INVOICE DATE", d_long(inv.issue_date)),
             ("CUSTOMER ACCOUNT", inv.customer_account), ("PAYMENT DUE", d_long(inv.due_date))]
    bw, bh, x0, top = 43.5 * mm, 15 * mm, 18 * mm, H - 55 * mm
    for i, (label, value) in enumerate(cells):
        x = x0 + i * bw
        c.rect(x, top - bh, bw, bh)
        c.setFont("Helvetica", 6.5)
        c.drawString(x + 2.5 * mm, top - 4.5 * mm, label)
        c.setFont("Helvetica-Bold", 10.5)
        c.drawString(x + 2.5 * mm, top - 11 * mm, value)
    y = top - bh - 10 * mm
    c.setFont("Helvetica", 6.5)
    c.drawString(x0, y, "INVOICE ADDRESS")
    c.drawString(x0 + 95 * mm, y, "DELIVER TO")
    y1 = _lines(c, x0, y - 12, [inv.customer_name] + inv.customer_address, font="Times-Roman", size=10, leading=12)
    y2 = _lines(c, x0 + 95 * mm, y - 12, ["Mythe Water Treatment Works", "Mythe Lane, Tewkesbury GL20 6AA"],
               font="Times-Roman", size=10, leading=12)
    # unruled table: columns aligned only
    y = min(y1, y2) - 20
    cols = [(x0, "Product", False), (x0 + 22 * mm, "Description", False), (x0 + 128 * mm, "Qty", True),
            (x0 + 152 * mm, "Price", True), (x0 + 174 * mm, "Net", True)]
    c.setFont("Helvetica-Bold", 8.5)
    for x, label, right in cols:
        (c.drawRightString if right else c.drawString)(x, y, label)
    y -= 16
    c.setFont("Times-Roman", 10)
    for ln in inv.lines:
        vals = [ln.code, ln.description, fmt_qty(ln.quantity), fmt_num(ln.unit_price), fmt_num(ln.amount)]
        for (x, _, right), v in zip(cols, vals):
            (c.drawRightString if right else c.drawString)(x, y, v)
        y -= 15
    y -= 18
    for label, value, bold in [("Net total", fmt_num(inv.subtotal), False),
                               (f"VAT {inv.tax_rate}%", fmt_num(inv.tax), False),
                               ("Invoice total GBP", fmt_num(inv.total), True)]:
        c.setFont("Times-Bold" if bold else "Times-Roman", 11 if bold else 10)
        c.drawRightString(x0 + 150 * mm, y, label)
        c.drawRightString(x0 + 174 * mm, y, value)
        y -= 15
    c.setFont("Times-Italic", 9)
    c.drawString(x0, 40 * mm, "Goods remain the property of Hartwell Chemical Supplies Ltd until paid in full.")
    c.setFont("Helvetica", 8)
    c.drawString(x0, 30 * mm, f"Please remit to: Barclays Bank  IBAN {iban_spaced(s.iban)}  SWIFT {s.bic}")
    c.drawString(x0, 25 * mm, f"VAT No. {s.tax_id_printed}    Company No. {s.extra['company_no']}"
                              "    Quote our invoice number with your remittance.")
    c.showPage()
    c.save()


# --------------------------------------------------------------------------- c: Rheinhydro (German)
def layout_c(inv: Invoice, path: Path) -> None:
    s = inv.supplier
    c = _canvas(path, inv)
    c.setFont("Helvetica-Bold", 17)
    c.setFillColor(colors.HexColor("#006d5b"))
    c.drawRightString(W - 20 * mm, H - 20 * mm, "RHEINHYDRO")
    c.setFont("Helvetica", 8)
    c.drawRightString(W - 20 * mm, H - 25 * mm, "Messtechnik für die Wasserwirtschaft")
    c.setFillColor(colors.black)
    c.setFont("Helvetica", 7)
    c.drawString(25 * mm, H - 50 * mm, f"{s.name} · {s.address_lines[0]} · {s.address_lines[1]}")
    c.line(25 * mm, H - 51.5 * mm, 110 * mm, H - 51.5 * mm)
    _lines(c, 25 * mm, H - 58 * mm, [inv.customer_name, "Procurement - Accounts Payable"] + inv.customer_address
           + ["GROSSBRITANNIEN"], size=10, leading=12.5)
    info = [("Rechnungsnummer:", inv.number), ("Rechnungsdatum:", d_dots(inv.issue_date)),
            ("Kundennummer:", inv.customer_account), ("Lieferdatum:", d_dots(inv.issue_date))]
    if inv.po_number:
        info.append(("Ihre Bestellung:", inv.po_number))
    yy = H - 50 * mm
    for label, value in info:
        c.setFont("Helvetica", 9)
        c.drawString(125 * mm, yy, label)
        c.drawRightString(W - 20 * mm, yy, value)
        yy -= 12
    c.setFont("Helvetica-Bold", 14)
    c.drawString(25 * mm, H - 105 * mm, f"Rechnung {inv.number}")
    c.setFont("Helvetica", 10)
    c.drawString(25 * mm, H - 114 * mm, "Sehr geehrte Damen und Herren,")
    c.drawString(25 * mm, H - 120 * mm, "wir berechnen Ihnen für unsere Lieferungen und Leistungen wie folgt:")
    head = ["Pos.", "Bezeichnung", "Menge", "Einzelpreis €", "Gesamtpreis €"]
    rows = [[str(i + 1), ln.description, fmt_qty(ln.quantity), eur_de(ln.unit_price), eur_de(ln.amount)]
            for i, ln in enumerate(inv.lines)]
    style = [("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black), ("LINEBELOW", (0, -1), (-1, -1), 0.4, colors.grey),
             ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8.5), ("FONT", (0, 1), (-1, -1), "Helvetica", 8.5),
             ("ALIGN", (2, 0), (-1, -1), "RIGHT")]
    y = _table_at(c, [head] + rows, [11 * mm, 92 * mm, 14 * mm, 24 * mm, 24 * mm], style, 25 * mm, H - 126 * mm)
    tax_label = (f"zzgl. MwSt. {inv.tax_rate} %" if inv.tax_rate else "USt. 0 % (steuerfreie Ausfuhrlieferung)")
    tots = [["Nettobetrag", f"{eur_de(inv.subtotal)} €"], [tax_label, f"{eur_de(inv.tax)} €"],
            ["Rechnungsbetrag", f"{eur_de(inv.total)} €"]]
    tstyle = [("ALIGN", (1, 0), (1, -1), "RIGHT"), ("FONT", (0, 0), (-1, -1), "Helvetica", 9),
              ("FONT", (0, 2), (-1, 2), "Helvetica-Bold", 10), ("LINEABOVE", (0, 2), (-1, 2), 0.8, colors.black)]
    y = _table_at(c, tots, [62 * mm, 28 * mm], tstyle, W - 20 * mm - 90 * mm, y - 6)
    notes = [f"Zahlbar bis {d_dots(inv.due_date)} ohne Abzug."]
    if not inv.tax_rate:
        notes.append("Steuerfreie Ausfuhrlieferung gem. § 4 Nr. 1a i.V.m. § 6 UStG (Lieferung nach Großbritannien).")
    notes.append("Mit freundlichen Grüßen, Ihr Rheinhydro-Team")
    _lines(c, 25 * mm, y - 20, notes, size=9, leading=12)
    c.setFont("Helvetica", 6.8)
    c.line(20 * mm, 27 * mm, W - 20 * mm, 27 * mm)
    cols = [[s.name, *s.address_lines[:2], f"Tel. {s.phone}"],
            [f"Geschäftsführerin: {s.extra['md']}", f"Sitz: Köln, {s.extra['court']} {s.extra['hrb']}",
             f"USt-IdNr.: {s.tax_id_printed}"],
            ["Commerzbank AG", f"IBAN: {iban_spaced(s.iban)}", f"BIC: {s.bic}"]]
    for i, col in enumerate(cols):
        _lines(c, (20 + i * 60) * mm, 23 * mm, col, size=6.8, leading=8.5)
    c.showPage()
    c.save()


# --------------------------------------------------------------------------- d: Cotswold receipt (A5)
def layout_d(inv: Invoice, path: Path) -> None:
    s = inv.supplier
    w, h = A5
    c = _canvas(path, inv, pagesize=A5)
    ln = inv.lines[0]
    c.setFont("Courier-Bold", 13)
    c.drawCentredString(w / 2, h - 18 * mm, s.name)
    c.setFont("Courier", 8.5)
    c.drawCentredString(w / 2, h - 23 * mm, ", ".join(s.address_lines))
    c.drawCentredString(w / 2, h - 27 * mm, f"VAT reg {s.tax_id_printed}")
    c.setDash(2, 2)
    c.line(12 * mm, h - 31 * mm, w - 12 * mm, h - 31 * mm)
    c.setDash()
    c.setFont("Courier-Bold", 11)
    c.drawCentredString(w / 2, h - 38 * mm, "RECEIPT / TAX INVOICE")
    rows = [("Ref", inv.number), ("Date", inv.issue_date.isoformat()), ("Customer", inv.customer_name),
            ("Account", inv.customer_account), ("", ""), ("Service", ln.description), ("", ""),
            ("Net", gbp(inv.subtotal)), (f"VAT ({inv.tax_rate}%)", gbp(inv.tax)), ("", ""),
            ("Amount due", gbp(inv.total)), ("Due by", inv.due_date.isoformat())]
    y = h - 48 * mm
    for label, value in rows:
        c.setFont("Courier-Bold" if label == "Amount due" else "Courier", 9.5)
        c.drawString(14 * mm, y, label)
        c.drawString(42 * mm, y, value)
        y -= 13
    c.setDash(2, 2)
    c.line(12 * mm, y, w - 12 * mm, y)
    c.setDash()
    _lines(c, 14 * mm, y - 14, ["Pay by bank transfer to HSBC UK", f"IBAN {s.iban}  BIC {s.bic}",
                                f"Reference: {inv.number}", "", "UKAS accredited testing laboratory",
                                "Thank you for your business."], font="Courier", size=8, leading=10.5)
    c.showPage()
    c.save()


# --------------------------------------------------------------------------- e: Brunel (multi-page capable)
class _NumberedCanvas(canvas.Canvas):
    """'Page x of y' footer: defer page output until the page count is known."""

    def __init__(self, *a, **kw):
        kw["invariant"] = 1
        super().__init__(*a, **kw)
        self._saved = []

    def showPage(self):
        self._saved.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        n = len(self._saved)
        for state in self._saved:
            self.__dict__.update(state)
            self.setFont("Helvetica", 7.5)
            self.drawRightString(W - 18 * mm, 12 * mm, f"Page {self._pageNumber} of {n}")
            super().showPage()
        super().save()


def layout_e(inv: Invoice, path: Path) -> None:
    s = inv.supplier
    small = ParagraphStyle("s", fontName="Helvetica", fontSize=8.5, leading=11)
    right = ParagraphStyle("r", parent=small, alignment=TA_RIGHT)
    story = []
    head = Table([[Paragraph(f"<font size=15><b>{s.name}</b></font><br/>{'<br/>'.join(s.address_lines)}"
                             f"<br/>{s.phone} · {s.email}", small),
                   Paragraph("<font size=16><b>TAX INVOICE</b></font><br/><br/>"
                             f"Invoice Ref: <b>{inv.number}</b><br/>Date of issue: {d_dmy_abbr(inv.issue_date)}<br/>"
                             f"Tax point: {d_dmy_abbr(inv.issue_date)}<br/>"
                             f"Payment due: {d_dmy_abbr(inv.due_date)} (30 days)", right)]],
                 colWidths=[100 * mm, 74 * mm])
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [head, Spacer(1, 8 * mm)]
    story.append(Table([[Paragraph("<b>Client</b><br/>" + "<br/>".join([inv.customer_name] + inv.customer_address),
                                   small),
                         Paragraph(f"<b>Client account</b><br/>{inv.customer_account}<br/><br/>"
                                   f"<b>Contract</b><br/>{inv.po_number}", small)]],
                       colWidths=[100 * mm, 74 * mm], style=[("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story.append(Spacer(1, 6 * mm))
    rows = [["Job ref", "Description of works", "Qty", "Rate £", "Value £"]]
    rows += [[ln.code, ln.description, fmt_qty(ln.quantity), fmt_num(ln.unit_price), fmt_num(ln.amount)]
             for ln in inv.lines]
    t = Table(rows, colWidths=[20 * mm, 100 * mm, 12 * mm, 21 * mm, 21 * mm], repeatRows=1)
    t.setStyle(TableStyle([("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8), ("FONT", (0, 1), (-1, -1), "Helvetica", 8),
                           ("LINEBELOW", (0, 0), (-1, 0), 1, colors.HexColor("#7a1f1f")),
                           ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#bbbbbb")),
                           ("ALIGN", (2, 0), (-1, -1), "RIGHT")]))
    story += [t, Spacer(1, 5 * mm)]
    tots = Table([["Total net value", fmt_num(inv.subtotal)], [f"VAT at {inv.tax_rate}%", fmt_num(inv.tax)],
                  ["Invoice total £", fmt_num(inv.total)]], colWidths=[40 * mm, 25 * mm], hAlign="RIGHT")
    tots.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "Helvetica", 9), ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                              ("FONT", (0, 2), (-1, 2), "Helvetica-Bold", 10),
                              ("LINEABOVE", (0, 2), (-1, 2), 1, colors.black)]))
    story += [tots, Spacer(1, 8 * mm),
              Paragraph(f"Payment by BACS to Brunel Civil Engineering Ltd, IBAN {iban_spaced(s.iban)}, BIC {s.bic}. "
                        f"VAT registration {s.tax_id_printed}. Company registered in England No. "
                        f"{s.extra['company_no']}. Please quote the invoice reference on all remittances.", small)]

    def footer(cv, doc):
        cv.saveState()
        cv.setFont("Helvetica", 7.5)
        cv.drawString(18 * mm, 12 * mm, f"{s.name} · Invoice {inv.number}")
        cv.restoreState()

    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=20 * mm, invariant=1, author=s.name, title=f"Invoice {inv.number}",
                            creator="Severn Vale Water sample generator")
    doc.build(story, onFirstPage=footer, onLaterPages=footer, canvasmaker=_NumberedCanvas)


# --------------------------------------------------------------------------- f: Pinnacle
def layout_f(inv: Invoice, path: Path) -> None:
    s = inv.supplier
    c = _canvas(path, inv)
    c.setFillColor(colors.HexColor("#3b2a6b"))
    c.rect(0, H - 38 * mm, W, 38 * mm, stroke=0, fill=1)
    c.setFillColor(colors.white)
    c.setFont("Helvetica-Bold", 19)
    c.drawString(18 * mm, H - 18 * mm, "pinnacle")
    c.setFont("Helvetica", 9)
    c.drawString(18 * mm, H - 24 * mm, "TELEMETRY SOLUTIONS")
    _lines(c, W - 18 * mm, H - 14 * mm, [s.name] + s.address_lines + [s.email], size=8, leading=10, right=True)
    c.setFillColor(colors.black)
    c.setFont("Helvetica-Bold", 11)
    c.drawString(18 * mm, H - 50 * mm, "Bill To")
    _lines(c, 18 * mm, H - 56 * mm, [inv.customer_name, "Attn: Telemetry & Control"] + inv.customer_address, size=9.5)
    meta = [("Inv #", inv.number), ("Inv date", d_us(inv.issue_date)), ("Due", d_us(inv.due_date)),
            ("Customer ID", inv.customer_account), ("Terms", "Net 30")]
    yy = H - 50 * mm
    for label, value in meta:
        c.setFont("Helvetica-Bold", 9)
        c.drawString(120 * mm, yy, label)
        c.setFont("Helvetica", 9)
        c.drawRightString(W - 18 * mm, yy, value)
        yy -= 13
    rows = [["Description", "Quantity", "Rate", "Amount"]]
    rows += [[ln.description, fmt_qty(ln.quantity), f"GBP {fmt_num(ln.unit_price)}", f"GBP {fmt_num(ln.amount)}"]
             for ln in inv.lines]
    style = [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#3b2a6b")),
             ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
             ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#eeeaf6")]),
             ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9), ("FONT", (0, 1), (-1, -1), "Helvetica", 9),
             ("ALIGN", (1, 0), (-1, -1), "RIGHT"), ("TOPPADDING", (0, 0), (-1, -1), 5),
             ("BOTTOMPADDING", (0, 0), (-1, -1), 5)]
    y = _table_at(c, rows, [86 * mm, 22 * mm, 32 * mm, 34 * mm], style, 18 * mm, H - 95 * mm)
    y -= 10
    for label, value, big in [("Sub-total", fmt_num(inv.subtotal), False),
                              (f"VAT ({inv.tax_rate}%)", fmt_num(inv.tax), False),
                              ("Amount Due (GBP)", fmt_num(inv.total), True)]:
        c.setFont("Helvetica-Bold" if big else "Helvetica", 11 if big else 9.5)
        c.drawString(125 * mm, y - 4, label)
        c.drawRightString(W - 18 * mm, y - 4, value)
        y -= 15
    _lines(c, 18 * mm, 40 * mm, ["How to pay", f"Bank transfer - IBAN: {s.iban}  |  BIC: {s.bic}",
                                 f"Please reference Inv # {inv.number}.", "",
                                 f"VAT Registration: {s.tax_id_printed}"], size=8.5, leading=11)
    c.showPage()
    c.save()


# --------------------------------------------------------------------------- u: Severn Vale Water bill
def layout_u(inv: Invoice, path: Path) -> None:
    s = inv.supplier
    c = _canvas(path, inv)
    blue = colors.HexColor("#00698f")
    c.setFillColor(blue)
    c.setFont("Helvetica-Bold", 18)
    c.drawString(18 * mm, H - 22 * mm, "Severn Vale Water")
    c.setFont("Helvetica", 8.5)
    c.setFillColor(colors.black)
    _lines(c, 18 * mm, H - 28 * mm, [s.name + ", " + ", ".join(s.address_lines), f"Customer services {s.phone}"
                                     f"  ·  Emergencies 24h {UTILITY['emergency_phone']}  ·  {s.email}"], size=8, leading=10)
    c.setFont("Helvetica-Bold", 14)
    c.drawString(18 * mm, H - 48 * mm, "Your business water bill")
    _lines(c, 18 * mm, H - 58 * mm, [inv.customer_name] + inv.customer_address, size=10, leading=12.5)
    c.setStrokeColor(blue)
    c.roundRect(115 * mm, H - 84 * mm, 77 * mm, 40 * mm, 3 * mm)
    meta = [("Bill number", inv.number), ("Bill date", d_long(inv.issue_date)), ("Account number", inv.customer_account),
            ("Billing period", f"{d_slash(inv.period[0])} - {d_slash(inv.period[1])}"),
            ("Please pay by", d_long(inv.due_date))]
    yy = H - 51 * mm
    for label, value in meta:
        c.setFont("Helvetica", 8.5)
        c.drawString(119 * mm, yy, label)
        c.setFont("Helvetica-Bold", 8.5)
        c.drawRightString(188 * mm, yy, value)
        yy -= 13.5
    rows = [["Charge", "Quantity", "Rate (£)", "Amount (£)"]]
    for ln in inv.lines:
        q = f"{fmt_qty(ln.quantity)} {'days' if ln.unit == 'days' else 'm³'}"
        rows.append([ln.description, q, fmt_num(ln.unit_price), fmt_num(ln.amount)])
    rows += [["", "", "Charges before VAT", fmt_num(inv.subtotal)], ["", "", "VAT (zero-rated)", fmt_num(inv.tax)],
             ["", "", "Total amount due", fmt_num(inv.total)]]
    n = len(inv.lines)
    style = [("FONT", (0, 0), (-1, -1), "Helvetica", 9), ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
             ("FONT", (2, -1), (-1, -1), "Helvetica-Bold", 10), ("LINEBELOW", (0, 0), (-1, 0), 1, blue),
             ("LINEABOVE", (2, n + 1), (-1, n + 1), 0.5, colors.grey), ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
             ("LINEABOVE", (2, -1), (-1, -1), 1, blue)]
    y = _table_at(c, rows, [82 * mm, 28 * mm, 34 * mm, 30 * mm], style, 18 * mm, H - 96 * mm)
    _lines(c, 18 * mm, y - 18, [
        "How to pay: Direct Debit, or bank transfer quoting your account number.",
        f"Bank: NatWest  Sort code {UTILITY['sort_code']}  Account {UTILITY['bank_account']}  "
        f"IBAN {iban_spaced(s.iban)}  BIC {s.bic}",
        "Supplies of water and wastewater services to your premises are zero-rated for VAT.",
        f"VAT registration number {s.tax_id_printed}.",
        "Questions about this bill? Reply to this email or call us - please quote your account number."], size=8.5)
    c.showPage()
    c.save()


LAYOUTS = {"a": layout_a, "b": layout_b, "c": layout_c, "d": layout_d, "e": layout_e, "f": layout_f, "u": layout_u}


def render(inv: Invoice, path: Path) -> None:
    LAYOUTS[inv.layout](inv, path)


def render_bytes(inv: Invoice, tmpdir: Path) -> bytes:
    p = tmpdir / inv.filename
    render(inv, p)
    data = p.read_bytes()
    p.unlink()
    return data
