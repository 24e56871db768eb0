"""PDF page images for the item page, rendered from the raw original with pypdfium2."""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from pathlib import Path

from pipelines.ingest.raw_store import RawStore

SCALE = 1.5  # 108 dpi: readable, small enough to send
MAX_PIXELS = 3000 * 3000  # a poster-sized page is scaled down instead of exhausting memory
MAX_PAGES_SHOWN = 50

_lock = threading.Lock()  # pdfium is not thread-safe
_cache: OrderedDict[tuple[str, int], bytes] = OrderedDict()
_CACHE_SIZE = 64


def is_pdf(media_type: str | None) -> bool:
    return (media_type or "").split(";")[0].strip() == "application/pdf"


def has_original(raw_root: Path, document_id: str) -> bool:
    return document_id in RawStore(raw_root)


def render_page(raw_root: Path, document_id: str, number: int) -> bytes | None:
    """PNG bytes of the 1-based page, or None when the original or the page is not there."""
    key = (document_id, number)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        store = RawStore(raw_root)
        if document_id not in store or number < 1:
            return None
        import pypdfium2 as pdfium

        try:
            pdf = pdfium.PdfDocument(store.get(document_id))
        except pdfium.PdfiumError:
            return None
        try:
            if number > len(pdf):
                return None
            page = pdf[number - 1]
            w, h = page.get_size()
            scale = SCALE
            if w * h * scale * scale > MAX_PIXELS:
                scale = (MAX_PIXELS / (w * h)) ** 0.5
            image = page.render(scale=scale).to_pil()
            buf = io.BytesIO()
            image.save(buf, format="PNG", optimize=False)
            page.close()
        finally:
            pdf.close()
        data = buf.getvalue()
        _cache[key] = data
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
        return data
