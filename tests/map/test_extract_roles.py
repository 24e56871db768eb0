"""Roles of labelled values on crafted invoices (reportlab; invented parties and numbers).

* A key longer than the alias names something else: "N° de facture associée :" (a related
  invoice) and "Date de facture associée :" lose to the plain "Facture N° :" and "Date :".
* A key naming a number is not a name: "Customer code: K2210" is not the customer.
* "Your VAT No" / "Votre N° TVA" is the customer's tax id, not the issuer's; so are the ids in a
  block headed to the reader ("Vos identifiants") or in a tax representative's block.
* "1 500,00 €" is one amount; "To pay EUR  539.38" is the total, and no one's name.
* "Invoice to:" in the last row of a table names the customer on the line after the table.
* A letterhead beside a column of keys: only its column is the address (a "SARL au capital de
  ..." line under the name is neither); "Van Dijk B.V." keeps its particle; "Aan:", "Adressé à :", "Spett.le" name the customer, "Client n°" does not.
* A letterhead the parser reads as a table row still names the issuer; a blank band parts it
  from the window block below.
* A German address window: the recipient under the small return address is the customer
  (no label names it), "Ihre USt-IdNr." is the customer's, the footer's "USt-IdNr." the issuer's.
* A credit note's own number ("Gutschrift-Nr."), not the invoice it refers to ("zu Rechnung:");
  an order's date ("Date de commande") is not the issue date.
* "Please remit payment by April 2, 2025." proposes the due date, unsure (running text).
* A currency is not read from one amount with a one-letter sign ("R400" in OCR text).
* A "VAT No:" inside the "Bill To" block is the customer's tax id.
* A payment receipt with only a booking id: that is its number; a row of column headers or of
  labels near the top is no issuer name.
* "Bank: ..., Sort code ..., Account 12785544" is the bank account, not the customer's.
* An issuer name read by a finder the calibration never measured does not land by itself.
* A receipt's letterhead: a "COMPANY REG. NO. : ..." line under the name does not end the
  address block below it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from collections.abc import Callable
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

from pipelines.map.extract import extract_generic
from pipelines.model.schema import Schema, load_schema
from pipelines.parse.dispatch import parse_bytes
from pipelines.run.mapper import Mapper
from pipelines.run.outcome import LANDED

from .pdf_fixtures import H, make_pdf, parse_ok

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
    c.drawString(340, top - 100, "Vos identifiants")
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


def test_registration_line_under_the_name_keeps_the_address(invoice_schema: Schema) -> None:
    text = ("KEDAI RUNCIT MAJU JAYA\nCOMPANY REG. NO. : 004417790-P\nNO 12, JALAN MERANTI 3,\n"
            "43000 KAJANG, SELANGOR.\nTEL: 03-8733 1020\nTAX INVOICE\nTOTAL 12.50\n")
    doc = parse_bytes(text.encode(), name="receipt.txt")
    got = extract_generic(doc, invoice_schema).values()
    assert got["issuer_name"] == "KEDAI RUNCIT MAJU JAYA"
    assert got["issuer_address"].startswith("NO 12, JALAN MERANTI 3")


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


def _german_window(c: canvas.Canvas, *, return_line: bool = True, letterhead: bool = True) -> None:
    top = H - 50
    c.setFont("Helvetica-Bold", 14)
    if letterhead:  # else a logo (an image): the return address is the only sender's name on top
        c.drawString(360, top, "Bergwerk Armaturen GmbH")
    c.setFont("Helvetica", 9)
    for i, line in enumerate(["Talstraße 9", "79098 Freiburg", "Tel. 0761 4471-0"]):
        c.drawString(360, top - 14 - 12 * i, line)
    c.setFont("Helvetica", 7)
    if return_line:
        c.drawString(50, top - 60, "Bergwerk Armaturen · Talstraße 9 · 79098 Freiburg")
    c.setFont("Helvetica", 10)
    for i, line in enumerate(["Stadtwerke Lindenau GmbH", "Herrn Jonas Feld", "Am Hafen 12", "04177 Leipzig"]):
        c.drawString(50, top - 80 - 13 * i, line)
    c.setFont("Helvetica", 9)
    rows = [("Rechnungsnummer:", "RE-2025-0412"), ("Rechnungsdatum:", "12.06.2025"), ("Lieferdatum:", "03.06.2025"),
            ("Kundennummer:", "10233"), ("Ihre USt-IdNr.:", "DE 318 442 107")]
    for i, (a, b) in enumerate(rows):
        c.drawString(360, top - 80 - 12 * i, a)
        c.drawString(460, top - 80 - 12 * i, b)
    c.setFont("Helvetica-Bold", 14)
    c.drawString(50, top - 160, "Rechnung")
    c.setFont("Helvetica", 9)
    y = top - 200
    for a, b in [("Nettobetrag", "573,00 EUR"), ("zzgl. 19 % USt.", "108,87 EUR"), ("Rechnungsbetrag", "681,87 EUR")]:
        y -= 14
        c.drawString(330, y, a)
        c.drawRightString(540, y, b)
    c.setFont("Helvetica", 7)
    c.drawString(50, 50, "USt-IdNr.: DE 291 004 553 · Amtsgericht Freiburg HRB 70211")


@pytest.mark.parametrize("return_line, letterhead", [(True, True), (False, True), (True, False)])
def test_german_address_window(invoice_schema: Schema, return_line: bool, letterhead: bool) -> None:
    doc = parse_ok(make_pdf(lambda c: _german_window(c, return_line=return_line, letterhead=letterhead)), "rechnung.pdf")
    record = extract_generic(doc, invoice_schema)
    got = record.values()
    # without the return address the block could be a letterhead: the name is proposed less surely
    assert (record.fields["customer_name"].confidence >= 0.4) is return_line
    assert got["issuer_name"] == ("Bergwerk Armaturen GmbH" if letterhead else "Bergwerk Armaturen")
    assert got["customer_name"] == "Stadtwerke Lindenau GmbH"
    assert got["issue_date"] == date(2025, 6, 12)
    assert got["customer_tax_id"] == "DE318442107"
    assert got["issuer_tax_id"] == "DE291004553"
    assert got["total_amount"] == Decimal("681.87")


# One letterhead layout in three languages: the issuer's block left, the invoice's keys in a
# second column on the same lines, the customer under a label of the language.
LETTERHEADS = {
    "nl": dict(issuer="Van Dijk Installatietechniek B.V.", addr=["Industrieweg 7", "3542 AD Utrecht"],
               rows=[("Factuurnummer", "2025-1187"), ("Factuurdatum", "21-03-2025"), ("Klantnummer", "4471")],
               cust_label="Aan:", cust="Bakkerij De Korenbloem", address="Industrieweg 7, 3542 AD Utrecht"),
    "fr": dict(issuer="Menuiserie Lagarde SAS", addr=["14 avenue Jean Jaurès", "69007 Lyon"],
               rows=[("Facture n°", "FA-25-0192"), ("Date", "07/01/2025"), ("Client n°", "CL-908")],
               cust_label="Adressé à :", cust="Boulangerie Morel SARL", address="14 avenue Jean Jaurès, 69007 Lyon"),
    "fr_capital": dict(issuer="MENUISERIE LAGARDE", addr=["SARL au capital de 8 000 €", "14 avenue Jean Jaurès", "69007 Lyon"],
                       rows=[("Facture n°", "FA-25-0193"), ("Date", "08/01/2025"), ("Client n°", "CL-911")],
                       cust_label="Adressé à :", cust="Boulangerie Morel SARL", address="14 avenue Jean Jaurès, 69007 Lyon"),
    "it": dict(issuer="Officine Tarchetti S.r.l.", addr=["Via dei Mille 14", "20121 Milano"],
               rows=[("Fattura n.", "2025/0318"), ("Data", "15/04/2025"), ("Codice cliente", "C-2281")],
               cust_label="Spett.le", cust="Ristorante Belvedere S.a.s.", address="Via dei Mille 14, 20121 Milano"),
}


def _letterhead(d: dict) -> Callable[[canvas.Canvas], None]:
    def draw(c: canvas.Canvas) -> None:
        top = H - 50
        c.setFont("Helvetica-Bold", 15)
        c.drawString(50, top, d["issuer"])
        c.setFont("Helvetica", 9)
        for i, line in enumerate(d["addr"]):
            c.drawString(50, top - 14 - 12 * i, line)
        for i, (a, b) in enumerate(d["rows"]):
            c.drawString(380, top - 20 - 12 * i, a)
            c.drawString(470, top - 20 - 12 * i, b)
        c.drawString(50, top - 110, d["cust_label"])
        c.drawString(50, top - 124, d["cust"])
        for i, (a, b) in enumerate([("Total", "100,00")]):
            c.drawString(360, top - 200, a)
            c.drawRightString(540, top - 200, b)
    return draw


@pytest.mark.parametrize("lang", sorted(LETTERHEADS))
def test_letterhead_beside_a_second_column(invoice_schema: Schema, lang: str) -> None:
    d = LETTERHEADS[lang]
    doc = parse_ok(make_pdf(_letterhead(d)), "invoice.pdf")
    got = extract_generic(doc, invoice_schema).values()
    assert got["issuer_name"] == d["issuer"]  # "Van Dijk ...": a particle opening the name is kept
    assert got["issuer_address"] == d["address"]  # only the letterhead's column of each line
    assert got["customer_name"] == d["cust"]  # never the customer number ("Client n°")
    assert got["invoice_number"] == d["rows"][0][1]


def _table_letterhead(c: canvas.Canvas) -> None:
    """The issuer's name in the first row of a two-column header (the parser reads it as a
    table), no legal form on its line; the window block under the letterhead, after a blank band."""
    top = H - 50
    c.setFont("Helvetica-Bold", 16)
    c.drawString(50, top, "ATELIERS MORVAN ET FILS")
    c.setFont("Helvetica", 9)
    for i, line in enumerate(["Bureau 4, rue des Forges", "21000 Dijon", "Tél. 03 80 12 34 56"]):
        c.drawString(50, top - 14 - 12 * i, line)
    c.setFont("Helvetica-Bold", 14)
    c.drawString(360, top, "FACTURE")
    c.setFont("Helvetica", 9)
    for i, (a, b) in enumerate([("Facture n° :", "AM-2025-077"), ("Date :", "30/06/2025"), ("Échéance :", "30/07/2025")]):
        c.drawString(360, top - 20 - 12 * i, a)
        c.drawString(460, top - 20 - 12 * i, b)
    for i, line in enumerate(["Madame", "Laverie du Port", "2 quai Sud", "17000 La Rochelle"]):
        c.drawString(50, top - 90 - 12 * i, line)
    c.drawString(50, top - 160, "Bénéficiaire")
    c.drawString(200, top - 160, "MODE DE PAIEMENT : VIREMENT")
    for i, (a, b) in enumerate([("Total HT", "395,00 €"), ("TVA 20 %", "79,00 €"), ("Total TTC", "474,00 €")]):
        c.drawString(330, top - 200 - 14 * i, a)
        c.drawRightString(540, top - 200 - 14 * i, b)


def test_letterhead_in_a_table_row_and_window_after_a_blank_band(invoice_schema: Schema) -> None:
    doc = parse_ok(make_pdf(_table_letterhead), "facture.pdf")
    record = extract_generic(doc, invoice_schema)
    got = record.values()
    # never "MODE DE PAIEMENT : VIREMENT" (a key and its value beside the payee label)
    assert got["issuer_name"] == "ATELIERS MORVAN ET FILS"
    assert got["customer_name"] == "Laverie du Port"
    assert record.fields["customer_name"].confidence < 0.4  # no label, no return address: a weak reading


@pytest.mark.parametrize("body, currency", [
    ("Price inclusive of discount of R400,\nTotal 319.00\n", None),  # one lone letter: maybe OCR noise
    ("Labour R 250.00\nParts R 69.00\nTotal R 319.00\n", "ZAR"),
])
def test_currency_from_a_one_letter_sign_needs_more_than_one_amount(invoice_schema: Schema, body: str,
                                                                   currency: str | None) -> None:
    doc = parse_bytes(("TAX INVOICE\nInvoice No: 5531\n" + body).encode(), name="invoice.txt")
    assert extract_generic(doc, invoice_schema).values().get("currency") == currency


def _keyed(head: list[str], keys: list[tuple[str, str]], party: list[str], totals: list[tuple[str, str]]
           ) -> Callable[[canvas.Canvas], None]:
    """A letterhead left, the document's keys in a column beside it, a party block, totals."""
    def draw(c: canvas.Canvas) -> None:
        top = H - 50
        c.setFont("Helvetica-Bold", 15)
        c.drawString(50, top, head[0])
        c.setFont("Helvetica", 9)
        for i, line in enumerate(head[1:]):
            c.drawString(50, top - 14 - 12 * i, line)
        for i, (a, b) in enumerate(keys):
            c.drawString(360, top - 12 * i, a)
            c.drawString(470, top - 12 * i, b)
        for i, line in enumerate(party):
            c.drawString(50, top - 100 - 12 * i, line)
        for i, (a, b) in enumerate(totals):
            c.drawString(330, top - 200 - 14 * i, a)
            c.drawRightString(540, top - 200 - 14 * i, b)
    return draw


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


def test_addressee_with_a_legal_form_is_not_the_issuer(invoice_schema: Schema) -> None:
    """The issuer prints no legal form, the addressee does ("... Ltd"): the letterhead that opens the
    page is the issuer's, the block below it the customer's (no label names either)."""
    draw = _keyed(["Marston & Reid Joinery", "Unit 2, Fenn Yard", "Norwich NR3 1AB"],
                  [("Tax invoice", ""), ("Invoice no.", "MRJ/25/311"), ("Tax point", "14 Feb 2025")],
                  ["Westgate Lettings Ltd", "8 Castle Meadow", "Norwich NR1 3DE"],
                  [("Net", "£1,550.00"), ("VAT at 20%", "£310.00"), ("Invoice total", "£1,860.00")])
    got = extract_generic(parse_ok(make_pdf(draw), "invoice.pdf"), invoice_schema).values()
    assert got["issuer_name"] == "Marston & Reid Joinery"
    assert got["customer_name"] == "Westgate Lettings Ltd"


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
    """A hotel's payment receipt: no invoice number but a booking id; a row of column headers
    and a row of two labels near the top; the operator's legal name only in the footer."""
    top = H - 50
    c.setFont("Helvetica-Bold", 14)
    c.drawString(50, top, "PAYMENT RECEIPT")
    c.setFont("Helvetica", 9)
    c.drawString(50, top - 20, "Guest Name: Ruth Okafor")
    c.drawString(360, top - 20, "Date: 02/02/2025")
    for x, t in zip((50, 250, 340, 430), ("Property Details", "Check In", "Check Out", "Stays")):
        c.drawString(x, top - 40, t)
    for x, t in zip((50, 250, 340, 430), ("Quayside Lodge Penzance,", "01/02/2025", "02/02/2025", "1")):
        c.drawString(x, top - 54, t)
    c.drawString(150, top - 80, "Booking ID")
    c.drawString(300, top - 80, "Payment Mode")
    c.drawString(150, top - 94, "KQ7781")
    c.drawString(300, top - 94, "Card at Hotel")
    c.drawString(50, top - 130, "Grand Total")
    c.drawRightString(540, top - 130, "£ 96.00")
    c.drawString(50, top - 200, "All payments are made in favour of")
    c.drawString(50, top - 214, "Harbour Stays Ltd")
    c.drawString(50, top - 228, "bookings@staysonline.com")


def test_booking_id_and_no_header_row_for_a_name(invoice_schema: Schema) -> None:
    got = extract_generic(parse_ok(make_pdf(_stay_receipt), "receipt.pdf"), invoice_schema).values()
    assert got["invoice_number"] == "KQ7781"  # the booking's id is the only reference printed
    # not a column header ("Stays" reads like the domain's name), nor "Booking ID Payment Mode"
    assert got["issuer_name"] == "Harbour Stays Ltd"


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
