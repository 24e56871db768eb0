"""Words -> visual lines -> column segments, and the page's reading order.

A line is the words that share a baseline (vertical overlap), left to right. Inside a line, a gap
wider than about one line-height is a column gap: the words either side belong to different
"segments". Segments are what the borderless-table finder aligns across lines, and in a line's
text a column gap is written as three spaces so that both `Invoice No:   123` style regexes and
column structure survive.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.parse.pdf_text import PWord

COL_GAP = 0.9  # x line height: a gap at least this wide separates columns (a space is ~0.3)
COL_SEP = "   "  # how a column gap is written in a line's text
TOUCH_GAP = 0.1  # x line height: words closer than this are one word (a space is ~0.25)


@dataclass(slots=True)
class TextLine:
    segments: list[list[PWord]]  # left to right; each segment left to right
    boxes: list[tuple[float, float]]  # x-range of each segment
    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def words(self) -> list[PWord]:
        return [w for seg in self.segments for w in seg]

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def text_and_offsets(self) -> tuple[str, list[int]]:
        """The line's text and each word's offset in it (segments joined by COL_SEP)."""
        parts: list[str] = []
        offsets: list[int] = []
        pos = 0
        for k, seg in enumerate(self.segments):
            if k:
                parts.append(COL_SEP)
                pos += len(COL_SEP)
            for j, w in enumerate(seg):
                if j:
                    parts.append(" ")
                    pos += 1
                offsets.append(pos)
                parts.append(w.text)
                pos += len(w.text)
        return "".join(parts), offsets


def group_lines(words: list[PWord], rotated: bool = False) -> list[TextLine]:
    """Cluster words into lines by vertical overlap, top to bottom."""
    if not words:
        return []
    ordered = sorted(words, key=lambda w: w.cy)
    groups: list[list[PWord]] = []
    cur: list[PWord] = []
    top = bottom = mid = 0.0
    for w in ordered:
        # Same line if this word's centre is inside the line's first word, or vice versa: robust
        # to mixed font sizes on one baseline, strict enough to keep adjacent lines apart.
        if cur and (top <= w.cy <= bottom or w.top <= mid <= w.bottom):
            cur.append(w)
            continue
        if cur:
            groups.append(cur)
        cur = [w]
        top, bottom, mid = w.top, w.bottom, w.cy
    groups.append(cur)
    lines = [_make_line(g, rotated) for g in groups]
    lines.sort(key=lambda ln: (ln.top, ln.x0))
    return lines


def _make_line(words: list[PWord], rotated: bool) -> TextLine:
    words.sort(key=lambda w: w.x0)
    heights = sorted(w.bottom - w.top for w in words)
    line_h = heights[len(heights) // 2]
    touch = TOUCH_GAP * line_h
    kept: list[PWord] = [words[0]]
    for w in words[1:]:
        p = kept[-1]
        # Some producers fake bold by drawing the same text twice, slightly offset.
        if w.text == p.text and abs(w.x0 - p.x0) < 1.5 and abs(w.top - p.top) < 1.5:
            continue
        if rotated and -touch < w.x0 - p.x1 < touch:
            # On a page with /Rotate the text runs vertically in PDF space, where PDFium's
            # space heuristics misfire ("Rota ted"): glyphs that touch are one word. Not on
            # upright pages, where italic overhangs make real spaces look this small.
            kept[-1] = PWord(p.text + w.text, p.x0, min(p.top, w.top), max(p.x1, w.x1), max(p.bottom, w.bottom))
            continue
        kept.append(w)
    gap = COL_GAP * line_h
    first = kept[0]
    segments: list[list[PWord]] = [[first]]
    boxes: list[tuple[float, float]] = []
    left, right, top, bottom = first.x0, first.x1, first.top, first.bottom
    for w in kept[1:]:
        if w.x0 - right > gap:
            boxes.append((left, right))
            segments.append([w])
            left = w.x0
        else:
            segments[-1].append(w)
        if w.x1 > right:
            right = w.x1
        if w.top < top:
            top = w.top
        if w.bottom > bottom:
            bottom = w.bottom
    boxes.append((left, right))
    return TextLine(segments, boxes, first.x0, top, max(b for _, b in boxes), bottom)


@dataclass(slots=True)
class TableBlock:
    """A detected table: rows of cells, each cell the words in it in reading order."""

    rows: list[list[list[PWord]]]
    x0: float
    top: float
    x1: float
    bottom: float
    detector: str  # "ruled" (drawn grid) or "aligned" (columns of whitespace)


def make_table(rows: list[list[list[PWord]]], detector: str) -> TableBlock | None:
    """Drop empty rows and columns; None unless at least 2x2 with 3 filled cells remain."""
    rows = [r for r in rows if any(r)]
    if not rows:
        return None
    ncols = max(len(r) for r in rows)
    rows = [r + [[] for _ in range(ncols - len(r))] for r in rows]
    keep = [c for c in range(ncols) if any(r[c] for r in rows)]
    rows = [[r[c] for c in keep] for r in rows]
    filled = sum(1 for r in rows for cell in r if cell)
    if len(rows) < 2 or len(keep) < 2 or filled < 3:
        return None
    words = [w for r in rows for cell in r for w in cell]
    return TableBlock(
        rows, min(w.x0 for w in words), min(w.top for w in words),
        max(w.x1 for w in words), max(w.bottom for w in words), detector,
    )


def median(values: list[float], default: float = 10.0) -> float:
    if not values:
        return default
    s = sorted(values)
    return s[len(s) // 2]
