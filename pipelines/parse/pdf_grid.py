"""Ruled tables: rulings that cross each other form a grid; words are dropped into its cells.

Rulings are merged (a border drawn cell by cell becomes one line), grouped into connected sets
(a horizontal and a vertical ruling are connected when they touch), and each set with at least
two columns becomes a grid. A grid row drawn around several records (only an outer border, no
row lines) is split into one row per text line that fills two or more columns; a line that fills
only one column continues the row above (a wrapped description).
"""

from __future__ import annotations

from bisect import bisect_right

from pipelines.parse.pdf_graphics import Graphics
from pipelines.parse.pdf_layout import TableBlock, group_lines, make_table, median
from pipelines.parse.pdf_text import PWord

SNAP = 2.0  # points: rulings closer than this are the same line (double borders, cell-by-cell)
JOIN = 3.0  # points: collinear rulings with gaps up to this are one line
TOUCH = 3.0  # points: how far a ruling may stop short of another and still connect
MAX_RULES = 600  # per direction; a page with more is a drawing, not a table


def merge_rules(rules: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    """Snap rulings to shared positions and join collinear pieces."""
    out: list[tuple[float, float, float]] = []
    for pos, a, b in sorted(rules):
        for k in range(len(out) - 1, -1, -1):
            p, a2, b2 = out[k]
            if pos - p > SNAP:
                out.append((pos, a, b))
                break
            if a <= b2 + JOIN and b >= a2 - JOIN:
                out[k] = (p, min(a, a2), max(b, b2))
                break
        else:
            out.append((pos, a, b))
    return out


def _cluster(values: list[float]) -> list[float]:
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= SNAP:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(c) / len(c) for c in out]


def find_grids(g: Graphics) -> list[tuple[list[float], list[float]]]:
    """Grids as (column edges xs, row edges ys), largest first."""
    hs, vs = merge_rules(g.hlines), merge_rules(g.vlines)
    if not hs or not vs or len(hs) > MAX_RULES or len(vs) > MAX_RULES:
        return []
    parent = list(range(len(hs) + len(vs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (y, hx0, hx1) in enumerate(hs):
        for j, (x, vy0, vy1) in enumerate(vs):
            if hx0 - TOUCH <= x <= hx1 + TOUCH and vy0 - TOUCH <= y <= vy1 + TOUCH:
                parent[find(i)] = find(len(hs) + j)
    groups: dict[int, tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]] = {}
    for i, h in enumerate(hs):
        groups.setdefault(find(i), ([], []))[0].append(h)
    for j, v in enumerate(vs):
        groups.setdefault(find(len(hs) + j), ([], []))[1].append(v)
    grids = []
    for gh, gv in groups.values():
        if not gh or not gv:
            continue
        # Outer edges count even where no ruling is drawn (a table with only inner column lines).
        xs = _cluster([v[0] for v in gv] + [min(h[1] for h in gh), max(h[2] for h in gh)])
        ys = _cluster([h[0] for h in gh] + [min(v[1] for v in gv), max(v[2] for v in gv)])
        if len(xs) >= 3 and len(ys) >= 2:
            grids.append((xs, ys))
    grids.sort(key=lambda xy: -(xy[0][-1] - xy[0][0]) * (xy[1][-1] - xy[1][0]))
    return grids


def fill_grid(xs: list[float], ys: list[float], words: list[PWord], rotated: bool = False) -> tuple[TableBlock | None, set[int]]:
    """Words whose centre lies in the grid go to their cell; returns the table and the ids used."""
    x0, x1, y0, y1 = xs[0] - 1, xs[-1] + 1, ys[0] - 1, ys[-1] + 1
    inside = [w for w in words if x0 <= (w.x0 + w.x1) / 2 <= x1 and y0 <= w.cy <= y1]
    if not inside:
        return None, set()
    ncols = len(xs) - 1
    bands: list[list[PWord]] = [[] for _ in range(len(ys) - 1)]
    for w in inside:
        bands[min(max(bisect_right(ys, w.cy) - 1, 0), len(bands) - 1)].append(w)
    line_h = median([w.bottom - w.top for w in inside])
    rows: list[list[list[PWord]]] = []
    for k, band in enumerate(bands):
        if not band:
            continue
        lines = group_lines(band, rotated)
        cols_of = [
            [min(max(bisect_right(xs, (w.x0 + w.x1) / 2) - 1, 0), ncols - 1) for w in ln.words] for ln in lines
        ]
        tall = ys[k + 1] - ys[k] > 3 * line_h
        split = tall and sum(1 for c in cols_of if len(set(c)) >= 2) >= 2
        row: list[list[PWord]] | None = None
        for ln, cols in zip(lines, cols_of):
            if row is None or (split and len(set(cols)) >= 2):
                row = [[] for _ in range(ncols)]
                rows.append(row)
            for w, c in zip(ln.words, cols):
                row[c].append(w)
    table = make_table(rows, "ruled")
    return table, ({id(w) for w in inside} if table else set())
