"""Ruling lines and image coverage of a PDF page, from PDFium's page objects (no rendering).

Table borders are drawn as thin lines, thin filled rectangles or rectangle outlines; a cheap pass
over the page's path objects finds them. Bounds come from one C call per simple path (a line or a
rectangle); only multi-part paths (a whole grid drawn as one path) are walked segment by segment.
Objects inside Form XObjects are included, mapped through the form's matrix.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field

import pypdfium2.raw as pdfium_c

from pipelines.parse.pdf_text import PageGeometry

THIN = 2.0  # points: a filled rectangle this thin is a line
MIN_RULE = 4.0  # points: shorter strokes are glyph parts, dashes or dots, not rulings
MAX_SEGMENTS = 4000  # per page: beyond this the page is a drawing/chart; stop reading paths
MAX_DEPTH = 4  # nested Form XObjects
MAX_CURVED = 16  # segments: a longer path with curves is a drawing (a rounded box has ~9)

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


@dataclass(slots=True)
class Graphics:
    """Rulings in displayed page coordinates (top-left origin)."""

    hlines: list[tuple[float, float, float]] = field(default_factory=list)  # (y, x0, x1)
    vlines: list[tuple[float, float, float]] = field(default_factory=list)  # (x, y0, y1)
    image_area: float = 0.0  # summed area of image objects, points²
    # Displayed boxes (x0, top, x1, bottom) that can sit behind text: images and coloured fills.
    # Light text on them is visible; invisible text over an image is a scan's OCR layer.
    images: list[tuple[float, float, float, float]] = field(default_factory=list)
    fills: list[tuple[float, float, float, float]] = field(default_factory=list)
    n_objects: int = 0


def _mul(m: Matrix, n: Matrix) -> Matrix:
    """m then n (PDF row-vector convention)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


class _Reader:
    def __init__(self, page_raw: object, geom: PageGeometry) -> None:
        self.page_raw = page_raw
        self.geom = geom
        self.g = Graphics()
        self.segments = 0
        self._l, self._b, self._r, self._t = ctypes.c_float(), ctypes.c_float(), ctypes.c_float(), ctypes.c_float()
        self._fs = pdfium_c.FS_MATRIX()
        self._fill, self._stroke = ctypes.c_int(), ctypes.c_int()
        self._rgba = [ctypes.c_uint() for _ in range(4)]

    def _bounds(self, obj: object, m: Matrix) -> tuple[float, float, float, float] | None:
        if not pdfium_c.FPDFPageObj_GetBounds(obj, self._l, self._b, self._r, self._t):
            return None
        l, b, r, t = self._l.value, self._b.value, self._r.value, self._t.value
        if m is not IDENTITY:  # inside a form: corners through the form matrix
            xs, ys = zip(*(_apply(m, x, y) for x, y in ((l, b), (r, b), (l, t), (r, t))))
            l, b, r, t = min(xs), min(ys), max(xs), max(ys)
        return l, b, r, t

    def _matrix(self, obj: object) -> Matrix:
        fs = self._fs
        if not pdfium_c.FPDFPageObj_GetMatrix(obj, fs):
            return IDENTITY
        return (fs.a, fs.b, fs.c, fs.d, fs.e, fs.f)

    def _edge(self, x0: float, y0: float, x1: float, y1: float) -> None:
        """An axis-parallel edge in user space, stored in displayed coordinates."""
        X0, T, X1, B = self.geom.box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        w, h = X1 - X0, B - T
        if h <= THIN and w >= MIN_RULE:
            self.g.hlines.append(((T + B) / 2, X0, X1))
        elif w <= THIN and h >= MIN_RULE:
            self.g.vlines.append(((X0 + X1) / 2, T, B))

    def _is_white_fill(self, obj: object) -> bool:
        r, g, b, a = self._rgba
        if not pdfium_c.FPDFPageObj_GetFillColor(obj, r, g, b, a):
            return False
        return a.value == 0 or min(r.value, g.value, b.value) >= 250

    def read(self, container: object | None, m: Matrix, depth: int) -> None:
        count = pdfium_c.FPDFFormObj_CountObjects if container else pdfium_c.FPDFPage_CountObjects
        get = pdfium_c.FPDFFormObj_GetObject if container else pdfium_c.FPDFPage_GetObject
        holder = container if container else self.page_raw
        n = count(holder)
        self.g.n_objects += max(n, 0)
        for i in range(max(n, 0)):
            obj = get(holder, i)
            if not obj:
                continue
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind == pdfium_c.FPDF_PAGEOBJ_PATH and self.segments < MAX_SEGMENTS:
                self._path(obj, m)
            elif kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
                box = self._bounds(obj, m)
                if box:
                    self.g.image_area += max(box[2] - box[0], 0) * max(box[3] - box[1], 0)
                    self.g.images.append(self.geom.box(*box))
            elif kind == pdfium_c.FPDF_PAGEOBJ_FORM and depth < MAX_DEPTH:
                self.read(obj, _mul(self._matrix(obj), m), depth + 1)

    def _path(self, obj: object, m: Matrix) -> None:
        nseg = pdfium_c.FPDFPath_CountSegments(obj)
        if nseg < 2:
            return
        pdfium_c.FPDFPath_GetDrawMode(obj, self._fill, self._stroke)
        if self._fill.value and not self._is_white_fill(obj) and (box := self._bounds(obj, m)):
            self.g.fills.append(self.geom.box(*box))  # any coloured shape can sit behind light text
        self.segments += nseg
        if nseg <= 5:  # a line (2) or a rectangle (4-5): its bounds say it all
            box = self._bounds(obj, m)
            if box is None:
                return
            l, b, r, t = box
            if (t - b) <= THIN or (r - l) <= THIN:
                self._edge(l, b, r, t)  # a line, or a rectangle thin enough to be one
            elif nseg >= 4:
                self._rect(obj, l, b, r, t)
            return
        box = self._bounds(obj, m)
        if box is None or nseg > ((box[2] - box[0]) + (box[3] - box[1])) / 4:
            return  # segments ~4 pt long on average: lettering or a logo outline, not rulings
        self._walk(obj, nseg, _mul(self._matrix(obj), m))

    def _rect(self, obj: object, l: float, b: float, r: float, t: float) -> None:
        """A box: outlines give four rulings; a coloured fill (row band) gives its top and bottom."""
        pdfium_c.FPDFPath_GetDrawMode(obj, self._fill, self._stroke)
        if self._stroke.value:
            for edge in ((l, b, r, b), (l, t, r, t), (l, b, l, t), (r, b, r, t)):
                self._edge(*edge)
        elif self._fill.value and not self._is_white_fill(obj):
            self._edge(l, b, r, b)
            self._edge(l, t, r, t)

    def _walk(self, obj: object, nseg: int, m: Matrix) -> None:
        """A compound path: keep its axis-parallel straight pieces (curves are never rulings)."""
        x, y = ctypes.c_float(), ctypes.c_float()
        start = prev = None
        first_edge = len(self.g.hlines), len(self.g.vlines)
        for i in range(nseg):
            seg = pdfium_c.FPDFPath_GetPathSegment(obj, i)
            if not seg:
                continue
            kind = pdfium_c.FPDFPathSegment_GetType(seg)
            if kind == pdfium_c.FPDF_SEGMENT_BEZIERTO and nseg > MAX_CURVED:
                # Curves in a long path: a logo or a chart, not a table. Drop what it gave.
                del self.g.hlines[first_edge[0]:], self.g.vlines[first_edge[1]:]
                return
            if not pdfium_c.FPDFPathSegment_GetPoint(seg, x, y):
                continue
            pt = _apply(m, x.value, y.value)
            if kind == pdfium_c.FPDF_SEGMENT_LINETO and prev is not None:
                self._straight(prev, pt)
            if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
                start = pt
            if pdfium_c.FPDFPathSegment_GetClose(seg) and start is not None:
                self._straight(pt, start)
            prev = pt

    def _straight(self, p: tuple[float, float], q: tuple[float, float]) -> None:
        if abs(p[1] - q[1]) <= 0.5 or abs(p[0] - q[0]) <= 0.5:
            self._edge(p[0], p[1], q[0], q[1])


def read_graphics(page_raw: object, geom: PageGeometry) -> Graphics:
    reader = _Reader(page_raw, geom)
    reader.read(None, IDENTITY, 0)
    return reader.g
