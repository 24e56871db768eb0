"""Table rows whose header cells match column aliases (line items), from table elements,
laid-out lines or plain-text columns.
"""

from __future__ import annotations
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pipelines.model.document import Cell, Document, Element, Kind
from pipelines.model.layout import Line, doc_index
from pipelines.map.extract.labels import GAP2, Hit, fold_label
from pipelines.map.extract.pairing import cell_hit, group_words, has_digit, segments, trim_span


@dataclass(frozen=True)
class _Column:
    name: str
    rank: int
    alias: str
    folded: str  # the alias folded (fold_label): words joined by single spaces


class _Columns:
    """Column aliases folded once and indexed by their first word: a header cell is compared
    only with the aliases that can occur in it (an alias occurs in a folded cell as whole words)."""

    def __init__(self, columns: Mapping[str, Sequence[str]]) -> None:
        self.by_first: dict[str, list[_Column]] = {}
        for name, aliases in columns.items():
            for rank, alias in enumerate(aliases):
                fa = fold_label(alias)
                if fa:
                    self.by_first.setdefault(fa.split(" ", 1)[0], []).append(_Column(name, rank, alias, fa))

    def candidates(self, folded: str) -> list[_Column]:
        words = folded.split(" ")
        return [c for w in dict.fromkeys(words) for c in self.by_first.get(w, ())]


def _fold_columns(columns: Mapping[str, Sequence[str]]) -> _Columns:
    key = tuple((name, tuple(aliases)) for name, aliases in columns.items())
    return _folded_columns(key)


@lru_cache(maxsize=256)
def _folded_columns(key: tuple[tuple[str, tuple[str, ...]], ...]) -> _Columns:
    return _Columns(dict(key))


def _occurs(alias: str, folded: str) -> bool:
    """`alias` (folded) is a run of whole words of `folded`."""
    return f" {folded} ".find(f" {alias} ") >= 0


def _header_assign(cells: Sequence[tuple[int, str]], columns: Mapping[str, Sequence[str]] | _Columns) -> dict[int, tuple[str, str]]:
    """Header cells (position, text) -> {position: (column name, alias)}; best coverage first,
    then the earlier alias."""
    cols = columns if isinstance(columns, _Columns) else _fold_columns(columns)
    scored: list[tuple[float, int, int, str, str]] = []
    for pos, text in cells:
        if len(text) > 80:
            continue
        folded = fold_label(text)
        if not folded:
            continue
        for col in cols.candidates(folded):
            fa = col.folded
            if folded == fa:
                cover = 1.0
            elif len(fa) < len(folded) and _occurs(fa, folded):
                cover = len(fa) / len(folded)
                if cover < 0.3:
                    continue
            else:
                continue
            scored.append((cover, col.rank, pos, col.name, col.alias))
    scored.sort(key=lambda s: (-s[0], s[1], s[2]))
    used_pos: set[int] = set()
    used_name: set[str] = set()
    out: dict[int, tuple[str, str]] = {}
    for _cover, _rank, pos, name, alias in scored:
        if pos in used_pos or name in used_name:
            continue
        used_pos.add(pos)
        used_name.add(name)
        out[pos] = (name, alias)
    return out


def _rows_of_table_element(doc: Document, el: Element, columns: _Columns,
                           min_columns: int) -> list[list[dict[str, Hit]]]:
    assert el.cells is not None
    by_row: dict[int, list[Cell]] = {}
    for c in el.cells:
        by_row.setdefault(c.row, []).append(c)
    rows = sorted(by_row)
    tables: list[list[dict[str, Hit]]] = []
    header: dict[int, tuple[str, str]] | None = None
    header_texts: tuple[str, ...] = ()
    splits: dict[int, list[tuple[float, float, str, str]]] = {}
    current: list[dict[str, Hit]] = []
    for r in rows:
        cells = sorted(by_row[r], key=lambda c: c.col)
        assign = _header_assign([(c.col, c.text) for c in cells if c.text.strip()], columns)
        if len(assign) >= min_columns and not any(has_digit(c.text) for c in cells if c.col in assign):
            texts = tuple(fold_label(c.text) for c in cells)
            if header is not None and texts == header_texts:
                continue  # the header repeated (a table split over pages)
            if current:
                tables.append(current)
            header, header_texts, current = assign, texts, []
            splits = _merged_header_cells(doc, el, cells, columns, assign)
            continue
        if header is None:
            continue
        row: dict[str, Hit] = {}
        for c in cells:
            if c.col in splits:
                row.update(_split_cell(doc, el, c, splits[c.col]))
            elif c.col in header:
                name, alias = header[c.col]
                h = cell_hit(doc, c, el.page, alias, "table", 0.9)
                if h is not None:
                    row[name] = h
        if row:
            current.append(row)
    if current:
        tables.append(current)
    return tables


def _cell_groups(doc: Document, el: Element, c: Cell) -> list[tuple[float, float, int, int]]:
    """A cell's words split at wide gaps, as (x0, x1, start, end): a parser that read two
    columns as one cell ("Qty Unit price" over "5 331,25") still left a gap between them."""
    words = [w for w in el.words or () if c.start <= w.start and w.end <= c.end]
    if len(words) < 2 or c.bbox is None:
        return []
    height = max(c.bbox.y1 - c.bbox.y0, 4.0)
    groups = group_words(doc.text, sorted(words, key=lambda w: w.bbox.x0), height)
    return [(g[0].bbox.x0, max(w.bbox.x1 for w in g), min(w.start for w in g), max(w.end for w in g)) for g in groups]


def _merged_header_cells(doc: Document, el: Element, cells: Sequence[Cell], columns: _Columns,
                         assign: dict[int, tuple[str, str]]) -> dict[int, list[tuple[float, float, str, str]]]:
    """Header cells holding two or more column labels apart on the page: per cell, the
    sub-columns (x0, x1, column name, alias) that the rows below are cut into."""
    out: dict[int, list[tuple[float, float, str, str]]] = {}
    taken = {name for name, _ in assign.values()}
    for c in cells:
        groups = _cell_groups(doc, el, c)
        if len(groups) < 2:
            continue
        sub = _header_assign([(k, doc.text[a:b]) for k, (_, _, a, b) in enumerate(groups)], columns)
        if len(sub) < 2 or len(sub) != len(groups):
            continue  # every part must be a label of its own
        own = assign.get(c.col, (None, None))[0]
        if any(name in taken and name != own for name, _ in sub.values()):
            continue
        out[c.col] = [(groups[k][0], groups[k][1], *sub[k]) for k in range(len(groups))]
    return out


def _split_cell(doc: Document, el: Element, c: Cell, subs: list[tuple[float, float, str, str]]) -> dict[str, Hit]:
    """A body cell under a merged header cell, its word groups put under the nearest label."""
    groups = _cell_groups(doc, el, c) or ([(c.bbox.x0, c.bbox.x1, c.start, c.end)] if c.bbox is not None else [])
    out: dict[str, Hit] = {}
    for x0, x1, a, b in groups:
        best = max(subs, key=lambda s: (min(x1, s[1]) - max(x0, s[0]), -abs((x0 + x1) / 2 - (s[0] + s[1]) / 2)))
        name, alias = best[2], best[3]
        a, b = trim_span(doc.text, a, b)
        if b > a and name not in out:
            out[name] = Hit(a, b, doc.text[a:b], el.page, alias, "table", 0.85)
    return out


def _geo_groups(doc: Document, line: Line) -> list[tuple[float, float, int, int]]:
    """A geometric line's columns as (x0, x1, start, end): its cells, or its word groups."""
    if line.cells is not None:
        return [(c.bbox.x0, c.bbox.x1, c.start, c.end) for c in line.cells if c.bbox is not None]
    if not line.words:
        return []
    height = max((line.bottom or 0) - (line.top or 0), 4.0)
    groups = group_words(doc.text, sorted(line.words, key=lambda w: w.bbox.x0), height)
    return [(g[0].bbox.x0, max(w.bbox.x1 for w in g), g[0].start, g[-1].end) for g in groups]


def _rows_of_lines(doc: Document, columns: _Columns, min_columns: int) -> list[list[dict[str, Hit]]]:
    """Tables on laid-out pages whose header is a line of text: the header words' x positions cut
    the lines (or table rows) below it into columns."""
    idx = doc_index(doc)
    tables: list[list[dict[str, Hit]]] = []
    for lines in idx.by_page.values():
        i = 0
        while i < len(lines):
            line = lines[i]
            i += 1
            if not line.words or line.in_table:
                continue
            groups = _geo_groups(doc, line)
            cells = [(k, doc.text[g[2]:g[3]]) for k, g in enumerate(groups)]
            assign = _header_assign(cells, columns)
            if len(assign) < max(min_columns, 1) or any(has_digit(t) for k, t in cells if k in assign):
                continue
            if len(assign) < 2 and len({c[0] for c in columns}) >= 2:
                continue
            # column x-ranges: each header group's span, extended halfway to its neighbours
            bounds: list[tuple[float, float, int]] = []
            for k, (x0, x1, _, _) in enumerate(groups):
                left = (groups[k - 1][1] + x0) / 2 if k > 0 else float("-inf")
                right = (x1 + groups[k + 1][0]) / 2 if k + 1 < len(groups) else float("inf")
                bounds.append((left, right, k))
            height = max((line.bottom or 0) - (line.top or 0), 4.0)
            rows: list[dict[str, Hit]] = []
            last_bottom = line.bottom or 0.0
            j = i
            while j < len(lines):
                nxt = lines[j]
                if nxt.top is None or nxt.top - last_bottom > 4.0 * height:
                    break
                ng = _geo_groups(doc, nxt)
                ncells = [(k, doc.text[g[2]:g[3]]) for k, g in enumerate(ng)]
                if len(_header_assign(ncells, columns)) >= 2 and not any(has_digit(t) for _, t in ncells):
                    break  # another header: a new table
                row: dict[str, Hit] = {}
                for x0, x1, a, b in ng:
                    cx = (x0 + x1) / 2
                    col = next((k for lo, hi, k in bounds if lo <= cx < hi), None)
                    if col is None or col not in assign:
                        continue
                    name, alias = assign[col]
                    if name in row:  # two groups in one column: join them
                        a = min(a, row[name].start)
                        b = max(b, row[name].end)
                    a, b = trim_span(doc.text, a, b)
                    if b > a:
                        row[name] = Hit(a, b, doc.text[a:b], nxt.page, alias, "table", 0.75)
                if row:
                    rows.append(row)
                last_bottom = max(last_bottom, nxt.bottom or last_bottom)
                j += 1
            if rows:
                tables.append(rows)
            i = j
    return tables


def _rows_of_text(doc: Document, columns: _Columns, min_columns: int) -> list[list[dict[str, Hit]]]:
    """Tables in plain text laid out with spaces: a header line of aliases separated by column
    gaps, and the lines below it, cut at the same character columns."""
    idx = doc_index(doc)
    text = doc.text
    tables: list[list[dict[str, Hit]]] = []
    lines = [ln for ln in idx.lines if ln.words is None and not ln.in_table and ln.top is None]
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        segs = segments(text, line.start, line.end, GAP2)
        if len(segs) < 2:
            continue
        cells = [(k, text[a:b]) for k, (a, b) in enumerate(segs)]
        assign = _header_assign(cells, columns)
        if len(assign) < max(min_columns, 2) or any(has_digit(t) for k, t in cells if k in assign):
            continue
        cols = [(a - line.start, b - line.start) for a, b in segs]
        rows: list[dict[str, Hit]] = []
        blank = 0
        while i < len(lines) and blank < 2:
            nxt = lines[i]
            nsegs = segments(text, nxt.start, nxt.end, GAP2)
            if not nsegs:
                blank += 1
                i += 1
                continue
            blank = 0
            if len(nsegs) < 2:
                break
            row: dict[str, Hit] = {}
            for a, b in nsegs:
                ca, cb = a - nxt.start, b - nxt.start
                best = max(range(len(cols)), key=lambda k: (min(cb, cols[k][1]) - max(ca, cols[k][0]), -abs(ca - cols[k][0])))
                ov = min(cb, cols[best][1]) - max(ca, cols[best][0])
                if ov <= 0:
                    best = min(range(len(cols)), key=lambda k: min(abs(ca - cols[k][0]), abs(cb - cols[k][1])))
                if best in assign and assign[best][0] not in row:
                    name, alias = assign[best]
                    row[name] = Hit(a, b, text[a:b], nxt.page, alias, "table", 0.7)
            if row:
                rows.append(row)
            i += 1
        if rows:
            tables.append(rows)
    return tables


def find_table_rows(doc: Document, columns: Mapping[str, Sequence[str]], min_columns: int = 2) -> list[list[dict[str, Hit]]]:
    """Per matching table, its rows as {column name: cell Hit}; the header row is found by the
    column aliases (at least `min_columns` of them). Blank rows and repeated headers are left
    out; totals rows are not (callers know what a line item needs).

    Tables are TABLE elements (ruled tables, docx, CSV), borderless tables of laid-out PDF
    lines (columns from the header words' x positions) and space-aligned plain-text tables.
    """
    tables: list[list[dict[str, Hit]]] = []
    cols = _fold_columns(columns)
    for el in doc.elements:
        if el.kind is Kind.TABLE and el.cells:
            tables.extend(_rows_of_table_element(doc, el, cols, min_columns))
    tables.extend(_rows_of_lines(doc, cols, min_columns))
    if not tables:
        tables.extend(_rows_of_text(doc, cols, min_columns))
    return tables
