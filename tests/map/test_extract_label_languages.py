"""Labels of the languages a European company receives, on crafted invoices (reportlab; invented
parties and numbers): the key beside its value on the same line, the totals box at the bottom.

* "Facture numéro", "N. documento", "Documentnummer" name the invoice's number.
* "Fälligkeit", "À payer avant le", "Te betalen voor", "Fecha vencimiento", "Data di scadenza"
  name the due date (not the total's "À payer" / "Te betalen": the longer key wins).
* "Total hors TVA", "Bedrag excl. btw", "Importe neto", "Amount before tax" name the net amount;
  "Rechnungssumme", "Total TVAC", "Importo totale" the total.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

from pipelines.map.extract import extract_generic
from pipelines.map.extract.engine import extract_explained
from pipelines.model.schema import Schema, load_schema
from pipelines.parse.dispatch import parse_bytes

from .pdf_fixtures import H, make_pdf, parse_ok

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"

# language -> issuer, (number key, due key), (net key, tax key, total key)
INVOICES = {
    "de": ("Feldmann Werkzeuge GmbH", ("Rechnung-Nr.", "Fälligkeit"), ("Nettobetrag", "MwSt. 19 %", "Rechnungssumme")),
    "fr": ("Ateliers Rouvière SARL", ("Facture numéro", "À payer avant le"), ("Total hors TVA", "TVA 20 %", "Total TVAC")),
    "nl": ("Brouwer Techniek B.V.", ("Documentnummer", "Te betalen voor"), ("Bedrag excl. btw", "BTW 21%", "Te betalen")),
    "es": ("Montajes Ibarra S.L.", ("Nº de documento", "Fecha vencimiento"), ("Importe neto", "IVA 21%", "Total factura")),
    "it": ("Carpenteria Sala S.r.l.", ("N. documento", "Data di scadenza"), ("Imponibile", "IVA 22%", "Importo totale")),
    "en": ("Tallis Joinery Ltd", ("Invoice no.", "Due date"), ("Amount before tax", "VAT 20%", "Total")),
}


def _invoice(issuer: str, keys: tuple[str, str], totals: tuple[str, str, str]):
    def draw(c: canvas.Canvas) -> None:
        top = H - 50
        c.setFont("Helvetica-Bold", 15)
        c.drawString(50, top, issuer)
        c.setFont("Helvetica", 9)
        c.drawString(50, top - 14, "12 Example Road")
        for i, (a, b) in enumerate([(keys[0], "DX-2025-0311"), ("Date", "14/03/2025"), (keys[1], "13/04/2025")]):
            c.drawString(330, top - 60 - 13 * i, a)
            c.drawString(470, top - 60 - 13 * i, b)
        for i, (a, b) in enumerate(zip(totals, ("1.037,45", "197,11", "1.234,56"))):
            c.drawString(330, top - 200 - 14 * i, a)
            c.drawRightString(540, top - 200 - 14 * i, b)
    return draw


@pytest.fixture(scope="module")
def invoice_schema() -> Schema:
    return load_schema(SCHEMAS / "invoice.yaml")


@pytest.mark.parametrize("lang", sorted(INVOICES))
def test_labels_of_six_languages(invoice_schema: Schema, lang: str) -> None:
    issuer, keys, totals = INVOICES[lang]
    got = extract_generic(parse_ok(make_pdf(_invoice(issuer, keys, totals)), "invoice.pdf"), invoice_schema).values()
    assert got["invoice_number"] == "DX-2025-0311"
    assert got["issue_date"] == date(2025, 3, 14)
    assert got["due_date"] == date(2025, 4, 13)
    assert got["subtotal_amount"] == Decimal("1037.45")
    assert got["tax_amount"] == Decimal("197.11")
    assert got["total_amount"] == Decimal("1234.56")


@pytest.mark.parametrize("tax_key", ["zzgl. 19 % USt.", "+ 19% MwSt.", "plus 19 % VAT"])
def test_a_rate_and_its_operator_before_the_tax_label(invoice_schema: Schema, tax_key: str) -> None:
    """"zzgl. 19 % USt.  106,40 €": the tax's key opens with the rate; its amount is the tax, read by
    its label (not only completed from the sum check)."""
    doc = parse_ok(make_pdf(_invoice("Feldmann Werkzeuge GmbH", ("Rechnung-Nr.", "Fällig am"),
                                     ("Nettobetrag", tax_key, "Gesamtbetrag"))), "rechnung.pdf")
    record, sources = extract_explained(doc, invoice_schema)
    assert record.values()["tax_amount"] == Decimal("197.11")
    assert sources["tax_amount"].startswith("label")


@pytest.mark.parametrize("number_key", ["Rechnungs-Nummer", "Rg.-Nr.", "RE-Nr.", "Réf. facture", "Nº Fra.", "Ref. No."])
def test_short_forms_of_the_number_key(invoice_schema: Schema, number_key: str) -> None:
    doc = parse_ok(make_pdf(_invoice("Feldmann Werkzeuge GmbH", (number_key, "Fällig am"),
                                     ("Nettobetrag", "MwSt. 19 %", "Gesamtbetrag"))), "rechnung.pdf")
    assert extract_generic(doc, invoice_schema).values().get("invoice_number") == "DX-2025-0311"


@pytest.mark.parametrize("date_key", ["Invoice dated", "Fecha de expedición", "Data di emissione"])
def test_issue_date_keys(invoice_schema: Schema, date_key: str) -> None:
    text = f"Tallis Joinery Ltd\n12 Example Road\nInvoice no: TJ-2291\n{date_key}: 14/03/2025\nTotal: 99.00\n"
    got = extract_generic(parse_bytes(text.encode(), name="invoice.txt"), invoice_schema).values()
    assert got.get("issue_date") == date(2025, 3, 14)


def test_the_vat_id_not_the_national_tax_number(invoice_schema: Schema) -> None:
    """A German footer prints both the VAT id and the national tax number ("Steuer-Nr."): the
    issuer's tax id is the VAT id, with no conflict between the two."""
    def draw(c: canvas.Canvas) -> None:
        _invoice("Feldmann Werkzeuge GmbH", ("Rechnung-Nr.", "Fällig am"), ("Nettobetrag", "MwSt. 19 %", "Gesamtbetrag"))(c)
        c.setFont("Helvetica", 7)
        c.drawString(50, 70, "Registergericht Ulm HRB 7123\tUSt-IdNr. DE 291 004 553")
        c.drawString(50, 60, "Steuer-Nr. 044 241 601 03")
    record = extract_generic(parse_ok(make_pdf(draw), "rechnung.pdf"), invoice_schema)
    assert record.values()["issuer_tax_id"] == "DE291004553"
    assert not any(i.field == "issuer_tax_id" and i.code == "conflict" for i in record.issues)


@pytest.mark.parametrize("total_key", ["Total EUR", "Gesamtbetrag EUR", "Totaal €"])
def test_a_currency_after_the_total_key(invoice_schema: Schema, total_key: str) -> None:
    """"Total EUR      34,73" alone on its line: the currency ends the key's column, the amount is the
    next one."""
    def draw(c: canvas.Canvas) -> None:
        c.setFont("Helvetica-Bold", 15)
        c.drawString(50, H - 50, "Feldmann Werkzeuge GmbH")
        c.setFont("Helvetica", 9)
        c.drawString(50, H - 64, "12 Example Road")
        c.drawString(330, H - 110, "Rechnung-Nr.: DX-2025-0311")
        c.drawString(330, H - 123, "Datum: 14/03/2025")
        c.drawString(50, H - 200, "Wartung Mai 2025")
        c.drawString(420, H - 300, total_key)
        c.drawRightString(560, H - 300, "34,73")
        c.drawString(50, H - 340, "Zahlungsform   Überweisung")
    record, sources = extract_explained(parse_ok(make_pdf(draw), "rechnung.pdf"), invoice_schema)
    assert record.values()["total_amount"] == Decimal("34.73")
    assert sources["total_amount"].startswith("label")


@pytest.mark.parametrize("net_key", ["Services excl. VAT", "Leistungen ohne MwSt.", "Prestations hors TVA"])
def test_an_amount_without_the_tax_is_no_tax(invoice_schema: Schema, net_key: str) -> None:
    text = (f"Tallis Joinery Ltd\n12 Example Road\nInvoice no: TJ-2291\nDate: 14/03/2025\n"
            f"{net_key}      100.00\nVAT 20%      20.00\nTotal      120.00\n").encode()
    got = extract_generic(parse_bytes(text, name="invoice.txt"), invoice_schema).values()
    assert got.get("tax_amount") == Decimal("20.00")


def test_a_price_column_headed_without_the_tax(invoice_schema: Schema) -> None:
    """A column header of two rows, "Ohne" over "MwSt." (the price without VAT): its amounts are no tax."""
    def draw(c: canvas.Canvas) -> None:
        c.setFont("Helvetica-Bold", 15)
        c.drawString(50, H - 50, "Feldmann Werkzeuge GmbH")
        c.setFont("Helvetica", 9)
        c.drawString(50, H - 64, "12 Example Road")
        c.drawString(330, H - 100, "Rechnungsnr.: DX-2025-0311")
        c.drawString(330, H - 113, "Datum: 14/03/2025")
        for x, top, bottom in [(50, "Pos.", ""), (100, "Beschreibung", ""), (380, "Preis", "Ohne"), (480, "Betrag", "Ohne")]:
            c.drawString(x, H - 180, top)
            c.drawString(x, H - 192, bottom)
        for x, t in [(380, "MwSt."), (480, "MwSt.")]:
            c.drawString(x, H - 204, t)
        for x, t in [(50, "1"), (100, "Wartung Mai 2025"), (380, "29,19"), (480, "29,19")]:
            c.drawString(x, H - 222, t)
        c.drawString(50, H - 350, "Zahlungsform   Überweisung")
    got = extract_generic(parse_ok(make_pdf(draw), "rechnung.pdf"), invoice_schema).values()
    assert got.get("tax_amount") != Decimal("29.19")
