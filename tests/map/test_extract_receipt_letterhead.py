"""Receipt letterheads with what OCR and the printers' layouts do to them (invented shops):

* a town and its postcode ("TAMAN JAYA 43650 BUKIT LINTANG") is no date: the address goes on to it;
* a chain's shop number ("Site: 1180") and a registration read with ';' between the name and
  its address do not end the address;
* on a photo, initials OCR read with a look-alike digit ("K.1.T.") stay part of the name and are
  read back as letters.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.map.extract import extract_generic
from pipelines.map.extract.companies import read_legal_forms
from pipelines.map.extract.vocab import DATE_RE
from pipelines.model.schema import load_schema
from pipelines.parse.dispatch import parse_bytes
from tests.support.drawn import draw_lines, png

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
TAIL = ["Tel: 07-555 1234", "TAX INVOICE", "Date: 03/04/2018", "Rice 1 4.50 4.50", "TOTAL 4.50", "CASH 5.00",
        "CHANGE 0.50"]


def extract(lines: list[str]) -> dict:
    rec = extract_generic(parse_bytes("\n".join(lines).encode(), name="r.txt"), load_schema(SCHEMAS / "invoice.yaml"))
    return {n: fv.value for n, fv in rec.fields.items()}


def test_town_and_postcode_is_no_date() -> None:
    assert DATE_RE.search("TAMAN JAYA 43650 BUKIT LINTANG") is None
    assert DATE_RE.search("March 5 2018") and DATE_RE.search("March 5, 2018") and DATE_RE.search("Mar 5,2018")
    got = extract(["ORCHID LANE TRADING SDN BHD", "(CO. REG: 556677-W)", "JALAN MERANTI 4", "TAMAN JAYA 43650 BUKIT LINTANG", *TAIL])
    assert got["issuer_address"] == "JALAN MERANTI 4, TAMAN JAYA 43650 BUKIT LINTANG"


def test_shop_number_and_misread_registration_keep_the_address() -> None:
    got = extract(["ORCHID LANE TRADING SDN BHD", "Company No; 556677-W", "Site: 1180", "12 JLN KERIS 3",
                   "52300 BANDAR MELATI", *TAIL])
    assert got["issuer_name"] == "ORCHID LANE TRADING SDN BHD"
    assert got["issuer_address"] == "12 JLN KERIS 3, 52300 BANDAR MELATI"


def test_tax_number_without_colon_and_braced_registration_keep_the_address() -> None:
    """'GST Reg no 0000 1111 2222' (digit groups, no colon) and '(556677-W}' (OCR's brace for the
    bracket) are registration lines, not the start of the address."""
    got = extract(["ORCHID LANE TRADING SDN BHD", "(556677-W}", "GST Reg no 0000 1111 2222", "Lot 5, Jalan Keris 3",
                   "52300 Bandar Melati", *TAIL])
    assert got["issuer_address"] == "Lot 5, Jalan Keris 3, 52300 Bandar Melati"


def test_initials_misread_on_a_photo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAPPER_OCR_CACHE", str(tmp_path))
    lines = ["PRINTED FOR LEE", "MR K.1.T. (NORTH) SDN BHD", "(CO.REG : 556677-W)", "12 JALAN KERIS 3",
             "52300 BANDAR MELATI", "INVOICE", "Date: 03/04/2018", "Rice 1 4.50 4.50", "TOTAL 4.50"]
    doc = parse_bytes(png(draw_lines(lines, (760, 80 + 46 * len(lines)), (50, 40), 46, 28)), name="receipt.png")
    assert "K.1.T." in doc.text
    rec = extract_generic(doc, load_schema(SCHEMAS / "invoice.yaml"))
    assert rec.fields["issuer_name"].value == "MR K.I.T. (NORTH) SDN BHD"


def test_a_line_with_the_shops_web_address_is_no_name() -> None:
    """'THANK YOU FOR SHOPPING WITH quickmart.com' over the shop's name: a sentence with a web
    address is no name, and its own web address does not back it."""
    got = extract(["THANK YOU FOR SHOPPING WITH quickmart.com", "LEAFY CORNER GROCERS", "LOT 9, JALAN KERIS 3",
                   "52300 BANDAR MELATI", *TAIL])
    assert got["issuer_name"] == "LEAFY CORNER GROCERS"


def test_legal_form_misread_on_a_photo_is_read_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """'SON BHD' (an O for the D of SDN) completes a legal form once read back through the
    look-alike table; a plain word of a name ('& SON') is left as it is."""
    monkeypatch.setenv("MAPPER_OCR_CACHE", str(tmp_path))
    lines = ["LEAFY CORNER TRADING SON BHD", "(CO.REG : 556677-W)", "12 JALAN KERIS 3", "52300 BANDAR MELATI", "INVOICE",
             "Date: 03/04/2018", "Rice 1 4.50 4.50", "TOTAL 4.50"]
    doc = parse_bytes(png(draw_lines(lines, (760, 80 + 46 * len(lines)), (50, 40), 46, 28)), name="receipt.png")
    assert "TRADING SON BHD" in doc.text
    rec = extract_generic(doc, load_schema(SCHEMAS / "invoice.yaml"))
    assert rec.fields["issuer_name"].value == "LEAFY CORNER TRADING SDN BHD"
    assert rec.fields["issuer_name"].evidence.text == "LEAFY CORNER TRADING SON BHD"  # the evidence is what was read
    assert read_legal_forms("HARROW & SON\nHARROW & SON LTD\n") == "HARROW & SON\nHARROW & SON LTD\n"
