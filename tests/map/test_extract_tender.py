"""A total whose label's amount was lost or misread (a receipt photo's 'Total Amount: Bl e,') is
proposed as the amount tendered minus the change, below a label's reading and never landed by
itself; no such proposal when tendered and change give more than one amount. Real text files
of invented shops, parsed like any inbox file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from pipelines.map.extract import extract_generic
from pipelines.model.schema import load_schema
from pipelines.parse.dispatch import parse_bytes
from tests.support.drawn import draw_lines, png

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def receipt(total_line: str, tender: list[str]) -> bytes:
    return "\n".join(["HOLLY TREE KITCHEN", "8 CANAL ROW, BRIGHTWELL", "RECEIPT", "Date: 03/04/2024",
                      "Soup of the day 2 7.50 15.00", "Bread basket 1 4.20 4.20", total_line, *tender,
                      "THANK YOU"]).encode()


def test_total_lost_is_tendered_minus_change() -> None:
    schema = load_schema(SCHEMAS / "invoice.yaml")
    rec = extract_generic(parse_bytes(receipt("Total Amount: Bl e,", ["Cash 50.00", "Change 30.80"]), name="r.txt"), schema)
    fv = rec.fields["total_amount"]
    assert fv.value == Decimal("19.20")
    assert "50.00" in fv.evidence.text and "Change 30.80" in fv.evidence.text
    # a finder never measured for the total: a person confirms it
    assert any(i.field == "total_amount" and i.code == "low_confidence" for i in rec.issues)


def test_total_misread_loses_to_tendered_minus_change() -> None:
    schema = load_schema(SCHEMAS / "invoice.yaml")
    rec = extract_generic(parse_bytes(receipt("Total Amount: 0", ["Cash 50.00", "Change 30.80"]), name="r.txt"), schema)
    assert rec.fields["total_amount"].value == Decimal("19.20")


def test_total_read_is_kept_and_two_tenders_propose_nothing() -> None:
    schema = load_schema(SCHEMAS / "invoice.yaml")
    read = extract_generic(parse_bytes(receipt("Total Amount: 19.20", ["Cash 50.00", "Change 30.80"]), name="r.txt"), schema)
    assert read.fields["total_amount"].value == Decimal("19.20")
    assert "Cash" not in read.fields["total_amount"].evidence.text
    two = extract_generic(parse_bytes(receipt("Total Amount: Bl e,", ["Cash 50.00", "Change 30.80", "Card 20.00",
                                                                       "Change 1.00"]), name="r.txt"), schema)
    assert two.fields.get("total_amount") is None or two.fields["total_amount"].value not in (
        Decimal("19.20"), Decimal("49.00"), Decimal("19.00"))


def test_total_read_above_the_cash_paid_by_one_look_alike_digit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a photo, 'TOTAL 23.86' over 'CASH 23.80' and no change: no one pays less than the total,
    so the total's 6 was a misread 0 and the amount paid is proposed. Typed text is left alone, and
    so is a cash amount above the total (the change may be lost)."""
    monkeypatch.setenv("MAPPER_OCR_CACHE", str(tmp_path))
    schema = load_schema(SCHEMAS / "invoice.yaml")

    def photo(total: str, cash: str) -> bytes:
        lines = ["HOLLY TREE KITCHEN", "8 CANAL ROW, BRIGHTWELL", "RECEIPT", "Date: 03/04/2024", "Soup 1 23.80",
                 f"TOTAL {total}", f"CASH {cash}", "THANK YOU"]
        return png(draw_lines(lines, (760, 80 + 46 * len(lines)), (50, 40), 46, 28))

    doc = parse_bytes(photo("23.86", "23.80"), name="r.png")
    assert "TOTAL 23.86" in doc.text and "CASH 23.80" in doc.text
    assert extract_generic(doc, schema).fields["total_amount"].value == Decimal("23.80")
    typed = "\n".join(["HOLLY TREE KITCHEN", "RECEIPT", "Date: 03/04/2024", "TOTAL 23.86", "CASH 23.80"]).encode()
    assert extract_generic(parse_bytes(typed, name="r.txt"), schema).fields["total_amount"].value == Decimal("23.86")
    above = parse_bytes(photo("23.80", "23.86"), name="r2.png")
    assert extract_generic(above, schema).fields["total_amount"].value == Decimal("23.80")
