"""OCR of scans and photos (Tesseract): generated scans with known text, and the shipped scan.

The scans are made here: text rendered with a TTF font (DejaVu; reportlab + PDFium when no TTF
is installed), then degraded - noise and blur, a 90 degree turn, a 2 degree skew, a dim photo.
Tesseract must be installed (CI installs it): without it these tests fail, they do not skip.
The "no engine installed" path is tested by hiding the engine.
"""

from __future__ import annotations

import dataclasses

import difflib
import importlib.util
import io
from email.message import EmailMessage
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from pipelines.model.document import Kind, Reason, Status
from pipelines.parse import ocr, ocr_engines
from pipelines.parse.dispatch import parse_bytes
from tests.support.shipped import MAPPINGS

_spec = importlib.util.spec_from_file_location("conftest_pdf", Path(__file__).with_name("conftest_pdf.py"))
pdfs = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(pdfs)  # type: ignore[union-attr]

ROOT = Path(__file__).resolve().parents[2]
SCAN = ROOT / "data_samples" / "invoices" / "scan_20260217_093112.pdf"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
DPI = 200
LINES = [
    "ACME WATER SUPPLIES LIMITED",
    "Invoice number INV-2026-0417",
    "Invoice date 14 March 2026",
    "Customer account SEVV-0042",
    "Chlorine dosing pump service 2 480.00",
    "Replacement diaphragm kit 4 126.50",
    "Net total 1,466.00",
    "VAT 20% 293.20",
    "Total due GBP 1,759.20",
    "Payment within 30 days to Barclays Bank",
]
TEXT = "\n".join(LINES)
MARGIN, LINE_H, FONT_PX = 80, 56, 30  # pixels at DPI
# Floors under what was measured with Tesseract 5.3.0 (printed with -s): words/characters - PNG with
# noise and blur 1.000/1.000, turned 90 and 270 1.000/1.000, skewed 2 degrees 0.953/0.998, dim JPEG photo 1.000/1.000.
WORD_FLOOR = 0.9
CHAR_FLOOR = 0.95


# --- making scans -----------------------------------------------------------------------------


def page_image(lines: list[str] = LINES) -> Image.Image:
    """A clean 'scan' of `lines` at DPI: black text on white, grayscale."""
    w, h = 1240, MARGIN * 2 + LINE_H * len(lines)
    if FONT.exists():
        img = Image.new("L", (w, h), 255)
        draw = ImageDraw.Draw(img)
        font = ImageFont.truetype(str(FONT), FONT_PX)
        for i, line in enumerate(lines):
            draw.text((MARGIN, MARGIN + i * LINE_H), line, fill=0, font=font)
        return img
    return _reportlab_page(lines, w, h)


def _reportlab_page(lines: list[str], w: int, h: int) -> Image.Image:
    import pypdfium2 as pdfium
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    pw, ph = w * 72 / DPI, h * 72 / DPI
    c = canvas.Canvas(buf, pagesize=(pw, ph))
    c.setFont("Helvetica", FONT_PX * 72 / DPI)
    for i, line in enumerate(lines):
        c.drawString(MARGIN * 72 / DPI, ph - (MARGIN + i * LINE_H + FONT_PX) * 72 / DPI, line)
    c.save()
    pdf = pdfium.PdfDocument(buf.getvalue())
    return pdf[0].render(scale=DPI / 72, grayscale=True).to_pil()


def noisy(img: Image.Image, seed: int = 7) -> Image.Image:
    """Scanner noise: a slight blur, gaussian grain and dark specks."""
    rng = np.random.default_rng(seed)
    arr = np.asarray(img.filter(ImageFilter.GaussianBlur(1.0)), dtype=np.float64)
    arr = arr + rng.normal(0, 18, arr.shape)
    specks = rng.random(arr.shape) < 0.0008
    arr[specks] = 0
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def skewed(img: Image.Image, degrees: float = 2.0) -> Image.Image:
    return img.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)


def dim_photo(img: Image.Image) -> Image.Image:
    """A low-contrast colour photo: grey ink on grey paper."""
    arr = 95 + np.asarray(img, dtype=np.float64) * (160 - 95) / 255
    grey = Image.fromarray(arr.astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.8))
    return Image.merge("RGB", (grey, grey, grey.point(lambda v: max(v - 10, 0))))


def encode(img: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, dpi=(DPI, DPI), **kw)
    return buf.getvalue()


def tiff(frames: list[Image.Image]) -> bytes:
    buf = io.BytesIO()
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:], dpi=(DPI, DPI), compression="tiff_deflate")
    return buf.getvalue()


def scanned_pdf(frames: list[Image.Image]) -> bytes:
    """Each image as one page, drawn full-page at DPI (a scanner's PDF: no text layer)."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for img in frames:
        pw, ph = img.width * 72 / DPI, img.height * 72 / DPI
        c.setPageSize((pw, ph))
        c.drawImage(ImageReader(img), 0, 0, width=pw, height=ph)
        c.showPage()
    c.save()
    return buf.getvalue()


def receipt_email(jpeg: bytes) -> bytes:
    m = EmailMessage()
    m["From"] = "Jo Bloggs <jo@example.com>"
    m["To"] = "accounts@example.com"
    m["Subject"] = "Receipt for the pump service"
    m["Date"] = "Thu, 05 Mar 2026 14:03:00 +0000"
    m.set_content("Photo of the receipt attached.\n")
    m.add_attachment(jpeg, maintype="image", subtype="jpeg", filename="receipt.jpg")
    return m.as_bytes()


# --- scoring ----------------------------------------------------------------------------------


def word_accuracy(expected: str, got: str) -> float:
    """Share of the expected words read, in order (matching blocks of the two word sequences)."""
    exp, out = expected.split(), got.split()
    matched = sum(b.size for b in difflib.SequenceMatcher(None, exp, out, autojunk=False).get_matching_blocks())
    return matched / len(exp)


def char_accuracy(expected: str, got: str) -> float:
    return difflib.SequenceMatcher(None, " ".join(expected.split()), " ".join(got.split()), autojunk=False).ratio()


def ocr_text(doc) -> str:  # noqa: ANN001
    return "\n".join(el.text for el in doc.elements if el.attrs.get("source") == "ocr")


def assert_grounded(doc) -> None:  # noqa: ANN001
    assert doc.status is Status.PARSED, (doc.reason, doc.reason_text)
    sizes = {p.number: p for p in doc.pages}
    for el in doc.elements:
        assert doc.text[el.start:el.end] == el.text
        if el.attrs.get("source") != "ocr":
            continue
        assert el.kind is Kind.LINE and el.page in sizes and not sizes[el.page].has_text_layer
        assert 0.0 <= el.attrs["ocr_confidence"] <= 1.0
        assert el.words and " ".join(w.text for w in el.words) == " ".join(el.text.split())  # column gaps: ocr.COL_SEP
        page = sizes[el.page]
        for w in el.words:
            assert doc.text[w.start:w.end] == w.text
            b = w.bbox
            assert -1 <= b.x0 < b.x1 <= page.width + 1 and -1 <= b.y0 < b.y1 <= page.height + 1, (w, page)


REPORT: dict[str, tuple[float, float]] = {}


def check_reading(name: str, doc, floor: float = WORD_FLOOR) -> None:  # noqa: ANN001
    assert_grounded(doc)
    got = ocr_text(doc)
    words, chars = word_accuracy(TEXT, got), char_accuracy(TEXT, got)
    REPORT[name] = (words, chars)
    print(f"OCR accuracy {name}: words {words:.3f}, characters {chars:.3f}")
    assert words >= floor and chars >= CHAR_FLOOR, (name, words, chars, got)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAPPER_OCR_CACHE", str(tmp_path / "ocr_cache"))


# --- tests ------------------------------------------------------------------------------------


def test_tesseract_is_installed() -> None:
    engine = ocr.get_engine()
    assert engine is not None, "tesseract is not installed: apt-get install tesseract-ocr (CI installs it)"
    assert engine.name == "tesseract" and engine.version().startswith(("4.", "5."))


def test_png_scan_with_noise_and_blur_is_read_with_positions() -> None:
    doc = parse_bytes(encode(noisy(page_image()), "PNG"), name="scan.png")
    assert doc.media_type == "image/png"
    check_reading("png noise+blur", doc)
    (page,) = doc.pages
    assert (page.width, page.height) == pytest.approx((1240 * 72 / DPI, (MARGIN * 2 + LINE_H * len(LINES)) * 72 / DPI), abs=1)
    meta = doc.metadata["ocr"]
    assert meta["engine"] == "tesseract" and 0.6 < meta["mean_confidence"] <= 1 and meta["pages"][0]["page"] == 1
    # The invoice number's box is where it was drawn: line 2, from the left margin (points).
    (word,) = [w for el in doc.elements for w in el.words or [] if w.text == "INV-2026-0417"]
    top = (MARGIN + LINE_H) * 72 / DPI
    assert abs(word.bbox.y0 - top) < 8 and word.bbox.x0 > MARGIN * 72 / DPI + 50, word.bbox
    assert doc.text[word.start:word.end] == "INV-2026-0417"


@pytest.mark.parametrize(("degrees", "noise"), [(90, False), (270, True)])
def test_page_turned_90_degrees_is_read_upright(degrees: int, noise: bool) -> None:
    img = page_image().rotate(degrees, expand=True)  # counter-clockwise
    doc = parse_bytes(encode(noisy(img) if noise else img, "PNG"), name="turned.png")
    check_reading(f"png turned {degrees}" + (" +noise" if noise else ""), doc)
    assert doc.metadata["ocr"]["pages"][0]["rotation"] == degrees  # turned back clockwise by as much
    page = doc.pages[0]
    assert page.width > page.height  # the upright frame of a landscape-wide page


def test_skewed_page_is_deskewed() -> None:
    doc = parse_bytes(encode(noisy(skewed(page_image(), 2.0)), "PNG"), name="skewed.png")
    check_reading("png skewed 2deg", doc)
    assert doc.metadata["ocr"]["pages"][0]["skew"] == pytest.approx(-2.0, abs=0.4)


def test_skew_estimate() -> None:
    img = page_image()
    for degrees in (-3.0, 1.5):
        assert ocr.estimate_skew(skewed(img, degrees)) == pytest.approx(-degrees, abs=0.3)
    assert ocr.estimate_skew(img) == pytest.approx(0.0, abs=0.3)


def test_two_page_scanned_pdf_is_ocrd_page_by_page() -> None:
    second = ["Page two of the scan", "Total due GBP 1,759.20"]
    doc = parse_bytes(scanned_pdf([noisy(page_image()), page_image(second)]), name="scan.pdf")
    assert doc.media_type == "application/pdf"
    assert_grounded(doc)
    assert [p.has_text_layer for p in doc.pages] == [False, False]
    assert [p["page"] for p in doc.metadata["ocr"]["pages"]] == [1, 2]
    assert sorted({el.page for el in doc.elements}) == [1, 2]
    assert doc.text.count("\f") == 1 and doc.text.index("INV-2026-0417") < doc.text.index("\f") < doc.text.index("Page two")
    assert word_accuracy(TEXT, doc.text.split("\f")[0]) >= WORD_FLOOR
    # Boxes in PDF points: the word sits where the image put it on the page.
    (word,) = [w for el in doc.elements for w in el.words or [] if w.text == "INV-2026-0417"]
    assert abs(word.bbox.y0 - (MARGIN + LINE_H) * 72 / DPI) < 8


def test_scanned_page_between_text_pages_is_ocrd_in_place() -> None:
    doc = parse_bytes(pdfs.mixed_pdf(), name="mixed.pdf")
    assert_grounded(doc)
    assert [p.has_text_layer for p in doc.pages] == [True, False, True]
    assert sorted({el.page for el in doc.elements}) == [1, 2, 3]
    assert [el.page for el in doc.elements] == sorted(el.page for el in doc.elements)
    assert "SCANNED INVOICE 4711" in doc.text.split("\f")[1]
    assert not any("need OCR" in w for w in doc.warnings), doc.warnings
    assert [p["page"] for p in doc.metadata["ocr"]["pages"]] == [2]


def test_unreadable_text_layer_is_ocrd() -> None:
    doc = parse_bytes(pdfs.garbage_text_pdf(), name="garbage.pdf")
    assert_grounded(doc)
    assert "Invoice number 12345" in doc.text and doc.pages[0].has_text_layer is False


def test_multi_page_tiff_gives_one_page_per_frame() -> None:
    doc = parse_bytes(tiff([page_image(), page_image(["Second frame of the TIFF", "Invoice number INV-2026-0418"])]), name="fax.tiff")
    assert doc.media_type == "image/tiff"
    assert_grounded(doc)
    assert len(doc.pages) == 2 and {el.page for el in doc.elements} == {1, 2}
    assert "INV-2026-0417" in doc.text.split("\f")[0] and "INV-2026-0418" in doc.text.split("\f")[1]


def test_photographed_receipt_in_an_email_is_read() -> None:
    jpeg = encode(dim_photo(page_image()), "JPEG", quality=70)
    doc = parse_bytes(receipt_email(jpeg), name="receipt.eml")
    assert doc.status is Status.PARSED
    (child,) = doc.children
    assert child.media_type == "image/jpeg" and child.parent_id == doc.id
    check_reading("jpeg dim photo in email", child)


def dot_matrix(lines: list[str]) -> Image.Image:
    """A receipt printed by a dot-matrix head: each glyph's ink only at separate dots, 3 px apart."""
    mono = FONT.with_name("DejaVuSansMono.ttf")
    if not mono.exists():
        pytest.skip("DejaVu Sans Mono needed to draw the receipt")
    img = Image.new("L", (700, 60 + 50 * len(lines)), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(mono), 30)
    for i, line in enumerate(lines):
        draw.text((40, 30 + i * 50), line, fill=0, font=font)
    arr = np.asarray(img)
    yy, xx = np.mgrid[0:arr.shape[0], 0:arr.shape[1]]
    return Image.fromarray(np.where((arr < 128) & (yy % 3 == 0) & (xx % 3 == 0), 0, 255).astype(np.uint8))


def test_dot_matrix_receipt_is_read_through_its_thickened_strokes() -> None:
    # The page as it is reads as nothing at all (separate dots are no strokes); the second
    # reading, strokes thickened, finds the lines.
    img = dot_matrix(["SUBTOTAL 140.00", "ROUNDING 0.00", "TOTAL 141.50", "CASH 150.00", "CHANGE 8.50"])
    engine = ocr.get_engine()
    assert engine is not None and not [w for w in engine.recognize(img, 60) if w.text.strip(".,'")]
    doc = parse_bytes(encode(img, "PNG"), name="receipt.png")
    assert "SUBTOTAL 140.00" in doc.text and "TOTAL 141." in doc.text and "CASH 150" in doc.text
    assert_grounded(doc)


def test_ocr_results_are_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    data = encode(page_image(LINES[:3]), "PNG")
    first = parse_bytes(data, name="a.png")
    assert first.metadata["ocr"]["pages"][0]["cached"] is False

    def boom(*_a: object, **_k: object) -> None:
        raise AssertionError("OCR ran again")

    monkeypatch.setattr(ocr_engines.TesseractEngine, "recognize", boom)
    again = parse_bytes(data, name="a.png")
    assert again.metadata["ocr"]["pages"][0]["cached"] is True
    assert again.text == first.text and again.to_dict()["elements"] == first.to_dict()["elements"]


def test_without_an_engine_scans_are_refused_with_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr_engines.TesseractEngine, "available", lambda self: False)
    assert ocr.get_engine() is None
    png = parse_bytes(encode(page_image(LINES[:2]), "PNG"), name="scan.png")
    pdf = parse_bytes(scanned_pdf([page_image(LINES[:2])]), name="scan.pdf")
    for doc in (png, pdf):
        assert doc.status is Status.QUARANTINED and doc.reason is Reason.NEEDS_OCR
        assert "no OCR engine installed (install tesseract-ocr: apt-get install tesseract-ocr)" in (doc.reason_text or "")
        assert doc.text == "" and doc.elements == []
    assert png.reason_text.startswith("image/png image has no text layer and needs OCR")
    assert pdf.reason_text.startswith("1 of 1 pages have no text layer (scanned) and need OCR")


def test_undecodable_image_is_corrupt() -> None:
    doc = parse_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, name="broken.png")
    assert doc.status is Status.QUARANTINED and doc.reason is Reason.CORRUPT


def test_shipped_scan_parses_and_maps_to_an_invoice_with_ocr_evidence() -> None:
    from pipelines.run.mapper import Mapper
    from pipelines.validate.validator import ocr_issues

    doc = parse_bytes(SCAN.read_bytes(), name=SCAN.name)
    assert_grounded(doc)
    assert "HCS/118477" in doc.text
    assert doc.pages[0].has_text_layer is False and doc.metadata["ocr"]["mean_confidence"] > 0.7
    outcome = Mapper.from_dirs(ROOT / "schemas", MAPPINGS).decide(doc)
    (rec,) = outcome.records
    assert rec.schema == "invoice"
    values = rec.values()
    assert str(values["total_amount"]) == "6445.32" and values["currency"] == "GBP"
    ocr_lines = [el for el in doc.elements if el.attrs.get("source") == "ocr"]
    fv = rec.fields["total_amount"]
    assert fv.evidence is not None and any(el.start <= fv.evidence.start < el.end for el in ocr_lines)
    # A generic value read from OCR lines goes to a person even when the OCR was sure (its
    # confidence is calibrated on text, not images); a rule's value of a coached layout does not.
    in_ocr = {n for n, f in rec.fields.items() if f.evidence is not None
              and any(el.start < f.evidence.end and f.evidence.start < el.end for el in ocr_lines)}
    flagged = {i.field for i in ocr_issues(rec, doc)}
    generic = {n for n in in_ocr if rec.fields[n].method == "generic"}
    assert generic <= flagged and all(i.code == "low_confidence" for i in ocr_issues(rec, doc))
    rec.fields["total_amount"] = dataclasses.replace(fv, method="generic")
    assert "total_amount" in {i.field for i in ocr_issues(rec, doc)}
    rec.fields["total_amount"] = dataclasses.replace(fv, method="rule")
    assert "total_amount" not in {i.field for i in ocr_issues(rec, doc)}
    # Evidence in uncertain OCR lines is flagged for review, whoever read it.
    for el in ocr_lines:
        el.attrs["ocr_confidence"] = 0.3
    flagged = {i.field for i in ocr_issues(rec, doc)}
    assert "total_amount" in flagged and all(i.code == "low_confidence" for i in ocr_issues(rec, doc))


def test_engine_timeout_is_a_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(*_a: object, **_k: object) -> None:
        raise RuntimeError("Tesseract process timeout")  # what pytesseract raises

    monkeypatch.setattr(ocr_engines.TesseractEngine, "recognize", slow)
    doc = parse_bytes(encode(page_image(LINES[:2]), "PNG"), name="slow.png")
    assert doc.status is Status.QUARANTINED and doc.reason is Reason.TIMEOUT


def test_scan_without_any_text_is_empty() -> None:
    blank = Image.new("L", (600, 400), 250)
    for data, name in ((encode(noisy(blank), "PNG"), "blank.png"), (scanned_pdf([noisy(blank)]), "blank.pdf")):
        doc = parse_bytes(data, name=name)
        assert doc.status is Status.QUARANTINED and doc.reason is Reason.EMPTY, (name, doc.reason_text)
        assert "OCR found no text" in (doc.reason_text or "")


def test_an_image_taller_than_tesseract_accepts_is_scaled_to_fit_and_read() -> None:
    """Tesseract refuses an image side over 32,767 pixels; a long till roll photographed in one
    piece (1240 x 40,000 here) was quarantined as an internal error with a traceback. It is
    scaled to fit, and its text is read."""
    page = page_image(LINES[:3])
    tall = Image.new("L", (page.width, 40_000), 255)
    tall.paste(page, (0, 0))
    buf = io.BytesIO()
    tall.save(buf, format="PNG")
    doc = parse_bytes(buf.getvalue(), name="till_roll.png")
    assert doc.status == Status.PARSED, doc.reason
    assert doc.text.strip()


def test_section_sign_is_read_as_the_5_or_s_it_stands_for() -> None:
    """Tesseract reads a receipt font's 5 (or S) as '§', which no receipt prints: before a digit it
    is a 5, before a letter an S. Drawn here with the sign itself, read by the real engine."""
    doc = parse_bytes(encode(page_image(["LOT 12, JALAN KERIS", "§2100 KEPONG BARU", "Total : §8.20",
                                         "§R 6% 0.49"]), "PNG"), name="r.png")
    assert "52100 KEPONG BARU" in doc.text and "58.20" in doc.text and "SR 6%" in doc.text
    assert "§" not in doc.text
    assert all("§" not in w.text for el in doc.elements for w in el.words or [])
    assert ocr.read_glyphs("§ 12 and §") == "§ 12 and §"  # not before a letter or digit: left as read
