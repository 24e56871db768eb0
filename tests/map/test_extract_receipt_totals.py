"""Receipt totals on invented receipts: a total label that names the tax it includes is the
total's, not the tax's."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from pipelines.map.extract import extract_generic
from pipelines.model.schema import Schema, load_schema
from pipelines.parse.dispatch import parse_bytes

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
HEAD = "PINE CONE PHARMACY SDN BHD\nNO 3, JALAN MELATI 2,\n43000 KAJANG\nDATE: 07/07/2017\n"


@pytest.fixture(scope="module")
def invoice_schema() -> Schema:
    return load_schema(SCHEMAS / "invoice.yaml")


@pytest.mark.parametrize("totals, total", [
    # "TOTAL (GST" read as the tax label "Total GST" left the total unread
    ("VITAMIN C 1000MG\n24.90 S\nSUBTOTAL\n24.90\nTOTAL (GST INCL)\n24.90\n", "24.90"),
    ("PARKING TICKET\nAMOUNT INCL. GST\n5.00 RM\nGST 6%\n0.28 RM\n", "5.00"),
    ("Parking\nAmount incl. VAT\n5.00 EUR\nVAT 20%\n0.83 EUR\n", "5.00"),
])
def test_a_total_label_naming_the_tax_it_includes(invoice_schema: Schema, totals: str, total: str) -> None:
    doc = parse_bytes((HEAD + totals).encode(), name="receipt.txt")
    rec = extract_generic(doc, invoice_schema)
    assert rec.values().get("total_amount") == Decimal(total)
    assert rec.values().get("tax_amount") != Decimal(total)



def test_the_final_total_is_read_by_its_label(invoice_schema: Schema) -> None:
    """'FINAL TOTAL' names the total ('Total' after another word was read as a word in running
    text): the amount under it is the total by its label, backed by cash - change."""
    from pipelines.map.extract.engine import extract_explained

    text = HEAD + "ITEM A 362.50\nROUNDING ADJUSTMENT:\n0.00\nFINAL TOTAL\n:\n362.50\nCASH\n:\n400.00\nCHANGE\n:\n37.50\n"
    rec, families = extract_explained(parse_bytes(text.encode(), name="receipt.txt"), invoice_schema)
    assert rec.values().get("total_amount") == Decimal("362.50")
    assert families["total_amount"].split("+")[0] == "label"
