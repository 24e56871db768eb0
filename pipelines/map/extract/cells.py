"""Label -> value pairing inside table cells: "label | value" rows and header cells with the value below.
"""

from __future__ import annotations
import re
from collections.abc import Sequence
from pipelines.model.document import Cell, Document, Element, Kind
from pipelines.model.layout import doc_index
from pipelines.map.extract.labels import AFTER, Direction, Hit, LabelMatch, match_labels
from pipelines.map.extract.vocab import RATE_PREFIX
from pipelines.map.extract.pairing import PairCtx, cell_grid, cell_hit, dedupe, has_digit, qualifier_only, segments, stops_by_line, trim_span


def cell_hits(ctx: PairCtx, m: LabelMatch, direction: Direction = "any") -> list[Hit]:
    """Values for a label that sits in a table cell: the rest of its cell, the cell right of it
    and the one below it."""
    el = ctx.idx.element_at(m.start)
    if el is None or el.kind is not Kind.TABLE or not el.cells:
        return []
    cell = next((c for c in el.cells if c.start <= m.start and m.end <= c.end), None)
    if cell is None:
        return []
    text = ctx.doc.text
    before = text[cell.start:m.start].strip(" :#*")
    if before and RATE_PREFIX.fullmatch(before):
        before = ""  # "zzgl. 19 % USt. | 106,40": the rate and its operator open the tax's key
    after_m = AFTER.match(text, m.end, cell.end)
    a0 = after_m.end() if after_m else m.end
    after = text[a0:cell.end].strip(" *")
    if after and qualifier_only(text, a0, cell.end, False):
        after = ""  # "To pay GBP | 180.00": a currency sign after the label is no value
    colon = ":" in text[m.end:a0]
    hits: list[Hit] = []
    if before:
        # a cell that ends with the label ("Factuur datum" for "Datum", "Please pay by"): its
        # value may sit below or right; a label in the middle of a cell's text anchors nothing
        if after or len(before.split()) > 2:
            return []
    elif after and direction != "below":
        a, b = trim_span(text, a0, cell.end)
        if b > a:
            hits.append(Hit(a, b, text[a:b], el.page, m.label, "table", 0.9 if colon else 0.7))
    grid = cell_grid(el)
    filled = [c for c in el.cells if c.row == cell.row and c.text.strip()]
    row_header_like = not any(has_digit(c.text) for c in filled)
    def is_label(c: Cell) -> bool:
        a, _ = trim_span(text, c.start, c.end)
        return a in ctx.label_starts

    row_cells = [c for c in filled if c.col > cell.col] if direction != "below" else []
    if row_cells and not is_label(min(row_cells, key=lambda c: c.col)):
        right = min(row_cells, key=lambda c: c.col)
        score = 0.95 if len(filled) == 2 else (0.4 if row_header_like else 0.75)
        if colon and not after:
            score = max(score, 0.9)  # "Invoice No: | 123": a key cell with its colon, the value beside it
        if after:
            score *= 0.6
        if before:
            score *= 0.7
        h = cell_hit(ctx.doc, right, el.page, m.label, "table", score)
        if h:
            hits.append(h)
    below = grid.get((cell.row + 1, cell.col)) if direction != "right" else None
    if below is not None and below.text.strip() and not after and not is_label(below):
        score = 0.9 if row_header_like and len(filled) > 2 else 0.65
        if before:
            score *= 0.85
        if _heads_column(grid, cell, text):
            score *= 0.35  # the header of a list column (line items), not of one value
        h = cell_hit(ctx.doc, below, el.page, m.label, "table", score)
        if h:
            hits.append(h)
    elif below is None and not after and not row_cells and direction != "right":
        h = _line_after_table(ctx, el, cell, m)
        if h:
            hits.append(h)
    return hits


def _line_after_table(ctx: PairCtx, el: Element, cell: Cell, m: LabelMatch) -> Hit | None:
    """"Invoice to:" in the last row of a table, the name on the first line after it: the line's
    first column, when it starts under the label."""
    line = ctx.idx.line_at(m.start)
    if line is None or line.index + 1 >= len(ctx.idx.lines):
        return None
    nxt = ctx.idx.lines[line.index + 1]
    if nxt.in_table or nxt.page != line.page or nxt.element is el:
        return None
    segs = segments(ctx.doc.text, nxt.start, nxt.end)
    if not segs:
        return None
    a, b = segs[0]
    first = next((w for w in (nxt.words or []) if w.start >= a), None)
    if cell.bbox is not None and first is not None and not cell.bbox.x0 - 8 <= first.bbox.x0 <= cell.bbox.x1:
        return None
    return Hit(a, b, ctx.doc.text[a:b], nxt.page, m.label, "below", 0.7)


def _heads_column(grid: dict[tuple[int, int], Cell], cell: Cell, text: str) -> bool:
    """Two or more values of the same shape below a header cell: a column of a list."""
    below = [grid.get((cell.row + k, cell.col)) for k in (1, 2)]
    if any(c is None or not c.text.strip() for c in below):
        return False
    shapes = {re.sub(r"[^\W\d_]+", "a", re.sub(r"\d+", "9", c.text.strip())) for c in below if c is not None}
    digits = [has_digit(c.text) for c in below if c is not None]
    return len(shapes) == 1 or all(digits)


def find_label_cells(doc: Document, labels: Sequence[str]) -> list[Hit]:
    """2-column "label | value" table rows, and a "label" cell with its value in the cell below."""
    matches = [m for m in match_labels(doc, labels)]
    ctx = PairCtx(doc, doc_index(doc), stops_by_line(doc, matches))
    hits: list[Hit] = []
    for m in matches:
        for h in cell_hits(ctx, m):
            h.score = round(h.score * (0.75 + 0.25 * m.specificity), 4)
            hits.append(h)
    return dedupe(hits)
