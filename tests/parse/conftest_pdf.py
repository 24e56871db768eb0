"""PDF builders shared by the PDF parser tests and `benchmarks/parse.py` (reportlab, deterministic).

Not a pytest conftest: import it explicitly (tests load it by path so it works with or without
package `__init__` files).
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from typing import Any

from reportlab.lib.pagesizes import A4, letter
from reportlab.pdfgen import canvas

PAGE_W, PAGE_H = letter
ITEMS = [
    "Consulting services", "Cloud hosting (monthly)", "Support contract", "Travel expenses",
    "Software licence, 12 months", "Data migration", "Training workshop", "Hardware: laptop",
    "Network switch 24-port", "Backup storage 2 TB", "On-site visit", "Project management",
]


def _pdf(draw: Callable[[canvas.Canvas], None], **kwargs: Any) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=kwargs.pop("pagesize", letter), **kwargs)
    draw(c)
    c.save()
    return buf.getvalue()


def draw_invoice_page(c: canvas.Canvas, n: int, total_pages: int, *, rng: random.Random, table: str = "ruled") -> None:
    """One invoice-like page: header, key-value block, line-item table, totals, footer.

    table: "ruled" (full grid), "rules" (header/footer rules only, the common invoice look),
    "none" (borderless, aligned by whitespace) or "" (no table on this page: a text page).
    """
    top = PAGE_H - 50
    c.setFont("Helvetica-Bold", 18)
    c.drawString(50, top, "ACME Widgets GmbH")
    c.setFont("Helvetica", 9)
    c.drawString(50, top - 16, "Hauptstrasse 12, 10115 Berlin, Germany")
    c.drawString(50, top - 28, "VAT ID: DE123456789   IBAN: DE89 3704 0044 0532 0130 00")
    c.setFont("Helvetica-Bold", 14)
    c.drawString(400, top, "INVOICE")
    c.setFont("Helvetica", 10)
    c.drawString(400, top - 18, f"Invoice No: INV-2024-{n:05d}")
    c.drawString(400, top - 31, "Date: 2024-03-01")
    c.drawString(400, top - 44, "Due date: 2024-03-31")
    c.drawString(50, top - 60, "Bill to:")
    c.drawString(50, top - 73, f"Customer {n} Ltd, 1 Market Street, London")
    y = top - 110
    if table:
        y = _draw_items(c, y, rng, table)
    else:
        c.setFont("Helvetica", 10)
        for i in range(30):
            words = " ".join(rng.choice(ITEMS).lower() for _ in range(4))
            c.drawString(50, y, f"Note {i + 1}: terms and conditions apply to {words}.")
            y -= 14
    c.setFont("Helvetica", 8)
    c.drawString(50, 30, "Thank you for your business. Payment within 30 days.")
    c.drawRightString(PAGE_W - 50, 30, f"Page {n} of {total_pages}")


def _draw_items(c: canvas.Canvas, y: float, rng: random.Random, style: str) -> float:
    cols = [50, 80, 330, 380, 460, PAGE_W - 50]  # column edges
    header = ["#", "Description", "Qty", "Unit price", "Amount"]
    row_h = 16
    rows = []
    for i in range(rng.randint(8, 22)):
        qty = rng.randint(1, 9)
        price = rng.randint(100, 99999) / 100
        rows.append([str(i + 1), rng.choice(ITEMS), str(qty), f"{price:,.2f}", f"{qty * price:,.2f}"])
    top_y = y + 12
    c.setFont("Helvetica-Bold", 10)
    for x, text in zip(cols, header):
        c.drawString(x + 3, y, text)
    c.setFont("Helvetica", 10)
    for r, row in enumerate(rows, 1):
        ry = y - r * row_h
        for k, (x, text) in enumerate(zip(cols, row)):
            if k >= 2:  # numbers right-aligned in their column
                c.drawRightString(cols[k + 1] - 3, ry, text)
            else:
                c.drawString(x + 3, ry, text)
    bottom_y = y - len(rows) * row_h - 5
    c.setLineWidth(0.5)
    if style == "ruled":
        for r in range(len(rows) + 2):
            yy = top_y - r * row_h if r <= len(rows) else bottom_y
            c.line(cols[0], yy, cols[-1], yy)
        for x in cols:
            c.line(x, top_y, x, bottom_y)
    elif style == "rules":
        c.line(cols[0], top_y, cols[-1], top_y)
        c.line(cols[0], top_y - row_h, cols[-1], top_y - row_h)
        c.line(cols[0], bottom_y, cols[-1], bottom_y)
    total = sum(float(r[4].replace(",", "")) for r in rows)
    y = bottom_y - 20
    for label, value in (("Subtotal", total), ("VAT 19%", total * 0.19), ("Total due", total * 1.19)):
        c.drawString(380, y, f"{label}:")
        c.drawRightString(cols[-1] - 3, y, f"{value:,.2f} EUR")
        y -= 14
    return y


def invoice_pdf(pages: int, *, seed: int = 1, text_every: int = 0, styles: tuple[str, ...] = ("ruled", "rules", "none")) -> bytes:
    """A multi-page invoice-like PDF; the table style cycles through `styles`, and every
    `text_every`-th page (if set) is a page of running text without a table."""
    rng = random.Random(seed)

    def draw(c: canvas.Canvas) -> None:
        c.setTitle("Invoice batch")
        c.setAuthor("ACME Billing")
        for n in range(1, pages + 1):
            text_page = bool(text_every) and n % text_every == 0
            draw_invoice_page(c, n, pages, rng=rng, table="" if text_page else styles[(n - 1) % len(styles)])
            c.showPage()

    return _pdf(draw)


# --- small single-purpose PDFs for the tests -------------------------------------------------


def text_pdf() -> bytes:
    """Digital text: a heading, key-value lines, a paragraph, two far-apart groups on one line."""

    def draw(c: canvas.Canvas) -> None:
        c.setTitle("Test invoice")
        c.setAuthor("Jane Doe")
        c.setFont("Helvetica-Bold", 16)
        c.drawString(72, 720, "ACME Widgets")
        c.setFont("Helvetica", 11)
        c.drawString(72, 690, "Invoice No: INV-001")
        c.drawString(72, 675, "Date: 2024-01-15")
        c.drawString(72, 640, "Thank you for your order. Payment is due within thirty days.")
        c.drawString(72, 610, "Customer ref:")
        c.drawString(300, 610, "CR-778")  # far to the right on the same baseline
        c.drawString(72, 580, "Total: 1,234.50 EUR")

    return _pdf(draw)


def table_pdf(style: str) -> bytes:
    """One invoice page whose line items are a ruled ("ruled"), rules-only or borderless table."""
    return _pdf(lambda c: draw_invoice_page(c, 1, 1, rng=random.Random(7), table=style))


def _grid_rows() -> list[list[str]]:
    return [["Item", "Qty", "Price"], ["Apples", "3", "1.20"], ["Pears", "12", "0.80"], ["Plums", "7", "2.05"]]


def grid_pdf(how: str) -> bytes:
    """A ruled 4x3 table drawn as: "lines" (one path per line), "path" (one compound path),
    "rects" (a stroked rectangle per cell) or "form" (lines inside a translated Form XObject)."""
    rows = _grid_rows()
    xs, row_h, top = [100, 250, 330, 430], 20, 600

    def grid(c: canvas.Canvas, dx: float = 0, dy: float = 0) -> None:
        ys = [top - r * row_h for r in range(len(rows) + 1)]
        if how == "rects":
            for r in range(len(rows)):
                for k in range(len(xs) - 1):
                    c.rect(xs[k] + dx, ys[r + 1] + dy, xs[k + 1] - xs[k], row_h, stroke=1, fill=0)
        elif how == "path":
            p = c.beginPath()
            for y in ys:
                p.moveTo(xs[0] + dx, y + dy)
                p.lineTo(xs[-1] + dx, y + dy)
            for x in xs:
                p.moveTo(x + dx, ys[0] + dy)
                p.lineTo(x + dx, ys[-1] + dy)
            c.drawPath(p, stroke=1, fill=0)
        else:
            for y in ys:
                c.line(xs[0] + dx, y + dy, xs[-1] + dx, y + dy)
            for x in xs:
                c.line(x + dx, ys[0] + dy, x + dx, ys[-1] + dy)

    def draw(c: canvas.Canvas) -> None:
        c.setFont("Helvetica", 10)
        c.drawString(100, 650, "Order summary")
        if how == "form":
            c.beginForm("grid")
            grid(c, dx=-60, dy=-100)  # drawn off-place; the translate below puts it back
            c.endForm()
            c.saveState()
            c.translate(60, 100)
            c.doForm("grid")
            c.restoreState()
        else:
            grid(c)
        for r, row in enumerate(rows):
            for k, text in enumerate(row):
                c.drawString(xs[k] + 4, top - (r + 1) * row_h + 6, text)
        c.drawString(100, 480, "Thank you.")

    return _pdf(draw)


def image_page(c: canvas.Canvas, text: str = "SCANNED INVOICE 4711") -> None:
    """A page that is only a picture of text (what a scanner produces)."""
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader

    img = Image.new("RGB", (850, 1100), "white")
    d = ImageDraw.Draw(img)
    for i in range(20):
        d.text((60, 60 + i * 40), f"{text} line {i}", fill="black")
    c.drawImage(ImageReader(img), 0, 0, width=PAGE_W, height=PAGE_H)


def scanned_pdf(pages: int = 2) -> bytes:
    def draw(c: canvas.Canvas) -> None:
        for _ in range(pages):
            image_page(c)
            c.showPage()

    return _pdf(draw)


def mixed_pdf() -> bytes:
    """Page 1 digital text, page 2 a scan, page 3 digital text."""

    def draw(c: canvas.Canvas) -> None:
        c.setFont("Helvetica", 11)
        c.drawString(72, 700, "Page one: Invoice No: MIX-1")
        c.showPage()
        image_page(c)
        c.showPage()
        c.setFont("Helvetica", 11)
        c.drawString(72, 700, "Page three: Total: 99.00")
        c.showPage()

    return _pdf(draw)


def blank_pdf() -> bytes:
    return _pdf(lambda c: c.showPage())


ROTATED_LINES = [(72, 100, "Rotated page: Invoice No: ROT-9"), (72, 700, "Bottom line of the page")]


def rotated_pdf(rotation: int) -> bytes:
    """A page with /Rotate whose content is drawn counter-rotated, so it reads upright on screen
    (how scanners and landscape exports do it). ROTATED_LINES are (x, y from the top, text) as
    displayed on an A4 portrait page."""

    def draw(c: canvas.Canvas) -> None:
        c.setPageRotation(rotation)
        # reportlab swaps the media box for 90/270: user space is then A4 landscape.
        w, h = (A4[1], A4[0]) if rotation in (90, 270) else A4
        c.setFont("Helvetica", 11)
        for x, y, text in ROTATED_LINES:
            u, v = {0: (x, h - y), 90: (y, x), 180: (w - x, y), 270: (w - y, h - x)}[rotation]
            c.saveState()
            c.translate(u, v)
            c.rotate(rotation)
            c.drawString(0, 0, text)
            c.restoreState()

    return _pdf(draw, pagesize=A4)


def encrypted_pdf(user_password: str) -> bytes:
    from reportlab.lib import pdfencrypt

    enc = pdfencrypt.StandardEncryption(user_password, ownerPassword="owner-secret", canPrint=0)

    def draw(c: canvas.Canvas) -> None:
        c.drawString(72, 700, "Confidential: Invoice No: SEC-1")

    return _pdf(draw, encrypt=enc)


def many_pages_pdf(pages: int) -> bytes:
    def draw(c: canvas.Canvas) -> None:
        for n in range(pages):
            c.drawString(72, 700, f"Page {n + 1}")
            c.showPage()

    return _pdf(draw)


def raw_pdf(content: bytes, *, to_unicode: bytes | None = None, pages: int = 1) -> bytes:
    """A hand-built PDF (one Helvetica font, optional /ToUnicode map), for text layers that
    reportlab will not produce: e.g. glyphs mapped to private-use code points."""
    objs: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + i} 0 R" for i in range(pages)).encode()
    objs.append(b"<< /Type /Pages /Kids [" + kids + b"] /Count " + str(pages).encode() + b" >>")
    font_id, content_id, cmap_id = 3 + pages, 4 + pages, 5 + pages
    for _ in range(pages):
        objs.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
            % (font_id, content_id)
        )
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica"
    if to_unicode is not None:
        font += b" /ToUnicode %d 0 R" % cmap_id
    objs.append(font + b" >>")
    objs.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    if to_unicode is not None:
        objs.append(b"<< /Length %d >>\nstream\n" % len(to_unicode) + to_unicode + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


PRIVATE_USE_CMAP = b"""/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Garbage-UCS def
/CMapType 2 def
1 begincodespacerange
<00> <FF>
endcodespacerange
1 beginbfrange
<00> <FF> <E000>
endbfrange
endcmap
CMapName currentdict /CMap defineresource pop
end
end"""


def garbage_text_pdf() -> bytes:
    """Text whose font maps every glyph to a private-use code point: unreadable without OCR."""
    content = b"BT /F1 12 Tf 72 700 Td (Invoice number 12345 total due 99.00) Tj 0 -20 Td (More text on the page) Tj ET"
    return raw_pdf(content, to_unicode=PRIVATE_USE_CMAP)


def astral_text_pdf() -> bytes:
    """Text with a character outside the BMP (U+1D400, a surrogate pair in UTF-16): PDFium's
    character indices and its UTF-16 text then differ in length."""
    cmap = b"""/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CMapName /Astral-UCS def
/CMapType 2 def
1 begincodespacerange
<00> <FF>
endcodespacerange
2 beginbfrange
<20> <40> <0020>
<42> <7E> <0042>
endbfrange
1 beginbfchar
<41> <D835DC00>
endbfchar
endcmap
CMapName currentdict /CMap defineresource pop
end
end"""
    content = b"BT /F1 12 Tf 72 700 Td (Total A due: 99.00) Tj 0 -20 Td (second line) Tj ET"
    return raw_pdf(content, to_unicode=cmap)


def framed_pdf() -> bytes:
    """A page frame with a sidebar divider: layout lines, not a two-column table."""

    def draw(c: canvas.Canvas) -> None:
        c.rect(20, 20, PAGE_W - 40, PAGE_H - 40, stroke=1, fill=0)
        c.line(200, 20, 200, PAGE_H - 20)
        c.setFont("Helvetica", 10)
        for i in range(12):
            c.drawString(30, 700 - i * 40, f"Menu item {i}")
            c.drawString(220, 700 - i * 40, f"Paragraph {i} of the main text, which runs along here.")

    return _pdf(draw)
