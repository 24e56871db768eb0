"""Borderless tables: consecutive lines whose column segments line up.

A block grows line by line from a line with two or more segments (see pdf_layout). Lines with
one segment may sit inside it (a wrapped description); it ends at a large vertical gap, at prose,
where the columns stop lining up, or at a rule that closes it. Columns are the x-ranges that
the block's multi-segment lines cover (edges where no line has ink); a segment spanning two
columns that never share a line merges them (a left-aligned header over right-aligned numbers).

The block is a table when that gives two or more columns filled in at least two rows. Two
columns must hold numbers in one of them: otherwise it is a key-value list or two blocks side
by side, which read better as lines. A header just above the block whose labels are closer
than a column gap is placed word by word. Where horizontal rules separate the rows (a common
invoice style), a one-segment line with no rule above it continues the row above.
"""

from __future__ import annotations

from bisect import bisect_left

from pipelines.parse.pdf_layout import TableBlock, TextLine, make_table
from pipelines.parse.pdf_text import PWord

ROW_GAP = 3.0  # x line height: a larger vertical gap ends a block
PITCH_JUMP = 2.5  # x the block's median gap between lines: a larger gap ends an established block
MAX_CONTINUATION = 4  # one-segment lines in a row inside a block
WIDE = 0.45  # a one-segment line wider than this share of the text width is prose, not a cell

_Col = tuple[float, float, frozenset[int]]  # x0, x1, and the lines with a segment in it


def find_aligned(
    lines: list[TextLine], hlines: list[tuple[float, float, float]], text_width: float
) -> list[tuple[int, int, TableBlock]]:
    """Tables as (first line index, end line index, table), in line order."""
    out: list[tuple[int, int, TableBlock]] = []
    i = 0
    free = 0  # lines before this index are taken by an earlier table
    while i < len(lines):
        if len(lines[i].segments) >= 2:
            end = _grow(lines, i, text_width, hlines)
            table = _as_table(lines[i:end], hlines) if end - i >= 2 else None
            if table is not None:
                start = i
                if i - 1 >= free and _header_above(lines[i - 1], lines[i]):
                    # A header whose labels sit closer than a column gap ("Prijs BTW Aantal")
                    # does not fit the body's columns; its words are placed one by one.
                    with_header = _as_table(lines[i - 1:end], hlines, header=True)
                    if with_header is not None:
                        start, table = i - 1, with_header
                out.append((start, end, table))
                i = free = end
                continue
        i += 1
    return out


def _header_above(cand: TextLine, first: TextLine) -> bool:
    return len(cand.segments) >= 2 and first.top - cand.bottom <= ROW_GAP * max(cand.height, first.height)


def _grow(lines: list[TextLine], i: int, text_width: float, hlines: list[tuple[float, float, float]]) -> int:
    """End index (exclusive) of the block starting at line i.

    The block ends at a large vertical gap (absolute, or against its row spacing so far), a wide
    one-segment line (prose), a line whose segments do not fit the columns so far, a line that
    opens two new columns once the columns are established (another table), or a rule under
    three or more unruled rows (a rule that closes a table rather than separating its rows).
    """
    first, _ = _add_line([], lines[i].boxes, i)
    assert first is not None  # anything fits no columns
    cols = first
    last_multi = i
    multi = unruled = 1
    inner_run = 0  # longest run of one-segment lines between two multi-segment lines
    x0, x1 = lines[i].x0, lines[i].x1
    gaps: list[float] = []
    for j in range(i + 1, len(lines)):
        ln, prev = lines[j], lines[j - 1]
        gap = ln.top - prev.bottom
        if gap > ROW_GAP * max(ln.height, prev.height):
            break
        if multi >= 3 and gaps and gap > PITCH_JUMP * max(sorted(gaps)[len(gaps) // 2], 1.0) and gap > 1.5 * ln.height:
            break  # rows so far were evenly spaced; a much larger gap starts something else
        gaps.append(gap)
        if _rule_between(hlines, prev.bottom, ln.top, x0, x1):
            if unruled >= 3:
                break
            unruled = 0
        if len(ln.segments) >= 2:
            grown, new = _add_line(cols, ln.boxes, j)
            if grown is None or (multi >= 2 and new >= 2):
                break
            cols = grown
            inner_run = max(inner_run, j - last_multi - 1)
            last_multi = j
            multi += 1
            unruled += 1
        elif j - last_multi > MAX_CONTINUATION or ln.x1 - ln.x0 > WIDE * text_width:
            break
        x0, x1 = min(x0, ln.x0), max(x1, ln.x1)
    else:
        j = len(lines)
    # Trailing one-segment lines belong to the last row only if rows here do wrap like that.
    return min(j, last_multi + 1 + inner_run)


def _rule_between(hlines: list[tuple[float, float, float]], y0: float, y1: float, x0: float, x1: float) -> bool:
    half = (x1 - x0) / 2
    return any(y0 - 1 <= y <= y1 + 1 and min(b, x1) - max(a, x0) >= half for y, a, b in hlines)


def _add_line(cols: list[_Col], boxes: list[tuple[float, float]], row: int) -> tuple[list[_Col] | None, int]:
    """Columns after adding a line's segments, or None if they do not fit; and how many new
    columns the line opened.

    A column may take one segment per line. A segment spanning several columns merges them,
    but only if no earlier line used two of them: a left-aligned "Unit price" and the
    right-aligned amounts below it are one column; two columns filled side by side are not.
    """
    hits = [[k for k, c in enumerate(cols) if a < c[1] and b > c[0]] for a, b in boxes]
    used = [k for h in hits for k in h]
    if len(used) != len(set(used)):
        return None, 0
    out = [c for k, c in enumerate(cols) if k not in set(used)]
    for (a, b), h in zip(boxes, hits):
        rows: frozenset[int] = frozenset()
        for k in h:
            if rows & cols[k][2]:
                return None, 0
            rows |= cols[k][2]
            a, b = min(a, cols[k][0]), max(b, cols[k][1])
        out.append((a, b, rows | {row}))
    out.sort()
    return out, sum(1 for h in hits if not h)


def _union(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[list[float]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def _columns(lines: list[TextLine]) -> list[tuple[float, float]]:
    """Column x-ranges: the union of the multi-segment lines' segment ranges."""
    return _union([box for ln in lines if len(ln.segments) >= 2 for box in ln.boxes])


def _place(ln: TextLine, cols: list[tuple[float, float]], starts: list[float]) -> list[list[PWord]]:
    """A line's words by column: whole segments, or word by word where a segment spans columns."""
    placed: list[list[PWord]] = [[] for _ in cols]
    for seg, (a, b) in zip(ln.segments, ln.boxes):
        if sum(1 for c0, c1 in cols if a < c1 and b > c0) <= 1:
            placed[_col_of(cols, starts, a, b)].extend(seg)
        else:
            for w in seg:
                placed[_col_of(cols, starts, w.x0, w.x1)].append(w)
    return placed


def _col_of(cols: list[tuple[float, float]], starts: list[float], x0: float, x1: float) -> int:
    """The column a segment overlaps most (a one-segment line may overhang a column edge)."""
    k = max(bisect_left(starts, x1) - 1, 0)
    best, best_overlap = k, -1.0
    for c in range(max(k - 2, 0), min(k + 2, len(cols))):
        overlap = min(x1, cols[c][1]) - max(x0, cols[c][0])
        if overlap > best_overlap:
            best, best_overlap = c, overlap
    return best


def _as_table(block: list[TextLine], hlines: list[tuple[float, float, float]], header: bool = False) -> TableBlock | None:
    """Cells from the block's lines; with `header`, the first line's words are placed one by one
    into the columns found from the other lines (and must reach at least two, inside the table)."""
    cols = _columns(block[1:] if header else block)
    if len(cols) < 2:
        return None
    starts = [c[0] for c in cols]
    rules = _row_rules(block, hlines)
    rows: list[list[list[PWord]]] = []
    prev_bottom = None
    if header:
        first = block[0]
        slack = first.height
        if first.x0 < cols[0][0] - slack or first.x1 > cols[-1][1] + slack:
            return None  # sticks out of the table: not its header
        head = _place(first, cols, starts)
        if sum(1 for cell in head if cell) < min(3, len(cols)):
            return None
        rows.append(head)
        prev_bottom = first.bottom
        block = block[1:]
    for ln in block:
        placed = _place(ln, cols, starts)
        continues = (
            rules and rows and len(ln.segments) == 1 and prev_bottom is not None
            and not any(prev_bottom - 1 <= y <= ln.top + 1 for y in rules)
        )
        if continues:
            for c, words in enumerate(placed):
                rows[-1][c].extend(words)
        else:
            rows.append(placed)
        prev_bottom = ln.bottom
    multi = sum(1 for r in rows if sum(1 for cell in r if cell) >= 2)
    if multi < 2:
        return None
    rows = _merge_complementary(rows)
    if len(rows[0]) == 2 and not _two_column_table(rows, multi):
        return None
    return make_table(rows, "aligned")


def _merge_complementary(rows: list[list[list[PWord]]]) -> list[list[list[PWord]]]:
    """Merge neighbouring columns that no row fills both of.

    A left-aligned header over right-aligned numbers ("Qty" above "  2") does not overlap them,
    so the ink projection sees two columns; they are one column if they never share a row.
    """
    k = 0
    while k < len(rows[0]) - 1:
        if any(r[k] and r[k + 1] for r in rows):
            k += 1
            continue
        for r in rows:
            r[k] = r[k] + r[k + 1]
            del r[k + 1]
    return rows


def _two_column_table(rows: list[list[list[PWord]]], multi: int) -> bool:
    """Two columns are a table (labels and amounts) only if one of them holds numbers.

    Without that test, key-value lists ("Date:   1 May") and side-by-side blocks (sender and
    invoice details, two-column prose) would all become tables; as lines they read better.
    """
    if multi < 3:
        return False
    left = [" ".join(w.text for w in r[0]) for r in rows if r[0]]
    right = [" ".join(w.text for w in r[1]) for r in rows if r[1]]
    if sum(1 for t in left if t.endswith(":")) >= 0.6 * len(left):
        return False
    return any(col and sum(1 for t in col if _numeric(t)) >= 0.6 * len(col) for col in (left, right))


def _numeric(text: str) -> bool:
    """An amount, quantity, date or code: digits with at most a currency or unit word."""
    return any(ch.isdigit() for ch in text) and sum(1 for ch in text if ch.isalpha()) <= 3


def _row_rules(block: list[TextLine], hlines: list[tuple[float, float, float]]) -> list[float]:
    """Y of horizontal rules inside the block spanning at least half its width; [] if fewer than 2."""
    x0 = min(ln.x0 for ln in block)
    x1 = max(ln.x1 for ln in block)
    top, bottom = block[0].top, block[-1].bottom
    half = (x1 - x0) / 2
    ys = [y for y, a, b in hlines if top <= y <= bottom and min(b, x1) - max(a, x0) >= half]
    return ys if len(ys) >= 2 else []
