"""Roles of labelled values on crafted invoices (reportlab; invented parties and numbers).

* A key longer than the alias names something else: "N° de facture associée :" (a related
  invoice) and "Date de facture associée :" lose to the plain "Facture N° :" and "Date :".
* A key naming a number is not a name: "Customer code: K2210" is not the customer.
* "Your VAT No" / "Votre N° TVA" is the customer's tax id, not the issuer's; so are the ids in a
  block headed to the reader ("Vos coordonnées") or in a tax representative's block.
* "1 500,00 €" is one amount; "To pay EUR  539.38" is the total, and no one's name.
* "Invoice to:" in the last row of a table names the customer on the line after the table.
* A credit note's own number ("Gutschrift-Nr."), not the invoice it refers to ("zu Rechnung:");
  an order's date ("Date de commande") is not the issue date.
* "Please remit payment by April 2, 2025." proposes the due date, unsure (running text).
* A currency is not read from one amount with a one-letter sign ("R250" in OCR text).
* A "VAT No:" inside the "Bill To" block is the customer's tax id.
* A payment receipt with only a booking id: that is its number; a row of column headers or of
  labels near the top is no issuer name.
* "Bank: ..., Sort code ..., Account 12785544" is the bank account, not the customer's.
* An issuer name read by a finder the calibration never measured does not land by itself.
* A heading naming a name ("Seller trade name") is no name; "N° de client", "Nr. klant" key a number.
(Letterheads and address windows: test_extract_letterheads.py.)
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

from pipelines.map.extract import extract_generic
from pipelines.model.schema import Schema, load_schema
from pipelines.parse.dispatch import parse_bytes
from pipelines.run.mapper import Mapper
from pipelines.run.outcome import LANDED

from .pdf_fixtures import H, make_pdf, parse_ok
from .test_extract_letterheads import _keyed

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


@pytest.fixture(scope="module")
def invoice_schema() -> Schema:
    return load_schema(SCHEMAS / "invoice.yaml")


def _french(c: canvas.Canvas) -> None:
    top = H - 60
    c.setFont("Helvetica-Bold", 16)
    c.drawString(50, top, "Atelier Brenneval SARL")
    c.setFont("Helvetica", 9)
    c.drawString(50, top - 16, "8 rue des Lilas, 44000 Nantes")
    c.drawString(50, top - 30, "N° TVA intra : FR 40 512 318 406")
    c.drawString(340, top, "FACTURE N° : FB-2025-118")
    c.drawString(340, top - 14, "Date : 14/05/2025")
    c.drawString(340, top - 40, "CLIENT :")
    c.drawString(340, top - 54, "Maison Quertier")
    c.drawString(340, top - 68, "3 place du Marché, 35000 Rennes")
    c.drawString(50, top - 100, "Représentant fiscal")
    c.drawString(50, top - 114, "Agence Fiscale Corlay")
    c.drawString(50, top - 128, "N° TVA intra : FR 77 830 114 552")
    c.drawString(340, top - 100, "Vos coordonnées")
    c.drawString(340, top - 114, "SIRET : 83011455200021")
    c.drawString(340, top - 128, "N° TVA : FR 55 790 221 004")
    c.drawString(50, top - 170, "N° de facture associée : FB-2025-090")
    c.drawString(50, top - 184, "Date de facture associée : 02/04/2025")
    c.drawString(50, top - 230, "Désignation")
    c.drawString(470, top - 230, "Montant")
    c.drawString(50, top - 246, "Réglage machine")
    c.drawRightString(530, top - 246, "1 250,00")
    for i, (label, amount) in enumerate([("Total HT", "1 250,00 €"), ("TVA 20 %", "250,00 €"), ("Total TTC", "1 500,00 €")]):
        c.drawString(380, top - 280 - 14 * i, label)
        c.drawRightString(530, top - 280 - 14 * i, amount)


def _english(c: canvas.Canvas) -> None:
    top = H - 60
    c.setFont("Helvetica-Bold", 16)
    c.drawString(50, top, "Pennick Marine Supplies Ltd")
    c.setFont("Helvetica", 9)
    c.drawString(50, top - 16, "Quay Street, Falmouth TR11 3HH")
    c.drawString(340, top, "Invoice No: PM-40211")
    c.drawString(340, top - 14, "Invoice Date: 3 March 2025")
    c.drawString(50, top - 50, "Customer code: K2210")
    c.drawString(50, top - 64, "Your VAT No: GB 310 4417 82")
    c.drawString(50, top - 100, "Rope, 12 mm")
    c.drawRightString(530, top - 100, "80.00")
    for i, (label, amount) in enumerate([("Subtotal", "80.00"), ("VAT", "16.00"), ("Total", "96.00")]):
        c.drawString(380, top - 130 - 14 * i, label)
        c.drawRightString(530, top - 130 - 14 * i, amount)
    c.drawString(50, top - 200, "VAT No: GB 554 2310 07")
    c.drawString(50, top - 220, "Please remit payment by April 2, 2025. Thank you for your order.")


def test_related_invoice_keys_and_other_parties_ids(invoice_schema: Schema) -> None:
    doc = parse_ok(make_pdf(_french), "facture.pdf")
    got = extract_generic(doc, invoice_schema).values()
    assert got["invoice_number"] == "FB-2025-118"
    assert got["issue_date"] == date(2025, 5, 14)
    assert got["issuer_tax_id"] == "FR40512318406"
    # "1 500,00 €": thousands grouped by a space
    assert (got["subtotal_amount"], got["tax_amount"], got["total_amount"]) == (Decimal("1250.00"), Decimal("250.00"), Decimal("1500.00"))


def test_customer_code_and_your_vat_number(invoice_schema: Schema) -> None:
    doc = parse_ok(make_pdf(_english), "invoice.pdf")
    got = extract_generic(doc, invoice_schema).values()
    assert got.get("customer_name") != "K2210"
    assert got["customer_tax_id"] == "GB310441782"
    assert got["issuer_tax_id"] == "GB554231007"


def test_due_date_inside_a_sentence_is_proposed_unsure(invoice_schema: Schema) -> None:
    record = extract_generic(parse_ok(make_pdf(_english), "invoice.pdf"), invoice_schema)
    assert record.fields["due_date"].value == date(2025, 4, 2)
    # read from running text: a person confirms it (the calibrated probability of so low a score)
    assert record.fields["due_date"].confidence < invoice_schema.min_confidence


def _header_table(c: canvas.Canvas) -> None:
    top = H - 60
    rows = [("Corvell Tooling Ltd", "TAX INVOICE", ""), ("VAT Reg: GB 442 1870 35", "Invoice No.", "CT-30917"),
            ("", "Date", "11/02/2026"), ("Invoice to:", "", "")]
    for i, (a, b, c2) in enumerate(rows):
        c.setFont("Helvetica-Bold" if i == 0 else "Helvetica", 12 if i == 0 else 9)
        c.drawString(50, top - 16 * i, a)
        c.drawString(330, top - 16 * i, b)
        c.drawString(450, top - 16 * i, c2)
    c.drawString(50, top - 80, "Drayfield Parish Council")
    y = top - 120
    for a, b, c2 in [("Description", "Qty", "Net"), ("Bench grinder service", "2", "90.00"), ("Spindle bearing", "4", "60.00")]:
        c.drawString(50, y, a)
        c.drawString(330, y, b)
        c.drawString(450, y, c2)
        y -= 14
    for label, amount in [("Goods total", "150.00"), ("VAT 20%", "30.00"), ("To pay GBP", "180.00")]:
        y -= 14
        c.drawString(330, y, label)
        c.drawRightString(520, y, amount)


def test_customer_after_header_table_and_to_pay_total(invoice_schema: Schema) -> None:
    doc = parse_ok(make_pdf(_header_table), "invoice.pdf")
    got = extract_generic(doc, invoice_schema).values()
    assert got["customer_name"] == "Drayfield Parish Council"
    assert got["total_amount"] == Decimal("180.00")


@pytest.mark.parametrize("body, currency", [
    ("Includes a member saving of R250,\nTotal 812.40\n", None),  # one lone letter: maybe OCR noise
    ("Labour R 650.00\nParts R 162.40\nTotal R 812.40\n", "ZAR"),
])
def test_currency_from_a_one_letter_sign_needs_more_than_one_amount(invoice_schema: Schema, body: str,
                                                                   currency: str | None) -> None:
    doc = parse_bytes(("TAX INVOICE\nInvoice No: 5531\n" + body).encode(), name="invoice.txt")
    assert extract_generic(doc, invoice_schema).values().get("currency") == currency


def test_credit_note_number_and_dates_of_other_documents(invoice_schema: Schema) -> None:
    credit = _keyed(["Ostwind Solar GmbH", "Deichweg 3", "26122 Oldenburg"],
                    [("GUTSCHRIFT", ""), ("Gutschrift-Nr.:", "GS-2025-014"), ("Datum:", "04.08.2025"),
                     ("zu Rechnung:", "RE-2025-388")],
                    ["Rechnungsempfänger:", "Hofladen Brinkmann", "Dorfstr. 8", "26160 Bad Zwischenahn"],
                    [("Nettobetrag", "-100,00 €"), ("MwSt. 19 %", "-19,00 €"), ("Gesamtbetrag", "-119,00 €")])
    got = extract_generic(parse_ok(make_pdf(credit), "gutschrift.pdf"), invoice_schema).values()
    assert got["invoice_number"] == "GS-2025-014"  # not the invoice it refers to ("zu Rechnung:")
    assert got["issue_date"] == date(2025, 8, 4)
    ordered = _keyed(["Imprimerie Castel", "7 boulevard Carnot", "31000 Toulouse"],
                     [("Facture N°", "IC/25/0877"), ("du", "12/09/2025"), ("Bon de commande", "BC-5512"),
                      ("Date de commande", "01/09/2025")],
                     ["Destinataire", "Mairie de Colomiers", "1 place Alex Raymond", "31770 Colomiers"],
                     [("Montant HT", "2 340,00 €"), ("TVA 5,5 %", "128,70 €"), ("Montant TTC", "2 468,70 €")])
    got = extract_generic(parse_ok(make_pdf(ordered), "facture.pdf"), invoice_schema).values()
    assert got["issue_date"] == date(2025, 9, 12)  # "Date de commande" is the order's date
    assert got["total_amount"] == Decimal("2468.70")


def test_issuer_name_of_an_unmeasured_finder_does_not_land_alone(tmp_path: Path) -> None:
    """Every value sure, but the issuer's name comes from a label reading the calibration never
    measured: its score is no probability, so the record waits for a person instead of landing."""
    def draw(c: canvas.Canvas) -> None:
        top = H - 60
        c.setFont("Helvetica", 10)
        for i, line in enumerate(["INVOICE", "Supplier: Harbour Tool Hire", "Invoice Number: HT-20931",
                                  "Invoice Date: 2025-03-14"]):
            c.drawString(50, top - 14 * i, line)
        for i, (a, b) in enumerate([("Subtotal", "100.00"), ("VAT", "20.00"), ("Total", "120.00")]):
            c.drawString(300, top - 100 - 14 * i, a)
            c.drawRightString(500, top - 100 - 14 * i, b)
    mapper = Mapper.from_dirs(SCHEMAS, tmp_path)  # no rules: everything generic
    (outcome,) = list(mapper.outcomes(parse_ok(make_pdf(draw), "invoice.pdf")))
    (record,) = outcome.records
    assert record.values()["issuer_name"] == "Harbour Tool Hire"
    assert outcome.outcome != LANDED
    assert any(i.code == "low_confidence" and i.field == "issuer_name" for i in record.issues)


def test_vat_number_in_the_bill_to_block_is_the_customers(invoice_schema: Schema) -> None:
    from .test_extract_joint import _draw  # "Bill To: / Harrow Field Supplies Ltd / VAT No: GB 987 6543 21"
    got = extract_generic(parse_ok(make_pdf(_draw), "invoice.pdf"), invoice_schema).values()
    assert got["issuer_tax_id"] == "GB123456789"
    assert got["customer_tax_id"] == "GB987654321"


def _stay_receipt(c: canvas.Canvas) -> None:
    """A car hire's payment receipt: no invoice number but a booking id; a row of column headers
    and a row of two labels near the top; the operator's legal name only in the footer."""
    top = H - 50
    c.setFont("Helvetica-Bold", 14)
    c.drawString(50, top, "RENTAL RECEIPT")
    c.setFont("Helvetica", 9)
    c.drawString(50, top - 20, "Hirer: Ruth Okafor")
    c.drawString(360, top - 20, "Date: 02/02/2025")
    for x, t in zip((50, 250, 340, 430), ("Vehicle", "Pick-up", "Return", "Hire")):
        c.drawString(x, top - 40, t)
    for x, t in zip((50, 250, 340, 430), ("Compact hatchback,", "01/02/2025", "02/02/2025", "1 day")):
        c.drawString(x, top - 54, t)
    c.drawString(150, top - 80, "Booking ID")
    c.drawString(300, top - 80, "Paid By")
    c.drawString(150, top - 94, "KQ7781")
    c.drawString(300, top - 94, "Debit card")
    c.drawString(50, top - 130, "Grand Total")
    c.drawRightString(540, top - 130, "£ 96.00")
    c.drawString(50, top - 200, "Vehicles are supplied by")
    c.drawString(50, top - 214, "Moorgate Vehicle Hire Ltd")
    c.drawString(50, top - 228, "desk@hireonline.co.uk")


def test_booking_id_and_no_header_row_for_a_name(invoice_schema: Schema) -> None:
    got = extract_generic(parse_ok(make_pdf(_stay_receipt), "receipt.pdf"), invoice_schema).values()
    assert got["invoice_number"] == "KQ7781"  # the booking's id is the only reference printed
    # not a column header ("Hire" reads like the domain's name), nor "Booking ID Paid By"
    assert got["issuer_name"] == "Moorgate Vehicle Hire Ltd"


@pytest.mark.parametrize("with_account", [True, False])
def test_bank_account_is_not_the_customer_account(invoice_schema: Schema, with_account: bool) -> None:
    keys = [("Invoice no.", "MRJ/25/311"), ("Tax point", "14 Feb 2025")] + ([("Account", "WEST07")] if with_account else [])
    body = _keyed(["Marston & Reid Joinery", "Unit 2, Fenn Yard", "Norwich NR3 1AB"], keys,
                  ["Invoice to:", "Westgate Lettings Ltd", "8 Castle Meadow", "Norwich NR1 3DE"],
                  [("Net", "£1,550.00"), ("VAT at 20%", "£310.00"), ("Invoice total", "£1,860.00")])

    def draw(c: canvas.Canvas) -> None:
        body(c)
        c.setFont("Helvetica", 7)
        c.drawString(50, 50, "Bank: Anglia Mutual, Sort code 30-94-57, Account 12785544")

    got = extract_generic(parse_ok(make_pdf(draw), "invoice.pdf"), invoice_schema).values()
    assert got.get("customer_account") == ("WEST07" if with_account else None)


def _customer_block_over_a_vat_line(c: canvas.Canvas) -> None:
    """The customer's block, read by the parser as a table beside the invoice's keys, with its VAT
    number on a line of its own under the table; the issuer's VAT number in the footer; a VAT line
    of the totals box whose value is an amount."""
    top = H - 50
    c.setFont("Helvetica-Bold", 15)
    c.drawString(50, top, "Sundqvist Form AB")
    c.setFont("Helvetica", 8)
    c.drawString(50, top - 16, "Storgatan 14, 114 51 Stockholm")
    c.setFont("Helvetica", 10)
    for i, (a, k, v) in enumerate([("Customer:", "Invoice No:", "2025-0093"), ("Reinholt Möbel GmbH", "Date:", "2025-03-20"),
                                   ("Schillerstraße 8, 10625 Berlin", "Due:", "2025-04-19")]):
        c.drawString(50, top - 70 - 13 * i, a)
        c.drawString(350, top - 70 - 13 * i, k)
        c.drawString(450, top - 70 - 13 * i, v)
    c.drawString(50, top - 109, "VAT No: DE 811 234 567")
    for i, (a, b) in enumerate([("Subtotal", "EUR 4,000.00"), ("VAT 0% (reverse charge)", "EUR 0.00"), ("Total", "EUR 4,000.00")]):
        c.drawString(330, top - 250 - 14 * i, a)
        c.drawRightString(540, top - 250 - 14 * i, b)
    c.setFont("Helvetica", 7)
    c.drawString(50, 60, "Sundqvist Form AB · Org.nr 556677-8899 · VAT Reg. No SE556677889901")


def test_customer_vat_line_under_a_table_block(invoice_schema: Schema) -> None:
    got = extract_generic(parse_ok(make_pdf(_customer_block_over_a_vat_line), "invoice.pdf"), invoice_schema).values()
    assert got["customer_tax_id"] == "DE811234567"
    # never the customer's, nor "EUR 0.00" (an amount right of "VAT")
    assert got["issuer_tax_id"] == "SE556677889901"
    assert got["total_amount"] == Decimal("4000.00")


@pytest.mark.parametrize("number", ["R250318", "S40917", "K2210-B"])
def test_a_number_opening_with_a_currency_letter_is_an_identifier(invoice_schema: Schema, number: str) -> None:
    """"R250318" reads like 250318 rand but has no decimals: it is the invoice's number."""
    draw = _keyed(["Kessler Drehteile GmbH", "Industriestraße 8", "73033 Göppingen"],
                  [("Rechnungsnummer / Invoice No.:", number), ("Rechnungsdatum / Invoice date:", "18.03.2025")],
                  ["Northgate Engineering Ltd", "5 Dock Road", "Hull HU1 2AB"],
                  [("Nettobetrag / Net amount", "2.350,00 EUR"), ("USt. 0% / VAT 0%", "0,00 EUR"), ("Gesamtbetrag / Total", "2.350,00 EUR")])
    got = extract_generic(parse_ok(make_pdf(draw), "rechnung.pdf"), invoice_schema).values()
    assert got["invoice_number"] == number


def _name_headings(c: canvas.Canvas) -> None:
    """Each party's block opens with a heading that names what follows ("Seller trade name",
    "Nom du client") and no colon; the customer's number is keyed "N° de client"."""
    top = H - 50
    c.setFont("Helvetica", 9)
    for i, (a, b) in enumerate([("SELLER TRADE NAME", "NOM DU CLIENT"), ("Tisserand Frères", "Cave Duroc"),
                                ("12 rue des Drapiers", "4 quai Sud"), ("69002 Lyon", "33000 Bordeaux")]):
        c.drawString(50, top - 13 * i, a)
        c.drawString(300, top - 13 * i, b)
    for i, (a, b) in enumerate([("Facture n° :", "TF-2025-0091"), ("Date :", "14/03/2025"), ("N° de client :", "CL-4410")]):
        c.drawString(300, top - 90 - 13 * i, a)
        c.drawString(400, top - 90 - 13 * i, b)
    for i, (a, b) in enumerate([("Total HT", "100,00"), ("TVA 20 %", "20,00"), ("Total TTC", "120,00")]):
        c.drawString(330, top - 200 - 14 * i, a)
        c.drawRightString(540, top - 200 - 14 * i, b)


def test_a_heading_naming_a_name_is_no_name(invoice_schema: Schema) -> None:
    got = extract_generic(parse_ok(make_pdf(_name_headings), "facture.pdf"), invoice_schema).values()
    assert got.get("issuer_name") == "Tisserand Frères"  # never "TRADE NAME" (the heading's rest)
    assert got.get("customer_name") in (None, "Cave Duroc")  # never "CL-4410" (a number keyed "N° de client")
    assert got.get("customer_account") == "CL-4410"


@pytest.mark.parametrize("key", ["Nr. klant", "No. Customer", "N° client"])
def test_a_number_word_before_a_customer_label_names_an_identifier(invoice_schema: Schema, key: str) -> None:
    text = (f"Verhoeven Tegels B.V.\nKerkstraat 4, 5211 AB Den Bosch\nFactuur\nFactuurnummer: 2025-301\n"
            f"Factuurdatum: 03-03-2025\n{key}: KL-4410\nTotaal: 121,00\n").encode()
    got = extract_generic(parse_bytes(text, name="factuur.txt"), invoice_schema).values()
    assert got.get("customer_name") != "KL-4410"


@pytest.mark.parametrize("key", ["Your Reference", "Votre référence", "Uw referentie"])
def test_the_readers_reference_is_not_the_invoice_number(tmp_path: Path, key: str) -> None:
    """'Your Reference: PO-88120' is the customer's own reference (an order number): the invoice has
    no number of its own printed, so the record waits for a person instead of landing the reader's."""
    text = (f"Ashcombe Design Ltd\n14 Mill Road, Leeds LS2 7QT\nVAT Reg No: GB123456789\n\nINVOICE\n"
            f"{key}: PO-88120\nInvoice Date: 03/02/2026\nCustomer: Fernhill Trading Ltd\n\n"
            "Design work\nSubtotal: 500.00\nVAT 20%: 100.00\nTotal: 600.00\n")
    mapper = Mapper.from_dirs(SCHEMAS, tmp_path)  # no rules: everything generic
    (outcome,) = list(mapper.outcomes(parse_bytes(text.encode(), name="invoice.txt")))
    (record,) = outcome.records
    assert record.values().get("invoice_number") != "PO-88120" or outcome.outcome != LANDED
    # the document's own key still reads it
    text = text.replace(f"{key}: PO-88120", "Invoice No: AD-5521")
    (outcome,) = list(mapper.outcomes(parse_bytes(text.encode(), name="invoice.txt")))
    assert outcome.records[0].values()["invoice_number"] == "AD-5521"


@pytest.mark.parametrize("lines", [
    ["Payment details", "Beneficiary: Marston & Reid Joinery", "Account No: 40 1234 5678", "Routing: 102000021"],
    ["Payee: Marston & Reid Joinery", "Account Number: 4012345678"],
])
def test_the_payees_account_is_not_the_customer_account(invoice_schema: Schema, lines: list[str]) -> None:
    """An account number under the payee's name or beside a routing number is the account to pay
    into (the issuer's), not the customer's account at the issuer; the customer's own stays."""
    body = _keyed(["Marston & Reid Joinery", "Unit 2, Fenn Yard", "Norwich NR3 1AB"],
                  [("Invoice no.", "MRJ/25/312"), ("Tax point", "15 Feb 2025"), ("Account", "WEST07")],
                  ["Invoice to:", "Westgate Lettings Ltd", "8 Castle Meadow", "Norwich NR1 3DE"],
                  [("Net", "£1,550.00"), ("VAT at 20%", "£310.00"), ("Invoice total", "£1,860.00")])

    def draw(c: canvas.Canvas) -> None:
        body(c)
        c.setFont("Helvetica", 8)
        for i, line in enumerate(lines):
            c.drawString(50, 110 - 11 * i, line)

    got = extract_generic(parse_ok(make_pdf(draw), "invoice.pdf"), invoice_schema).values()
    assert got.get("customer_account") == "WEST07"
