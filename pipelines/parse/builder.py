"""Builds a document's full text and element spans together, so spans are right by construction."""

from __future__ import annotations

from typing import Any

from pipelines.model.document import BBox, Cell, Document, Element, Kind, Word


class TextBuilder:
    """Appends elements to a document, keeping `document.text` and every span in step.

    Elements are separated by a newline; a page break adds a form feed so page boundaries
    survive in the plain text.
    """

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self._parts: list[str] = [doc.text] if doc.text else []
        self._len = len(doc.text)

    def _append(self, text: str) -> tuple[int, int]:
        if self._len:
            self._parts.append("\n")
            self._len += 1
        start = self._len
        self._parts.append(text)
        self._len += len(text)
        return start, self._len

    @property
    def offset(self) -> int:
        """Where the next element's text would start."""
        return self._len + (1 if self._len else 0)

    def add(
        self,
        kind: Kind,
        text: str,
        *,
        page: int | None = None,
        bbox: BBox | None = None,
        attrs: dict[str, Any] | None = None,
        words: list[tuple[str, int, BBox]] | None = None,
    ) -> Element | None:
        """Add an element; `words` are (text, offset within `text`, box) and get document spans."""
        if not text or not text.strip():
            return None
        start, end = self._append(text)
        el = Element(kind=kind, text=text, start=start, end=end, page=page, bbox=bbox, attrs=attrs or {})
        if words:
            el.words = [Word(w, start + off, start + off + len(w), box) for w, off, box in words]
        self.doc.elements.append(el)
        return el

    def add_table(
        self,
        rows: list[list[str | None]],
        *,
        page: int | None = None,
        bbox: BBox | None = None,
        cell_boxes: list[list[BBox | None]] | None = None,
        attrs: dict[str, Any] | None = None,
    ) -> Element | None:
        """Add a table; its text is the rows joined by newlines and cells by tabs."""
        clean = [[(c or "").replace("\n", " ").replace("\t", " ").strip() for c in row] for row in rows]
        clean = [row for row in clean if any(row)]
        if not clean:
            return None
        text = "\n".join("\t".join(row) for row in clean)
        start, end = self._append(text)
        cells: list[Cell] = []
        pos = start
        for r, row in enumerate(clean):
            for c, value in enumerate(row):
                box = cell_boxes[r][c] if cell_boxes and r < len(cell_boxes) and c < len(cell_boxes[r]) else None
                cells.append(Cell(r, c, value, pos, pos + len(value), box))
                pos += len(value) + 1  # tab or newline
        el = Element(Kind.TABLE, text, start, end, page=page, bbox=bbox, attrs=attrs or {}, cells=cells)
        el.attrs.setdefault("n_rows", len(clean))
        el.attrs.setdefault("n_cols", max(len(r) for r in clean))
        self.doc.elements.append(el)
        return el

    def page_break(self) -> None:
        if self._len:
            self._parts.append("\f")
            self._len += 1

    def finish(self) -> Document:
        self.doc.text = "".join(self._parts)
        return self.doc
