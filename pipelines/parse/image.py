"""Image parser (PNG, JPEG, TIFF incl. multi-page): every frame is a page, read by OCR.

Boxes are in points: pixels * 72 / the image's dpi (DEFAULT_DPI when the file states none or
an implausible one). Phone photos are turned as their EXIF orientation says before OCR.
Without an OCR engine the image is refused with NEEDS_OCR and the install hint.
"""

from __future__ import annotations

import io
import warnings
from typing import TYPE_CHECKING

from PIL import Image, ImageOps, UnidentifiedImageError

from pipelines.model.document import Page, Reason
from pipelines.parse import ocr
from pipelines.parse.builder import TextBuilder
from pipelines.parse.errors import BadInput

if TYPE_CHECKING:
    from pipelines.parse.dispatch import ParseContext

MEDIA_TYPES = ("image/png", "image/jpeg", "image/tiff")
DEFAULT_DPI = 300.0


def parse(data: bytes, builder: TextBuilder, ctx: ParseContext) -> None:
    doc = builder.doc
    engine = ocr.get_engine()
    if engine is None:
        raise ocr.no_engine(f"{doc.media_type} image has no text layer and needs OCR")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            n = getattr(image, "n_frames", 1)
    except Image.DecompressionBombError as exc:  # over twice Pillow's MAX_IMAGE_PIXELS (~179 MP)
        raise BadInput(Reason.TOO_LARGE, f"image is too large to decode ({exc})"[:300]) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise BadInput(Reason.CORRUPT, f"{doc.media_type} image cannot be decoded: {exc}"[:300]) from exc
    if n > ctx.limits.max_pages:
        raise BadInput(Reason.TOO_LARGE, f"image has {n:,} pages (limit {ctx.limits.max_pages:,})")
    doc.metadata["page_count"] = n
    try:
        for i in range(n):
            ctx.check_time()
            number = i + 1
            scanned = ocr.cached_page(engine, doc.id, number, lambda: _frame(image, i), ocr.remaining(ctx.deadline))
            ocr.record(doc, engine, number, scanned)
            doc.pages.append(Page(number, scanned.width, scanned.height, has_text_layer=False))
            builder.page_break()
            ocr.emit_page(builder, number, scanned)
    finally:
        image.close()
    if not any(p["words"] for p in doc.metadata["ocr"]["pages"]):
        raise BadInput(Reason.EMPTY, f"OCR found no text in this {doc.media_type} image")


def _frame(image: Image.Image, index: int) -> tuple[Image.Image, float]:
    """Frame `index` decoded (scaled down while decoding when the file allows), and points per pixel."""
    try:
        image.seek(index)
        dpi = _dpi(image)
        w, h = image.size
        if w * h > ocr.MAX_PIXELS and image.format == "JPEG":
            f = (ocr.MAX_PIXELS / (w * h)) ** 0.5
            image.draft("L", (int(w * f), int(h * f)))  # JPEG decodes at 1/2, 1/4, 1/8 directly
        image.load()
        shrink = w / max(image.width, 1)  # > 1 after a draft decode
        frame = ImageOps.exif_transpose(image)  # phone photos: upright as the camera saw them
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise BadInput(Reason.CORRUPT, f"image page {index + 1} cannot be decoded: {exc}"[:300]) from exc
    return frame, 72.0 / dpi * shrink


def _dpi(image: Image.Image) -> float:
    raw = image.info.get("dpi")
    try:
        x = float(raw[0]) if raw else 0.0
    except (TypeError, ValueError, IndexError):
        x = 0.0
    return x if 50 <= x <= 2400 else DEFAULT_DPI
