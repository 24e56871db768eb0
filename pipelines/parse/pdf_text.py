"""Words with boxes from a PDF page's text layer, read through PDFium's raw C API.

Speed is the point of this module. The helper classes of pypdfium2 cost a Python object per call,
and one call per character is already ~1.5 µs, so instead we:
  1. fetch the whole page text in ONE call (`FPDFText_GetText`); PDFium's character list includes
     the spaces and line breaks it generated itself, so character index == string index;
  2. split it into words with a C-speed regex;
  3. ask for the boxes of each word's first and last character only (two calls per word).
Per-character boxes are used only where that shortcut does not hold (a word that jumps lines or
runs backwards, or text whose UTF-16 length differs from the character count).

Coordinates are converted to PDF points with the origin at the top-left of the page as displayed
(crop box and /Rotate applied), which is what `BBox` in the document model promises.
"""

from __future__ import annotations

import ctypes
import re
from dataclasses import dataclass

import pypdfium2.raw as pdfium_c

# A word is a run of anything but whitespace and control characters. PDFium emits "\r\n" for the
# line breaks it infers, U+FFFE/U+0002 around soft hyphens; none of these belong to a word.
_WORD = re.compile(r"[^\s\x00-\x1f\x7f\ufffe\uffff]+")
# Text that decodes to these is unusable: replacement characters, private-use glyph codes
# (fonts without a Unicode map) and stray control codes.
_GARBAGE = re.compile(r"[\ufffd\ue000-\uf8ff\x00-\x08\x0e-\x1f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
WHITE = 245  # every RGB channel at least this: white on a white page
TINY_PT = 2.0  # a glyph box lower than this (points) cannot be read


@dataclass(slots=True)
class PWord:
    """A word on a page: top-left origin, points (y grows downwards)."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    hidden: str | None = None  # why nobody can see it (invisible, white, transparent, tiny, off_page)

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass(frozen=True, slots=True)
class PageGeometry:
    """Maps PDF user space to the displayed page: crop box origin and /Rotate (0/90/180/270)."""

    left: float
    bottom: float
    width: float  # of the unrotated crop box
    height: float
    rotation: int

    @property
    def size(self) -> tuple[float, float]:
        """Width and height of the page as displayed."""
        return (self.height, self.width) if self.rotation in (90, 270) else (self.width, self.height)

    def box(self, l: float, b: float, r: float, t: float) -> tuple[float, float, float, float]:
        """A user-space rectangle (left, bottom, right, top) -> displayed (x0, top, x1, bottom)."""
        u0, u1 = l - self.left, r - self.left
        v0, v1 = b - self.bottom, t - self.bottom
        rot = self.rotation
        if rot == 0:
            return u0, self.height - v1, u1, self.height - v0
        if rot == 90:  # displayed clockwise: the original left edge is now the top
            return v0, u0, v1, u1
        if rot == 180:
            return self.width - u1, v0, self.width - u0, v1
        return self.height - v1, self.width - u1, self.height - v0, self.width - u0  # 270


def page_geometry(page_raw: object) -> PageGeometry:
    """Crop box (falling back to the media box, then the page size) and rotation of a raw page."""
    l, b, r, t = ctypes.c_float(), ctypes.c_float(), ctypes.c_float(), ctypes.c_float()
    if pdfium_c.FPDFPage_GetCropBox(page_raw, l, b, r, t) or pdfium_c.FPDFPage_GetMediaBox(page_raw, l, b, r, t):
        box = (l.value, b.value, r.value, t.value)
    else:
        box = (0.0, 0.0, pdfium_c.FPDF_GetPageWidthF(page_raw), pdfium_c.FPDF_GetPageHeightF(page_raw))
    rot = {0: 0, 1: 90, 2: 180, 3: 270}.get(pdfium_c.FPDFPage_GetRotation(page_raw), 0)
    return PageGeometry(min(box[0], box[2]), min(box[1], box[3]), abs(box[2] - box[0]), abs(box[3] - box[1]), rot)


def page_text(textpage_raw: object) -> str:
    """The page's full text; string index == PDFium char index."""
    n = pdfium_c.FPDFText_CountChars(textpage_raw)
    if n <= 0:
        return ""
    buf = (ctypes.c_ushort * (n + 1))()
    got = pdfium_c.FPDFText_GetText(textpage_raw, 0, n, buf)
    if got <= 1:
        return ""
    # One str char per UTF-16 unit: PDFium also keeps the two halves of a character outside the
    # BMP as two chars, so indices line up; words re-pair them (_unsurrogate).
    text = bytes(memoryview(buf).cast("B")[: (got - 1) * 2]).decode("utf-16-le", errors="surrogatepass")
    if len(text) == n:
        return text
    # PDFium left chars out of the text (rare): rebuild it one char per index instead.
    get = pdfium_c.FPDFText_GetUnicode
    return "".join(chr(cp) if 0 < cp < 0x110000 else "\ufffd" for cp in (get(textpage_raw, i) for i in range(n)))


def _unsurrogate(word: str) -> str:
    """Join UTF-16 surrogate halves into the character they encode (lone halves become U+FFFD)."""
    return word.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def extract_words(textpage_raw: object, geom: PageGeometry) -> tuple[list[PWord], int]:
    """Words of one page in PDFium's content order, and how many of the page's chars are garbage."""
    text = page_text(textpage_raw)
    if not text:
        return [], 0
    rect = pdfium_c.FS_RECTF()
    ref = ctypes.byref(rect)
    loose_box = pdfium_c.FPDFText_GetLooseCharBox
    upright = geom.rotation == 0
    ox, oy = geom.left, geom.bottom + geom.height  # upright pages: x - ox, oy - y (inlined: hot loop)
    to_page = geom.box
    page_w, page_h = geom.size
    words: list[PWord] = []
    pairs = _SURROGATE.search(text) is not None
    rgba = [ctypes.c_uint() for _ in range(4)]
    for m in _WORD.finditer(text):
        s, e = m.span()
        if not loose_box(textpage_raw, s, ref):
            continue  # no geometry for this char (PDFium says so): skip rather than guess
        why = _unseen(textpage_raw, s, rgba)
        if upright:
            x0, top, x1, bottom = rect.left - ox, oy - rect.top, rect.right - ox, oy - rect.bottom
        else:
            x0, top, x1, bottom = to_page(rect.left, rect.bottom, rect.right, rect.top)
        if e - s > 1:
            if not loose_box(textpage_raw, e - 1, ref):
                words.extend(_split_by_chars(textpage_raw, s, e, text, geom))
                continue
            if upright:
                X0, T, X1, B = rect.left - ox, oy - rect.top, rect.right - ox, oy - rect.bottom
            else:
                X0, T, X1, B = to_page(rect.left, rect.bottom, rect.right, rect.top)
            # The last char must sit to the right on the same line; otherwise walk the chars.
            if X1 < x0 or T > bottom or B < top:
                words.extend(_mark(_split_by_chars(textpage_raw, s, e, text, geom), why))
                continue
            x0, top, x1, bottom = min(x0, X0), min(top, T), max(x1, X1), max(bottom, B)
        if x0 < 0 or top < 0 or x1 > page_w or bottom > page_h:
            if x1 <= 0 or bottom <= 0 or x0 >= page_w or top >= page_h:
                why = "off_page"  # outside the visible page: nobody can see it, so it is not content
            else:
                x0, top, x1, bottom = max(x0, 0.0), max(top, 0.0), min(x1, page_w), min(bottom, page_h)
        if why is None and bottom - top < TINY_PT:
            why = "tiny"
        words.append(PWord(_unsurrogate(m.group()) if pairs else m.group(), x0, top, x1, bottom, why))
    return words, len(_GARBAGE.findall(text))


def _unseen(raw: object, i: int, rgba: list[ctypes.c_uint]) -> str | None:
    """Why the text object of char `i` is not seen: render mode invisible/clip-only, or a filled
    glyph painted white or fully transparent (whether white is visible depends on what lies
    behind it: `split_hidden` decides)."""
    obj = pdfium_c.FPDFText_GetTextObject(raw, i)
    mode = pdfium_c.FPDFTextObj_GetTextRenderMode(obj) if obj else 0
    if mode in (pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE, pdfium_c.FPDF_TEXTRENDERMODE_CLIP):
        return "invisible"
    if mode in (1, 5):  # stroke only: the fill colour is not what shows
        return None
    r, g, b, a = rgba
    if pdfium_c.FPDFText_GetFillColor(raw, i, r, g, b, a):
        if a.value == 0:
            return "transparent"
        if min(r.value, g.value, b.value) >= WHITE:
            return "white"
    return None


def _mark(words: list[PWord], why: str | None) -> list[PWord]:
    for w in words:
        w.hidden = why
    return words


def _inside(w: PWord, boxes: list[tuple[float, float, float, float]]) -> bool:
    cx, cy = (w.x0 + w.x1) / 2, w.cy
    return any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in boxes)


def split_hidden(words: list[PWord], images: list[tuple[float, float, float, float]],
                 fills: list[tuple[float, float, float, float]]) -> tuple[list[PWord], list[PWord]]:
    """(visible, hidden) words. Invisible text over an image is a scan's OCR layer (the image shows
    it); white text on a coloured fill or an image is visible (a table header band)."""
    visible, hidden = [], []
    for w in words:
        if w.hidden == "invisible" and _inside(w, images):
            w.hidden = None
        elif w.hidden == "white" and _inside(w, images + fills):
            w.hidden = None
        (hidden if w.hidden else visible).append(w)
    return visible, hidden


def _split_by_chars(raw: object, s: int, e: int, text: str, geom: PageGeometry) -> list[PWord]:
    """Slow path: per-char boxes, starting a new word where the text jumps line or goes back."""
    rect = pdfium_c.FS_RECTF()
    ref = ctypes.byref(rect)
    out: list[PWord] = []
    cur = ""
    box: list[float] = []  # x0, top, x1, bottom of the word so far
    for i in range(s, e):
        if not pdfium_c.FPDFText_GetLooseCharBox(raw, i, ref):
            continue
        x0, top, x1, bottom = geom.box(rect.left, rect.bottom, rect.right, rect.top)
        if cur and (x0 < box[0] - 0.5 or top > box[3] or bottom < box[1]):
            out.append(PWord(cur, *box))
            cur = ""
        if not cur:
            cur, box = text[i], [x0, top, x1, bottom]
        else:
            cur += text[i]
            box = [min(box[0], x0), min(box[1], top), max(box[2], x1), max(box[3], bottom)]
    if cur:
        out.append(PWord(cur, *box))
    out = [PWord(_unsurrogate(p.text), p.x0, p.top, p.x1, p.bottom) for p in out]
    # Same rule as the fast path: drop words off the visible page, clip the rest to it.
    w, h = geom.size
    return [
        PWord(p.text, max(p.x0, 0.0), max(p.top, 0.0), min(p.x1, w), min(p.bottom, h))
        for p in out
        if p.x1 > 0 and p.bottom > 0 and p.x0 < w and p.top < h
    ]
