"""A scanned page (real Tesseract on a drawn image) whose keys head columns, with their values on
the line below: OCR joins the columns with one space ("Invoice No Order Ref"), so the label ends
its column where the word boxes leave a wide gap, and its value is the word under it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from pipelines.map.extract import extract_generic
from pipelines.map.extract.engine import extract_explained
from pipelines.model.schema import load_schema
from pipelines.parse.dispatch import parse_bytes
from tests.support.drawn import FONT, png

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def _page(rows: list[list[tuple[int, str]]]) -> bytes:
    """Rows of (x, text) drawn 46 px apart on a white page."""
    if not FONT.exists():
        pytest.skip(f"{FONT.name} needed to draw the text")
    img = Image.new("L", (1100, 80 + 46 * len(rows)), 255)
    draw = ImageDraw.Draw(img)
    face = ImageFont.truetype(str(FONT), 26)
    for i, row in enumerate(rows):
        for x, text in row:
            draw.text((x, 40 + 46 * i), text, fill=0, font=face)
    return png(img)


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr not installed")
def test_scanned_key_heading_a_column_takes_the_value_below(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAPPER_OCR_CACHE", str(tmp_path))
    rows = [[(50, "HARTLEY GARDEN SUPPLIES")], [(50, "14 Mill Road, Ashford")], [(50, "PAYMENT RECEIPT")],
            [(50, "Guest: Ellis"), (700, "Date: 03/04/2024")],
            [(560, "Invoice No"), (820, "Paid By")],
            [(560, "KT50213"), (820, "Card")],
            [(50, "Compost 2 bags"), (820, "23.80")], [(50, "TOTAL"), (820, "23.80")]]
    doc = parse_bytes(_page(rows), name="scan.png")
    assert "Invoice No Paid By" in doc.text  # one space between the columns: only the boxes tell them apart
    got = extract_generic(doc, load_schema(SCHEMAS / "invoice.yaml")).values()
    assert got["invoice_number"] == "KT50213"


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr not installed")
def test_scanned_block_labels_side_by_side(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """'Bill To:' and 'Ship To:' side by side, joined by OCR into one line: the second label is no
    value of the first; the customer is the name under 'Bill To:'."""
    monkeypatch.setenv("MAPPER_OCR_CACHE", str(tmp_path))
    rows = [[(50, "HARTLEY GARDEN SUPPLIES")], [(50, "14 Mill Road, Ashford")], [(700, "Invoice No: KT50213")],
            [(50, "Bill To:"), (330, "Ship To:"), (700, "Date: 03/04/2024")],
            [(50, "Nadia Brooks"), (330, "Brooks Bakery")],
            [(50, "Compost 2 bags"), (820, "23.80")], [(50, "TOTAL"), (820, "23.80")]]
    doc = parse_bytes(_page(rows), name="scan.png")
    assert "Bill To: Ship To:" in doc.text
    got = extract_generic(doc, load_schema(SCHEMAS / "invoice.yaml")).values()
    assert got["customer_name"] == "Nadia Brooks"


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr not installed")
def test_scanned_tax_line_opening_with_its_rate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """'zzgl. 19 % USt. 83,60 €' on a scan: the tax's key opens with the rate, its amount is the tax."""
    monkeypatch.setenv("MAPPER_OCR_CACHE", str(tmp_path))
    rows = [[(50, "HARTLEY GARTENBEDARF GMBH")], [(50, "Mühlweg 14, 50667 Köln")],
            [(560, "Rechnungsnr.: KT50213"), ]] + [[(560, "Datum: 03.04.2024")]] + [
            [(560, "Nettobetrag"), (860, "440,00 €")], [(560, "zzgl. 19 % USt."), (860, "83,60 €")],
            [(560, "Gesamtbetrag"), (860, "523,60 €")]]
    doc = parse_bytes(_page(rows), name="scan.png")
    record, sources = extract_explained(doc, load_schema(SCHEMAS / "invoice.yaml"))
    assert str(record.values()["tax_amount"]) == "83.60"
    # read by its label and backed by the sum check (net + tax = total), not a label in running text
    assert sources["tax_amount"].startswith("label") and "check" in sources["tax_amount"]
