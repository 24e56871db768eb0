"""PDF parser: lines with word boxes and tables, per page, from PDFium (pypdfium2).

pdfplumber/pdfminer give excellent layout but run at ~30 pages/s; PDFium reads text with
character boxes at thousands of pages/s. This parser keeps PDFium's speed and adds the little
layout an extractor needs:
  - one LINE (or KEY_VALUE) element per visual line, with each word's box (pdf_layout);
  - tables as TABLE elements: drawn grids from the page's ruling lines (pdf_graphics, pdf_grid)
    and borderless tables from column alignment (pdf_align), placed where they sit on the page.
Boxes are in PDF points with the origin at the top-left of the page as displayed.

Bad input is quarantined with a reason: unreadable or truncated files (CORRUPT), a password
(ENCRYPTED), too many pages (TOO_LARGE). Pages without a usable text layer (scans) are rendered and
OCR'd (pipelines.parse.ocr) when an OCR engine is installed; without one they are NEEDS_OCR (only
when no page has text - otherwise the text pages are kept and the others named in a warning).
"""

from __future__ import annotations

import gc
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from pipelines.model.document import BBox, Kind, Page, Reason, Word
from pipelines.parse import ocr
from pipelines.parse.builder import TextBuilder
from pipelines.parse.errors import BadInput
from pipelines.parse.pdf_align import find_aligned
from pipelines.parse.pdf_graphics import Graphics, read_graphics
from pipelines.parse.pdf_grid import fill_grid, find_grids, merge_rules
from pipelines.parse.pdf_layout import COL_SEP, TableBlock, TextLine, group_lines
from pipelines.parse.pdf_text import PageGeometry, PWord, extract_words, page_geometry, split_hidden
from pipelines.parse.text import KEY_VALUE

if TYPE_CHECKING:
    from pipelines.parse.dispatch import ParseContext

GARBAGE_SHARE = 0.3  # a text layer with more unusable chars than this is treated as missing
SCAN_IMAGE_SHARE = 0.5  # an image covering this much of a page with almost no text: a scan
SCAN_MAX_CHARS = 20  # "almost no text" (a scanner's stamp, a page number)
FRAME_SHARE = 0.6  # a two-column grid covering more of the page than this is a page frame
_PDF_DATE = re.compile(r"D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?")


@dataclass(slots=True)
class PageResult:
    blocks: list[TextLine | TableBlock]
    has_text: bool
    note: str = ""  # why a page counts as having no text layer
    hidden: list[PWord] = field(default_factory=list)  # text nobody can see: recorded, never content


def parse(data: bytes, builder: TextBuilder, ctx: ParseContext) -> None:
    pdf = _open(data)
    # A long PDF allocates millions of small objects (words, boxes) and none of them form
    # cycles; the cyclic collector would rescan them all again and again (~20% of the time).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        n = len(pdf)
        if n <= 0:
            raise BadInput(Reason.CORRUPT, "PDF has no pages (damaged or truncated file)")
        if n > ctx.limits.max_pages:
            raise BadInput(Reason.TOO_LARGE, f"PDF has {n:,} pages (limit {ctx.limits.max_pages:,})")
        doc = builder.doc
        doc.metadata.update(_metadata(pdf, n))
        if b"%%EOF" not in data[-2048:]:
            doc.warnings.append("PDF has no %%EOF marker (truncated?); parsed what PDFium could recover")
        textless: list[tuple[int, str]] = []
        engine = ocr.get_engine()
        for i in range(n):
            ctx.check_time()
            number = i + 1
            # Raw handles, not pypdfium2's PdfPage: its bookkeeping costs as much as reading a page.
            page = pdfium_c.FPDF_LoadPage(pdf.raw, i)
            if not page:
                raise BadInput(Reason.CORRUPT, f"page {number} of the PDF cannot be read (damaged file)")
            try:
                geom = page_geometry(page)
                result = read_page(page, geom)
            finally:
                pdfium_c.FPDF_ClosePage(page)
            width, height = geom.size
            _record_hidden(doc, number, result.hidden)
            if not result.has_text and result.note != "blank" and engine is not None:
                scanned = ocr.cached_page(engine, doc.id, number, lambda: _render(pdf, i), ocr.remaining(ctx.deadline))
                ocr.record(doc, engine, number, scanned)
                doc.pages.append(Page(number, scanned.width, scanned.height, has_text_layer=False))
                if not scanned.lines:
                    textless.append((number, f"{result.note}; OCR found no text"))
                    continue
                if i:
                    builder.page_break()
                ocr.emit_page(builder, number, scanned)
                continue
            doc.pages.append(Page(number, width, height, has_text_layer=result.has_text))
            if not result.has_text:
                textless.append((number, result.note))
                continue
            if i:
                builder.page_break()
            emit_page(builder, number, result.blocks)
        _add_attachments(pdf, ctx)
    finally:
        pdf.close()
        if gc_was_enabled:
            gc.enable()
    _check_text_layers(builder, textless, n)


def _add_attachments(pdf: pdfium.PdfDocument, ctx: ParseContext) -> None:
    """Embedded files (PDF/A-3 associated files such as a Factur-X / ZUGFeRD XML, or any other
    attachment) become child documents, like an email's attachments, under the same limits."""
    for i in range(pdf.count_attachments()):
        ctx.check_time()
        att = pdf.get_attachment(i)
        try:
            name = att.get_name() or f"attachment-{i + 1}"
            data = bytes(att.get_data())
        except pdfium.PdfiumError as exc:
            ctx.doc.warnings.append(f"embedded file {i + 1} could not be read: {exc}")
            continue
        if len(data) > ctx.limits.max_bytes:
            ctx.doc.warnings.append(f"embedded file {name!r} is {len(data):,} bytes (limit {ctx.limits.max_bytes:,}); not read")
            continue
        ctx.add_child(data, name.replace("/", "_").replace("\\", "_"))


def _render(pdf: pdfium.PdfDocument, index: int) -> tuple[Any, float]:
    """One page as a grayscale image at ocr.DPI (less for a page that would exceed ocr.MAX_PIXELS),
    and the points per pixel of that image."""
    page = pdf[index]
    try:
        w, h = page.get_size()
        scale = min(ocr.DPI / 72, (ocr.MAX_PIXELS / max(w * h, 1.0)) ** 0.5)
        image = page.render(scale=scale, grayscale=True).to_pil()
    finally:
        page.close()
    return image, 1 / scale


def _open(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code in (pdfium_c.FPDF_ERR_PASSWORD,):
            raise BadInput(Reason.ENCRYPTED, "PDF is password-protected") from exc
        if code == pdfium_c.FPDF_ERR_SECURITY:
            raise BadInput(Reason.ENCRYPTED, "PDF uses an unsupported security handler (encrypted)") from exc
        raise BadInput(Reason.CORRUPT, f"PDF cannot be opened (damaged or truncated): {exc}") from exc


def _metadata(pdf: pdfium.PdfDocument, n: int) -> dict[str, Any]:
    meta: dict[str, Any] = {"page_count": n}
    try:
        info = pdf.get_metadata_dict(skip_empty=True)
    except pdfium.PdfiumError:
        info = {}
    for src, dst in (("Title", "title"), ("Author", "author"), ("Subject", "subject"),
                     ("Creator", "creator"), ("Producer", "producer")):
        value = (info.get(src) or "").strip()
        if value:
            meta[dst] = value
    for src, dst in (("CreationDate", "created"), ("ModDate", "modified")):
        if info.get(src):
            meta[dst] = _pdf_date(info[src])
    return meta


def _pdf_date(raw: str) -> str:
    """'D:20140803211437Z' -> '2014-08-03T21:14:37'; unparsable values are kept as they are."""
    m = _PDF_DATE.match(raw.strip())
    if not m:
        return raw.strip()
    y, mo, d, h, mi, s = (g or dflt for g, dflt in zip(m.groups(), ("", "01", "01", "00", "00", "00")))
    return f"{y}-{mo}-{d}T{h}:{mi}:{s}"


def read_page(page: Any, geom: PageGeometry) -> PageResult:
    """Words, rulings and images of one raw PDFium page -> lines and tables in reading order."""
    textpage = pdfium_c.FPDFText_LoadPage(page)
    if not textpage:
        return PageResult([], False, "unreadable text layer")
    try:
        words, garbage = extract_words(textpage, geom)
    finally:
        pdfium_c.FPDFText_ClosePage(textpage)
    graphics = read_graphics(page, geom)
    words, hidden = split_hidden(words, graphics.images, graphics.fills)
    n_chars = sum(len(w.text) for w in words)
    if not n_chars:
        return PageResult([], False, "scanned" if graphics.image_area else "blank", hidden)
    if garbage > GARBAGE_SHARE * n_chars:
        return PageResult([], False, "unreadable text layer", hidden)
    if n_chars <= SCAN_MAX_CHARS and graphics.image_area >= SCAN_IMAGE_SHARE * geom.width * geom.height:
        return PageResult([], False, "scanned", hidden)
    return PageResult(layout(words, graphics, geom), True, hidden=hidden)


def _record_hidden(doc: Any, number: int, hidden: list[PWord]) -> None:
    """Runs of hidden words (same reason, in content order) as pieces of hidden text."""
    run: list[PWord] = []
    for w in hidden + [PWord("", 0, 0, 0, 0, "")]:  # a sentinel closes the last run
        if run and (w.hidden != run[-1].hidden or abs(w.top - run[-1].top) > 2 * max(run[-1].bottom - run[-1].top, 1)):
            doc.mark_hidden(" ".join(x.text for x in run), f"pdf:{run[-1].hidden}", number)
            run = []
        run.append(w)


def layout(words: list[PWord], graphics: Graphics, geom: PageGeometry) -> list[TextLine | TableBlock]:
    """Ruled tables first (they claim their words), then lines, then borderless tables among
    the lines; all in reading order (top to bottom, then left to right)."""
    rotated = geom.rotation != 0
    page_area = geom.width * geom.height
    tables: list[TableBlock] = []
    if graphics.hlines and graphics.vlines:
        for xs, ys in find_grids(graphics):
            if len(xs) <= 3 and (xs[-1] - xs[0]) * (ys[-1] - ys[0]) > FRAME_SHARE * page_area:
                continue  # a page frame with a dividing line is layout, not a two-column table
            table, used = fill_grid(xs, ys, words, rotated)
            if table is not None:
                tables.append(table)
                words = [w for w in words if id(w) not in used]
    lines = group_lines(words, rotated)
    blocks: list[TextLine | TableBlock] = list(tables)
    if lines:
        width = max(ln.x1 for ln in lines) - min(ln.x0 for ln in lines)
        aligned = find_aligned(lines, merge_rules(graphics.hlines), width)
        taken: set[int] = set()
        for start, end, table in aligned:
            blocks.append(table)
            taken.update(range(start, end))
        blocks.extend(ln for k, ln in enumerate(lines) if k not in taken)
    blocks.sort(key=lambda b: (round(b.top, 1), b.x0))
    return blocks


def emit_page(builder: TextBuilder, number: int, blocks: list[TextLine | TableBlock]) -> None:
    for block in blocks:
        if isinstance(block, TableBlock):
            _emit_table(builder, number, block)
        else:
            _emit_line(builder, number, block)


def _emit_line(builder: TextBuilder, number: int, line: TextLine) -> None:
    text, offsets = line.text_and_offsets()
    words = [(w.text, off, BBox(w.x0, w.top, w.x1, w.bottom)) for w, off in zip(line.words, offsets)]
    kind, attrs = Kind.LINE, {}
    kv = _key_value(line, text)
    if kv:
        kind, attrs = Kind.KEY_VALUE, {"key": kv[0], "value": kv[1]}
    builder.add(kind, text, page=number, bbox=BBox(line.x0, line.top, line.x1, line.bottom), attrs=attrs, words=words)


def _key_value(line: TextLine, text: str) -> tuple[str, str] | None:
    """'Label: value' on a line of at most two segments (never a row of several columns)."""
    if len(line.segments) > 2:
        return None
    m = KEY_VALUE.match(text)
    if not m:
        return None
    value = m.group("value").strip()
    if COL_SEP in value or KEY_VALUE.match(value):
        return None  # "Bill to:   Invoice No: 1" is two fields side by side, not one
    return m.group("key").strip(), value


def _emit_table(builder: TextBuilder, number: int, table: TableBlock) -> None:
    rows = [[" ".join(w.text for w in cell) for cell in row] for row in table.rows]
    boxes = [[_cell_box(cell) if cell else None for cell in row] for row in table.rows]
    el = builder.add_table(
        rows, page=number, bbox=BBox(table.x0, table.top, table.x1, table.bottom), cell_boxes=boxes,
        attrs={"detector": table.detector},
    )
    if el is None or el.cells is None:
        return
    # Word boxes for tables too, so geometric rules work the same inside and outside tables.
    # Cell text is the words joined by single spaces, so each word's span follows from the cell's.
    words: list[Word] = []
    for cell, src in zip(el.cells, (cell for row in table.rows for cell in row)):
        pos = cell.start
        for w in src:
            words.append(Word(w.text, pos, pos + len(w.text), BBox(w.x0, w.top, w.x1, w.bottom)))
            pos += len(w.text) + 1
    el.words = words


def _cell_box(words: list[PWord]) -> BBox:
    if len(words) == 1:
        w = words[0]
        return BBox(w.x0, w.top, w.x1, w.bottom)
    return BBox(min(w.x0 for w in words), min(w.top for w in words), max(w.x1 for w in words), max(w.bottom for w in words))


def _check_text_layers(builder: TextBuilder, textless: list[tuple[int, str]], n: int) -> None:
    if len(textless) == n:
        if all(note == "blank" for _, note in textless):
            raise BadInput(Reason.EMPTY, f"all {n} pages of the PDF are blank")
        what = f"{n} of {n} pages have no text layer (scanned)"
        if ocr.get_engine() is None:
            raise ocr.no_engine(f"{what} and need OCR")
        raise BadInput(Reason.EMPTY, f"{what}; OCR found no text on them")
    # Blank pages (no text, no image) lose nothing; scans and unreadable text layers do.
    needs_ocr = [(num, note) for num, note in textless if note != "blank"]
    if needs_ocr:
        pages = ", ".join(f"{num} ({note})" for num, note in needs_ocr)
        builder.doc.warnings.append(f"{len(needs_ocr)} of {n} pages have no usable text layer and need OCR: pages {pages}")
