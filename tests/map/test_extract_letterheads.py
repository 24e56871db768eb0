"""Letterheads and address windows on crafted invoices (reportlab; invented parties and numbers).

* A letterhead beside a column of keys: only its column is the address (a "SARL au capital de
  ..." line under the name is neither); "Van Dijk B.V." keeps its particle; "Aan:", "Adressé à :",
  "Spett.le" name the customer, "Client n°" does not.
* A letterhead the parser reads as a table row still names the issuer; a blank band parts it
  from the window block below.
* A German address window: the recipient under the small return address is the customer
  (no label names it), "Ihre USt-IdNr." is the customer's, the footer's "USt-IdNr." the issuer's.
* An addressee printing a legal form is not the issuer (whose letterhead has none).
* A receipt's letterhead: a "COMPANY REG. NO. : ..." line under the name does not end the
  address block below it.
* An address on one line with a four-digit postcode is no date; a blank band ends the block; a
  line alone in the right-hand column, starting right of the name's end, is not under it.
* The addressee's name over its block (no label) under a slogan is no letterhead's name.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

from pipelines.map.extract import extract_generic
from pipelines.model.schema import Schema, load_schema
from pipelines.parse.dispatch import parse_bytes

from .pdf_fixtures import H, make_pdf, parse_ok

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


@pytest.fixture(scope="module")
def invoice_schema() -> Schema:
    return load_schema(SCHEMAS / "invoice.yaml")


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


def test_registration_line_under_the_name_keeps_the_address(invoice_schema: Schema) -> None:
    text = ("SYARIKAT BUNGA MAWAR\nREGISTRATION NO : 004417790-P\nNO 12, JALAN CEMPAKA 3,\n"
            "68000 AMPANG, SELANGOR.\nTEL: 03-4256 1020\nTAX INVOICE\nTOTAL 12.50\n")
    doc = parse_bytes(text.encode(), name="receipt.txt")
    got = extract_generic(doc, invoice_schema).values()
    assert got["issuer_name"] == "SYARIKAT BUNGA MAWAR"
    assert got["issuer_address"].startswith("NO 12, JALAN CEMPAKA 3")


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
    c.drawString(50, top, "BOULANGERIE DUVAL FRÈRES")
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
    c.drawString(200, top - 160, "RÈGLEMENT : CHÈQUE")
    for i, (a, b) in enumerate([("Total HT", "395,00 €"), ("TVA 20 %", "79,00 €"), ("Total TTC", "474,00 €")]):
        c.drawString(330, top - 200 - 14 * i, a)
        c.drawRightString(540, top - 200 - 14 * i, b)


def test_letterhead_in_a_table_row_and_window_after_a_blank_band(invoice_schema: Schema) -> None:
    doc = parse_ok(make_pdf(_table_letterhead), "facture.pdf")
    record = extract_generic(doc, invoice_schema)
    got = record.values()
    # never "RÈGLEMENT : CHÈQUE" (a key and its value beside the payee label)
    assert got["issuer_name"] == "BOULANGERIE DUVAL FRÈRES"
    assert got["customer_name"] == "Laverie du Port"
    assert record.fields["customer_name"].confidence < 0.4  # no label, no return address: a weak reading


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


# A letterhead address on one line (street, number, four-digit postcode and town: the shape of
# "March 22, 2025"), a blank band, then the addressee's block in an envelope's window (no label).
ONE_LINE = {
    "nl": ("Kuipers Montage B.V.", "Havenweg 31, 4782 PK Moerdijk",
           ["Tuincentrum Het Groene Erf", "Dorpsstraat 5", "1234 AB Lopik"]),
    "de": ("Ostermann & Vogt GmbH", "Lindenallee 12 · 50667 Köln",
           ["Gartenbau Steiner KG", "Am Feldrain 4", "80331 München"]),
    "at": ("Holzbau Leitner GmbH", "Mariahilfer Straße 45, 1060 Wien",
           ["Tischlerei Gruber OG", "Hauptplatz 3", "8010 Graz"]),
}


def _one_line_letterhead(name: str, address: str, window: list[str]) -> Callable[[canvas.Canvas], None]:
    def draw(c: canvas.Canvas) -> None:
        top = H - 50
        c.setFont("Helvetica-Bold", 15)
        c.drawString(50, top, name)
        c.setFont("Helvetica", 8)
        c.drawString(50, top - 16, address)
        c.setFont("Helvetica", 10)
        for i, line in enumerate(window):
            c.drawString(50, top - 70 - 13 * i, line)
        for i, (a, b) in enumerate([("Invoice No.", "2025-118"), ("Invoice Date", "17-02-2025")]):
            c.drawString(350, top - 70 - 13 * i, a)
            c.drawString(460, top - 70 - 13 * i, b)
        for i, (a, b) in enumerate([("Subtotal", "234,50"), ("VAT 21%", "49,25"), ("Total", "283,75")]):
            c.drawString(330, top - 200 - 14 * i, a)
            c.drawRightString(540, top - 200 - 14 * i, b)
    return draw


@pytest.mark.parametrize("lang", sorted(ONE_LINE))
def test_one_line_letterhead_address_ends_at_the_blank_band(invoice_schema: Schema, lang: str) -> None:
    name, address, window = ONE_LINE[lang]
    doc = parse_ok(make_pdf(_one_line_letterhead(name, address, window)), "invoice.pdf")
    record = extract_generic(doc, invoice_schema)
    got = record.values()
    assert got["issuer_name"] == name
    # the street line is no date, and the window's block (with its legal form) is not the letterhead's
    assert got["issuer_address"] == address
    # a Dutch postcode's letters ("1234 AB") are no legal form: no name is read from it
    assert all(c.value != "1234 AB" for c in record.fields.values())


def _line_right_of_the_name(c: canvas.Canvas) -> None:
    """A reference printed alone on its line in the right-hand column, between the letterhead's
    name and its address."""
    top = H - 50
    c.setFont("Helvetica-Bold", 15)
    c.drawString(50, top, "Kestrel Bookbinding")
    c.setFont("Helvetica", 9)
    c.drawString(400, top - 14, "Order ref PX-2291")
    c.drawString(50, top - 28, "3 Tanner Row")
    c.drawString(50, top - 40, "York YO1 6JP")
    c.drawString(400, top - 80, "Invoice no: KB-0042")
    c.drawString(400, top - 93, "Date: 12/05/2025")
    c.drawString(330, top - 200, "Total")
    c.drawRightString(540, top - 200, "£84.00")


def test_a_line_right_of_the_name_is_not_its_address(invoice_schema: Schema) -> None:
    got = extract_generic(parse_ok(make_pdf(_line_right_of_the_name), "invoice.pdf"), invoice_schema).values()
    assert got["issuer_address"] == "3 Tanner Row, York YO1 6JP"


def _slogan_over_the_window(c: canvas.Canvas) -> None:
    """The letterhead in the right-hand column; on the left a slogan in large type, then the
    addressee's block (no label) under it."""
    c.setFont("Helvetica-Bold", 11)
    c.drawString(45, H - 45, "FACTUUR.")
    c.drawString(445, H - 48, "Veldhuis Audio B.V.")
    c.setFont("Helvetica-Bold", 16)
    c.drawString(45, H - 64, "Goed geluid, eerlijk geprijsd.")
    c.setFont("Helvetica", 10)
    for i, line in enumerate(["Kade 112", "3011 AB Rotterdam", "Nederland"]):
        c.drawString(445, H - 62 - 14 * i, line)
    for i, line in enumerate(["Pien de Vries", "Lindelaan 32", "1025 RX Amsterdam"]):
        c.setFont("Helvetica-Bold" if i == 0 else "Helvetica", 14 if i == 0 else 10)
        c.drawString(45, H - 104 - 14 * i, line)
    c.setFont("Helvetica", 10)
    for i, (a, b) in enumerate([("Factuurnummer:", "4471902"), ("Factuurdatum:", "19 april 2025")]):
        c.drawString(45, H - 170 - 14 * i, a)
        c.drawString(130, H - 170 - 14 * i, b)
    c.drawString(330, H - 260, "Totaal")
    c.drawRightString(540, H - 260, "€ 119,00")


def test_the_addressee_under_a_slogan_is_no_letterhead(invoice_schema: Schema) -> None:
    record = extract_generic(parse_ok(make_pdf(_slogan_over_the_window), "factuur.pdf"), invoice_schema)
    assert record.fields["issuer_name"].value == "Veldhuis Audio B.V."
    # the addressee's name over its address block does not contest the letterhead's name
    assert not any(i.field == "issuer_name" and i.code == "conflict" for i in record.issues)
    assert record.fields["issuer_name"].confidence >= 0.9
