"""Image preparation before OCR (pipelines/parse/ocr_image.py) and OCR line building: a small
receipt scanned on a white page, letter size measured through specks, decimals cut after the
point. The images are made here (DejaVu via tests/parse/test_ocr.py), with invented text."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipelines.parse import ocr, ocr_image
from pipelines.parse.dispatch import parse_bytes
from pipelines.parse.ocr_engines import OcrWord
from tests.parse.test_ocr import FONT, assert_grounded, noisy, ocr_text, word_accuracy

RECEIPT = [
    "GREENWAY HOME SUPPLIES",
    "14 ORCHARD ROW, MILLBRIDGE",
    "Date: 21/07/2025 16:42",
    "Paint roller 2 7.45 14.90",
    "Masking tape 3 2.10 6.30",
    "TOTAL 21.20",
    "CASH 50.00",
    "CHANGE 28.80",
]


def receipt_on_a_page(font_px: int = 14, seed: int = 3) -> Image.Image:
    """A till receipt of small print in the middle of a page scanned at a low resolution: off-white
    paper with faint grain and a few dark specks, the receipt 1/3 of the page wide."""
    if not FONT.exists():
        pytest.skip("DejaVu font needed to draw the receipt")
    rng = np.random.default_rng(seed)
    w, h = 1080, 1527
    paper = np.clip(rng.normal(250, 2.5, (h, w)), 0, 255)
    specks = rng.random((h, w)) < 0.00015
    paper[specks] = rng.uniform(60, 200, int(specks.sum()))
    img = Image.fromarray(paper.astype(np.uint8))
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(FONT), font_px)
    for i, line in enumerate(RECEIPT):
        draw.text((380, 400 + i * round(font_px * 1.5)), line, fill=40, font=font)
    return img


def jpeg(img: Image.Image, quality: int = 60) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def test_small_receipt_on_a_white_page_is_read() -> None:
    # Letters ~10 px tall: Tesseract misread them before they were scaled up, and a 1%
    # autocontrast cut-off turned the JPEG grain around every letter black (the page is >99% paper).
    doc = parse_bytes(jpeg(receipt_on_a_page()), name="receipt.jpg")
    assert_grounded(doc)
    got = ocr_text(doc)
    assert word_accuracy("\n".join(RECEIPT), got) >= 0.9, got
    assert "21.20" in got.split() and "21/07/2025" in got.split()
    (word,) = [w for el in doc.elements for w in el.words or [] if w.text == "GREENWAY"]
    assert abs(word.bbox.x0 - 380 * 72 / 300) < 3 and abs(word.bbox.y0 - 400 * 72 / 300) < 4  # boxes in page points


def test_letter_height_is_measured_through_specks() -> None:
    img = receipt_on_a_page(font_px=14)
    height = ocr_image.letter_height(img)
    assert height is not None and 8 <= height <= 13  # DejaVu at 14 px: capitals 10 px, small letters 8
    assert ocr_image.text_scale(img) == pytest.approx(ocr_image.TEXT_PX / height, rel=0.01)
    big = receipt_on_a_page(font_px=40)
    assert ocr_image.text_scale(big) == 1.0  # letters large enough are left as they are
    blank = noisy(Image.new("L", (600, 400), 250))
    assert ocr_image.letter_height(blank) is None and ocr_image.text_scale(blank) == 1.0


def test_contrast_is_stretched_only_when_low() -> None:
    dim = Image.fromarray(np.where(np.asarray(receipt_on_a_page()) < 128, 110, 170).astype(np.uint8))
    out = np.asarray(ocr_image.stretch(dim))
    assert out.min() == 0 and out.max() == 255
    page = receipt_on_a_page()
    assert np.array_equal(np.asarray(ocr_image.stretch(page)), np.asarray(page))


def _word(text: str, left: int, width: int, top: int = 100, height: int = 20) -> OcrWord:
    return OcrWord(text, 0.9, left, top, width, height, (1, 1, 1))


def test_decimals_cut_after_the_point_are_joined() -> None:
    words = [_word("TOTAL", 0, 60), _word("RM", 70, 30), _word("39.", 110, 34), _word("80", 156, 22, top=101)]
    (line,) = ocr.build_lines(words, 0.5)
    assert line.text == "TOTAL RM 39.80"
    assert [w for w, _, _ in line.words] == ["TOTAL", "RM", "39.80"]
    assert line.words[2][2] == (55.0, 50.0, 89.0, 60.5)  # the union of both boxes, in points
    assert line.words[2][1] == line.text.index("39.80")


def test_engine_lines_on_one_baseline_are_one_row() -> None:
    # Tesseract read the labels and the amounts as two blocks: block 1 "TOTAL", "CASH", block 2
    # "12.30", "20.00". Rows pair them again, top to bottom, the column gap written as in PDFs.
    words = [_word("TOTAL", 0, 60, top=100), _word("CASH", 0, 50, top=130), _word("Thank", 0, 60, top=170),
             _word("12.30", 300, 50, top=102), _word("20.00", 300, 50, top=131)]
    for w, line in zip(words, [(1, 1, 1), (1, 1, 2), (1, 1, 3), (2, 1, 1), (2, 1, 2)]):
        w.line = line
    lines = ocr.build_lines(words, 1.0)
    assert [ln.text for ln in lines] == ["TOTAL" + ocr.COL_SEP + "12.30", "CASH" + ocr.COL_SEP + "20.00", "Thank"]
    assert lines[0].words[1] == ("12.30", 8, (300.0, 102.0, 350.0, 122.0))
    # Two lines of one column stay two rows, and so do overlapping words half a line apart.
    stacked = [_word("A", 0, 20, top=100), _word("B", 0, 20, top=112)]
    stacked[1].line = (1, 1, 2)
    assert [ln.text for ln in ocr.build_lines(stacked, 1.0)] == ["A", "B"]


@pytest.mark.parametrize("words", [
    [_word("Qty", 0, 40), _word("2,", 50, 20), _word("15", 120, 22)],  # a wide gap: two numbers
    [_word("12.", 0, 34), _word("345", 40, 33)],  # three digits are no decimals
    [_word("No.", 0, 34), _word("12", 40, 22)],  # no number before the point
])
def test_numbers_apart_stay_apart(words: list[OcrWord]) -> None:
    (line,) = ocr.build_lines(words, 1.0)
    assert len(line.words) == len(words)


def test_rows_read_unsurely_are_dropped() -> None:
    # A logo above the shop's name read as letters with little confidence is no text.
    logo = [OcrWord("Xo8.", 0.2, 0, 40, 60, 30, (1, 1, 1)), OcrWord("ll", 0.25, 70, 40, 20, 30, (1, 1, 1))]
    name = [OcrWord("NORTHFIELD", 0.9, 0, 100, 120, 20, (2, 1, 1)), OcrWord("CYCLES", 0.2, 130, 100, 70, 20, (2, 1, 1))]
    assert [ln.text for ln in ocr.build_lines(logo + name, 1.0)] == ["NORTHFIELD CYCLES"]  # mean 0.55: kept whole
