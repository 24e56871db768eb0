"""A cached per-document index of lines with their geometry (word boxes, table rows on the page).
"""

from __future__ import annotations
import bisect
from dataclasses import dataclass, field
from pipelines.model.document import Cell, Document, Element, Kind, Word


@dataclass(slots=True)
class Line:
    start: int
    end: int  # span of the line in doc.text (no line break)
    page: int | None
    element: Element
    index: int  # position in DocIndex.lines
    words: list[Word] | None = None  # laid-out lines: word boxes
    top: float | None = None
    bottom: float | None = None
    in_table: bool = False
    cells: list[Cell] | None = None  # a table row placed on the page: its non-empty cells


@dataclass(slots=True)
class DocIndex:
    doc: Document
    lines: list[Line] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    el_starts: list[int] = field(default_factory=list)
    elements: list[Element] = field(default_factory=list)
    by_page: dict[int | None, list[Line]] = field(default_factory=dict)  # geometric lines, top to bottom

    def line_at(self, pos: int) -> Line | None:
        i = bisect.bisect_right(self.starts, pos) - 1
        if i < 0:
            return None
        line = self.lines[i]
        return line if line.start <= pos <= line.end else None

    def element_at(self, pos: int) -> Element | None:
        i = bisect.bisect_right(self.el_starts, pos) - 1
        if i < 0:
            return None
        el = self.elements[i]
        return el if el.start <= pos <= el.end else None

    def page_at(self, pos: int) -> int | None:
        el = self.element_at(pos)
        if el is not None:
            return el.page
        if self.doc.pages:
            return self.doc.text.count("\f", 0, pos) + 1
        return None


_INDEX_CACHE: list[tuple[Document, int, int, DocIndex]] = []


_LOWER_CACHE: list[tuple[Document, int, str]] = []


def lowered(doc: Document) -> str:
    for cached, n, low in _LOWER_CACHE:
        if cached is doc and n == len(doc.text):
            return low
    low = doc.text.lower()
    _LOWER_CACHE.insert(0, (doc, len(doc.text), low))
    del _LOWER_CACHE[4:]
    return low


def doc_index(doc: Document) -> DocIndex:
    """Lines of the document with their geometry; cached for the few most recent documents."""
    for cached, n_text, n_el, idx in _INDEX_CACHE:
        if cached is doc and n_text == len(doc.text) and n_el == len(doc.elements):
            return idx
    idx = _build_index(doc)
    _INDEX_CACHE.insert(0, (doc, len(doc.text), len(doc.elements), idx))
    del _INDEX_CACHE[4:]
    return idx


def _build_index(doc: Document) -> DocIndex:
    idx = DocIndex(doc)
    elements = sorted((e for e in doc.elements if e.end > e.start), key=lambda e: e.start)
    idx.elements = elements
    idx.el_starts = [e.start for e in elements]
    for el in elements:
        is_table = el.kind is Kind.TABLE
        if el.kind is Kind.LINE or (el.bbox is not None and "\n" not in el.text and not is_table):
            words = sorted(el.words, key=lambda w: w.start) if el.words else None
            line = Line(el.start, el.end, el.page, el, len(idx.lines), words,
                        el.bbox.y0 if el.bbox else None, el.bbox.y1 if el.bbox else None)
            if words and line.top is None:
                line.top = min(w.bbox.y0 for w in words)
                line.bottom = max(w.bbox.y1 for w in words)
            idx.lines.append(line)
            continue
        pos = el.start
        for part in el.text.split("\n"):
            idx.lines.append(Line(pos, pos + len(part), el.page, el, len(idx.lines), in_table=is_table))
            pos += len(part) + 1
        if is_table and el.cells:
            idx.by_page.setdefault(el.page, []).extend(_table_rows_on_page(el))
    idx.starts = [ln.start for ln in idx.lines]
    for line in idx.lines:
        if line.top is not None:
            idx.by_page.setdefault(line.page, []).append(line)
    for lines in idx.by_page.values():
        lines.sort(key=lambda ln: (ln.top, ln.words[0].bbox.x0 if ln.words else 0.0))
    return idx


def _table_rows_on_page(el: Element) -> list[Line]:
    """The rows of a table with cell boxes, as geometric lines (for "below" and borderless rows)."""
    rows: dict[int, list[Cell]] = {}
    for c in el.cells or []:
        if c.bbox is not None and c.text.strip():
            rows.setdefault(c.row, []).append(c)
    words = sorted(el.words or [], key=lambda w: w.start)
    starts = [w.start for w in words]
    out: list[Line] = []
    for r in sorted(rows):
        cells = sorted(rows[r], key=lambda c: c.bbox.x0)  # type: ignore[union-attr]
        a, b = min(c.start for c in cells), max(c.end for c in cells)
        lo, hi = bisect.bisect_left(starts, a), bisect.bisect_left(starts, b)
        top = min(c.bbox.y0 for c in cells)  # type: ignore[union-attr]
        bottom = max(c.bbox.y1 for c in cells)  # type: ignore[union-attr]
        out.append(Line(a, b, el.page, el, -1, words[lo:hi] or None, top, bottom, True, cells))
    return out
