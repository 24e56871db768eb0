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


def _debit_invoice(debit_lines: list[str]) -> object:
    """An invoice whose amount is collected by direct debit, the reader's account printed below."""
    def draw(c: canvas.Canvas) -> None:
        c.setFont("Helvetica-Bold", 18)
        c.drawString(50, H - 50, "Thornbury Media Ltd")
        c.setFont("Helvetica", 10)
        c.drawString(50, H - 68, "7 Wharf Road, Leeds LS3 1AA")
        c.drawString(50, H - 130, "Ashby Print Co Ltd")
        c.drawString(50, H - 143, "12 Chapel Street, Hull HU1 3QP")
        c.drawString(380, H - 130, "Invoice No: TM-4410")
        c.drawString(380, H - 143, "Invoice Date: 03/05/2026")
        for y, label, amount in [(220, "Subtotal", "500.00"), (233, "VAT 20%", "100.00"), (246, "Total", "600.00")]:
            c.drawString(50, H - y, label)
            c.drawRightString(530, H - y, amount)
        for i, line in enumerate(debit_lines):
            c.drawString(50, H - 290 - 13 * i, line)
    return draw


CUSTOMERS_IBAN = "GB33 BUKB 2020 1555 5555 55"


@pytest.mark.parametrize("lines", [
    ["This amount will be collected by Direct Debit from your account:", f"IBAN: {CUSTOMERS_IBAN}"],
    ["Der Betrag wird per Lastschrift von Ihrem Konto eingezogen.", f"IBAN: {CUSTOMERS_IBAN}"],
    ["Montant prélevé sur votre compte", CUSTOMERS_IBAN],
    [f"Your IBAN: {CUSTOMERS_IBAN}"],
])
def test_the_account_a_direct_debit_takes_from_is_not_the_issuers(invoice_schema: Schema, lines: list[str]) -> None:
    # the IBAN after 'your account' / 'Ihrem Konto' is the customer's, never the account to pay into
    doc = parse_ok(make_pdf(_debit_invoice(lines)), "debit.pdf")
    rec = extract_generic(doc, invoice_schema)
    iban = rec.fields.get("iban")
    assert iban is None or iban.confidence < invoice_schema.min_confidence, iban


def test_the_issuers_bank_details_still_give_its_iban(invoice_schema: Schema) -> None:
    # quoting the reader's account number does not make the issuer's bank account the reader's
    doc = parse_ok(make_pdf(_debit_invoice(["Please pay by bank transfer quoting your account number.",
                                            f"IBAN: {CUSTOMERS_IBAN}"])), "transfer.pdf")
    rec = extract_generic(doc, invoice_schema)
    assert rec.fields["iban"].value == CUSTOMERS_IBAN.replace(" ", "")
    assert rec.fields["iban"].confidence >= invoice_schema.min_confidence
