"""A receipt photographed or scanned on a sheet: its header is near the top of the text, not of
the paper. Real OCR (Tesseract) of an image drawn here, with an invented shop."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.map.extract import extract_generic
from pipelines.model.schema import load_schema
from pipelines.parse.dispatch import parse_bytes
from tests.support.drawn import draw_lines, png

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
RECEIPT = [
    "HILLCREST PAINT CENTRE",
    "22 QUARRY LANE, ASHFORD",
    "TEL 01233 640 118",
    "RECEIPT",
    "Date: 03/11/2025 11:07",
    "Wall filler 1 4.80 4.80",
    "Sandpaper pack 2 2.25 4.50",
    "TOTAL 9.30",
    "CASH 10.00",
    "CHANGE 0.70",
]


def sheet(top: int) -> bytes:
    """The receipt drawn on a white A4 sheet at 150 dpi, its first line `top` pixels down."""
    return png(draw_lines(RECEIPT, (1240, 1754), (420, top), 38, 24), dpi=150)


@pytest.mark.parametrize("top", [80, 640])  # at the top of the sheet, and 36% down it
def test_shop_name_heads_the_receipt_wherever_it_sits_on_the_sheet(top: int, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAPPER_OCR_CACHE", str(tmp_path))
    doc = parse_bytes(sheet(top), name="receipt.png")
    assert "HILLCREST PAINT CENTRE" in doc.text
    rec = extract_generic(doc, load_schema(SCHEMAS / "invoice.yaml"))
    assert rec.fields["issuer_name"].value == "HILLCREST PAINT CENTRE"
    assert str(rec.fields["total_amount"].value) == "9.30"
