"""The issuer named as the payee of the bank details ("Account holder", "Titulaire du compte",
"Kontoinhaber" ...: issuer_name aliases in schemas/invoice.yaml) when the top of the page is the
recipient's address block, as French and German letters put it; without bank details beside it the
account holder is the customer (a utility's bill)."""

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


def _letter(holder_label: str) -> object:
    def draw(c: canvas.Canvas) -> None:
        c.setFont("Helvetica-Bold", 12)
        c.drawString(50, H - 60, "BRISELAME")  # the recipient, first on the page
        c.setFont("Helvetica", 10)
        c.drawString(50, H - 74, "Martine Orsal")
        c.drawString(50, H - 88, "4 allée des Cerisiers")
        c.drawString(50, H - 102, "38000 Grenoble")
        c.drawString(50, H - 140, "Facture n° 7730418")
        c.drawString(50, H - 154, "Date : 12/09/2024")
        c.drawString(300, H - 220, "Total TTC :")
        c.drawRightString(530, H - 220, "84,00 €")
        c.setFont("Helvetica", 8)
        c.drawString(50, 90, f"Virement : Banque Exemple – {holder_label} : ORVANDE EDITIONS IBAN : FR76 3000 6000 0112 3456 7890 189")
    return draw


@pytest.mark.parametrize("label", ["Titulaire du compte", "Account holder", "Kontoinhaber"])
def test_the_account_holder_is_the_issuer(invoice_schema: Schema, label: str) -> None:
    doc = parse_ok(make_pdf(_letter(label)), "payee.pdf")
    assert extract_generic(doc, invoice_schema).values().get("issuer_name") == "ORVANDE EDITIONS"


def _utility_bill(c: canvas.Canvas) -> None:
    """A utility's bill: its letterhead, the customer as the 'Account holder' beside the account
    number, no bank details anywhere."""
    c.setFont("Helvetica-Bold", 15)
    c.drawString(50, H - 50, "Marlow Water Services Ltd")
    c.setFont("Helvetica", 8)
    c.drawString(50, H - 66, "PO Box 12, Marlow SL7 1AA")
    c.setFont("Helvetica", 10)
    for i, (a, b, k, v) in enumerate([("Account holder:", "Mrs J Adeyemi", "Account number:", "40917731"),
                                      ("", "", "Bill date:", "09 March 2025"), ("", "", "Bill number:", "MW-7730418")]):
        c.drawString(50, H - 120 - 13 * i, a)
        c.drawString(150, H - 120 - 13 * i, b)
        c.drawString(350, H - 120 - 13 * i, k)
        c.drawString(460, H - 120 - 13 * i, v)
    for i, (a, b) in enumerate([("Charges this period", "£168.75"), ("VAT at 5%", "£8.44"), ("Total amount due", "£177.19")]):
        c.drawString(50, H - 220 - 14 * i, a)
        c.drawRightString(540, H - 220 - 14 * i, b)


def test_an_account_holder_without_bank_details_is_not_the_issuer(invoice_schema: Schema) -> None:
    got = extract_generic(parse_ok(make_pdf(_utility_bill), "bill.pdf"), invoice_schema).values()
    assert got["issuer_name"] == "Marlow Water Services Ltd"
