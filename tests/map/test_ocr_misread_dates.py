"""A receipt date that OCR made impossible by one misread digit ("19/62/2024": a broken zero read
as 6) is read as the one valid date one look-alike digit away. Real OCR (Tesseract) of an image
drawn here, with an invented shop; the same text typed (not read by OCR) is left alone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipelines.map.extract import extract_generic
from pipelines.map.extract.misread import misread_date
from pipelines.map.normalize import Locale, NormalizeError, normalize
from pipelines.model.schema import load_schema
from pipelines.parse.dispatch import parse_bytes
from tests.support.drawn import draw_lines, png

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def receipt(date: str) -> list[str]:
    return ["WILLOW LANE BAKERY", "4 MILL STREET, ASHTON", "RECEIPT", f"Date: {date}",
            "Rye loaf 1 3.20 3.20", "TOTAL 3.20", "CASH 5.00", "CHANGE 1.80"]


def photo(lines: list[str]) -> bytes:
    return png(draw_lines(lines, (760, 80 + 46 * len(lines)), (50, 40), 46, 28))


def _date(text: str) -> dt.date:
    return normalize(text, "date", locale=Locale())


def test_one_look_alike_digit_makes_the_date() -> None:
    assert misread_date("19/62/2024", _date) == dt.date(2024, 2, 19)
    assert misread_date("36/03/2024", _date) == dt.date(2024, 3, 30)
    # 31 June: the 06 may have been 08 or 05, two valid dates: no guess
    assert misread_date("31/06/2024", _date) is None
    with pytest.raises(NormalizeError):
        _date("19/62/2024")


def _read_as_photo_and_as_text(date_text: str) -> tuple[dict, dict]:
    """The invoice fields of one receipt printed with `date_text`, read from its photo by OCR and
    from its typed text (the OCR reading must hold the date as printed)."""
    schema = load_schema(SCHEMAS / "invoice.yaml")
    doc = parse_bytes(photo(receipt(date_text)), name="receipt.png")
    assert date_text in doc.text
    typed = parse_bytes("\n".join(receipt(date_text)).encode(), name="receipt.txt")
    return extract_generic(doc, schema).fields, extract_generic(typed, schema).fields


def test_impossible_date_read_by_ocr_is_corrected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAPPER_OCR_CACHE", str(tmp_path))
    ocr, typed = _read_as_photo_and_as_text("19/62/2024")
    assert ocr["issue_date"].value == dt.date(2024, 2, 19)
    assert "issue_date" not in typed


def test_year_decades_ahead_read_by_ocr_is_corrected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """'2074' for 2014 (a 1 read as 7) is a valid date, but no receipt is dated decades ahead: the
    one look-alike digit that gives a year not in the future is taken; typed text keeps its year."""
    monkeypatch.setenv("MAPPER_OCR_CACHE", str(tmp_path))
    ocr, typed = _read_as_photo_and_as_text("12/05/2074")
    assert ocr["issue_date"].value == dt.date(2014, 5, 12)
    assert typed["issue_date"].value == dt.date(2074, 5, 12)
    # the near future is no misreading
    assert _read_as_photo_and_as_text("12/05/2031")[0]["issue_date"].value == dt.date(2031, 5, 12)


def test_the_same_date_read_twice_takes_the_surer_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A receipt prints its date twice; OCR read one of them with a look-alike digit ('12/05/16'
    on a speckled line for 12/05/18). The two readings are one date: the surer line's is taken
    (before, the first date was taken, at a lower score as 'the page prints other dates')."""
    import random

    from PIL import Image, ImageDraw, ImageFont

    from tests.support.drawn import FONT

    monkeypatch.setenv("MAPPER_OCR_CACHE", str(tmp_path))
    lines = ["WILLOW LANE BAKERY", "4 MILL STREET, ASHTON", "RECEIPT", "Ref 4471 12/05/16", "Rye loaf 1 3.20 3.20",
             "TOTAL 3.20", "CASH 5.00", "CHANGE 1.80", "12/05/18 10:41"]
    if not FONT.exists():
        pytest.skip(f"{FONT.name} needed to draw the text")
    img = Image.new("L", (760, 80 + 46 * len(lines)), 255)
    draw = ImageDraw.Draw(img)
    face = ImageFont.truetype(str(FONT), 28)
    for i, line in enumerate(lines):
        draw.text((50, 40 + 46 * i), line, fill=0, font=face)
    rnd = random.Random(1)  # specks over the first date's line: a less sure reading of it
    for _ in range(2500):
        img.putpixel((rnd.randint(40, 720), rnd.randint(178, 224)), 255 if rnd.random() < 0.7 else 0)
    doc = parse_bytes(png(img), name="receipt.png")
    assert "12/05/16" in doc.text and "12/05/18" in doc.text
    schema = load_schema(SCHEMAS / "invoice.yaml")
    assert extract_generic(doc, schema).fields["issue_date"].value == dt.date(2018, 5, 12)
