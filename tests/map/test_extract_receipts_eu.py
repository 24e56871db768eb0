"""Till receipts of European shops as text (invented shops, numbers and amounts), parsed like any
inbox file.

* German: "Summe EUR" is the total; one line "MwSt 7% Netto 4,39 MwSt 0,31" holds the net amount
  and the tax, each after its own key (neither key takes the other's amount).
* French: two item rows that add up to the total are no net amount and tax when the tax line says
  another amount.
* Italian: the document number keyed "DOC.N.".
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from pipelines.map.extract import extract_generic
from pipelines.model.schema import Schema, load_schema
from pipelines.parse.dispatch import parse_bytes

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


@pytest.fixture(scope="module")
def invoice_schema() -> Schema:
    return load_schema(SCHEMAS / "invoice.yaml")


def _read(text: str, schema: Schema) -> dict:
    return extract_generic(parse_bytes(text.encode(), name="receipt.txt"), schema).values()


def test_german_receipt_net_and_tax_on_one_line(invoice_schema: Schema) -> None:
    got = _read("Bäckerei Morgenrot\nLindenweg 7\n79098 Freiburg\nKassenbon\nBrezel 2x 0,95 1,90\nKaffee 2,80\n"
                "Summe EUR 4,70\nGeg. Bar EUR 10,00\nRückgeld EUR 5,30\nMwSt 7% Netto 4,39 MwSt 0,31\n"
                "04.03.2025 07:55 Bon-Nr. 4471\n", invoice_schema)
    assert got["total_amount"] == Decimal("4.70")
    assert got["subtotal_amount"] == Decimal("4.39")
    assert got["tax_amount"] == Decimal("0.31")


def test_french_item_rows_adding_up_are_no_net_and_tax(invoice_schema: Schema) -> None:
    got = _read("BOULANGERIE DES HALLES\n3 place des Halles\n21000 DIJON\nTicket n° 00812\nle 12/03/2025 à 08:02\n"
                "BAGUETTE 1,10\nCROISSANT x2 2,40\nTOTAL TTC 3,50 EUR\nESPECES 5,00\nRENDU 1,50\nTVA 5,5% 0,18\n",
                invoice_schema)
    assert got["total_amount"] == Decimal("3.50")
    assert got["tax_amount"] == Decimal("0.18")
    assert got.get("subtotal_amount") != Decimal("1.10")  # a baguette is no net amount


def test_italian_document_number(invoice_schema: Schema) -> None:
    got = _read("BAR CENTRALE\nVia Verdi 12 - 40121 Bologna\nDOCUMENTO COMMERCIALE\nCAPPUCCINO 1,50\nBRIOCHE 1,20\n"
                "TOTALE COMPLESSIVO 2,70\nPAGAMENTO CONTANTE 5,00\nRESTO 2,30\n12-03-2025 08:14\nDOC.N. 0042-0117\n",
                invoice_schema)
    assert got["invoice_number"] == "0042-0117"
    assert got["total_amount"] == Decimal("2.70")
