"""Finding value text next to labels: shared by the rule engine and the generic extractor.

Every finder returns `Hit`s: a span into `Document.text` (so `doc.text[hit.start:hit.end] ==
hit.text`), the page, the label that anchored it, how it was found and a layout score (0..1).

Label matching is case-insensitive and tolerant of whitespace and punctuation: "Invoice No."
matches "Invoice no:", "INVOICE NO", "Invoice-No" and "InvoiceNo"; labels match whole words
only ("Total" does not match inside "Subtotal"). Where several labels match overlapping text,
the longest wins: a match contained in a longer one is dropped ("Date" inside "Invoice Date",
"Total" inside "Total Due", "VAT" inside "VAT Number"), and longer labels score higher.

Where the value sits:
  right  - after the label on the same line, up to a column gap (3+ spaces or a tab: the PDF
           parser joins far-apart word groups that way), the next label ("Date: 1 May Ref: 7")
           or the end of the line. A label that ends its column takes the next column.
  below  - PDF lines: the words on the next line(s) whose x-range overlaps the label's (the
           first line that has any); other text: the column of the next non-empty line that
           overlaps the label's character columns (or the whole line if it has one column).
  kv     - KEY_VALUE elements: the value attribute's span.
  table  - table cells: "label | value" rows and "label" cells with the value below.

Layout scores: a label that starts its column and is followed by ":" scores highest; a label
word inside running text ("... our total commitment ...") scores low, as does a header that
heads a list column (two or more values of one shape below it: line items), a value across a
column gap on a row of headers, and a value written much larger than its label (a heading
sharing the baseline). Scores are multiplied by the label's specificity. A label directly
followed by another label ("Customer Account") qualifies it and anchors nothing itself.

API: `find_after_label`, `find_regex`, `find_table_rows`, `find_label_cells` (as the rule engine
uses them); `match_labels` + `values_for_matches` (label matches of many fields at once, for the
generic extractor); `doc_index` (cached lines with geometry) and `segments` (a line's columns).
"""

from __future__ import annotations

import bisect
import re
from functools import lru_cache
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pipelines.document import Cell, Document, Element, Kind, Word


@dataclass(slots=True)
class Hit:
    start: int
    end: int
    text: str  # doc.text[start:end] == text
    page: int | None
    label: str | None = None  # the label that anchored it
    how: str = ""  # "right", "below", "kv", "table", "regex", "header", "row"
    score: float = 1.0  # how strongly the layout supports this hit (0..1)


@dataclass(slots=True)
class LabelMatch:
    """One occurrence of a label in the text."""

    start: int
    end: int
    label: str  # the label as given by the caller
    page: int | None
    specificity: float  # 0..1: longer, multi-word labels are more specific


Direction = Literal["right", "below", "any"]

# ---------------------------------------------------------------------------------------------
# Label patterns

_TOKEN = re.compile(r"\w+|[#°º№]", re.UNICODE)
# Between the words of a label: spaces and light punctuation, never a line break or a tab.
_BETWEEN = r"(?: ?[.\-_/()'’,]{0,2} ?|\t)"
# After a label: optional ":", "#", "=", "." leaders, "-" (only if followed by a space: keep
# the sign of "-12.00") and spaces, but not across a column gap.
_AFTER = re.compile(r"(?:[ \u00a0]{0,2}(?:[:#=.：]+|[-–—](?=\s))[ \u00a0]{0,2})*[ \u00a0]?")
_GAP = re.compile(r"\t|[ \u00a0]{3,}")
_GAP2 = re.compile(r"\t|[ \u00a0]{2,}")  # plain-text tables: two spaces already part columns
_SPACE_RUN = re.compile(r"[ \u00a0\t]+")
# An inline label ending a value: "Guest Name: Sanjay Date: 31/12/2017" -> "Sanjay".
_INLINE_LABEL = re.compile(r"(?<=\s)[^\W\d_][\w.'’/-]*(?:[ ][\w.'’/-]+){0,3}[ ]?:(?=\s|$)")
# A label written longer than the alias: up to three more words, then a colon.
_LABEL_TAIL = re.compile(r"(?:[^\W\d_][\w.'’()/-]*[ ]?){1,3}:[ ]*")
_TRAIL = re.compile(r"[\s,;:|(\[{]+$")
_LEAD = re.compile(r"^[\s,;:|)\]}]+")

_PATTERN_CACHE: dict[str, re.Pattern[str] | None] = {}


@lru_cache(maxsize=65536)
def fold_label(text: str) -> str:
    """Canonical form of a label for comparison: lower case, no accents, words joined by spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_TOKEN.findall(plain))


def label_pattern(label: str) -> re.Pattern[str] | None:
    """The compiled regex for one label (None for a label without any word)."""
    if label in _PATTERN_CACHE:
        return _PATTERN_CACHE[label]
    tokens = _TOKEN.findall(label)
    if not tokens:
        _PATTERN_CACHE[label] = None
        return None
    parts: list[str] = []
    for i, tok in enumerate(tokens):
        if tok[0].isalnum() or tok[0] == "_":
            esc = re.escape(tok)
            if i == 0 and len(tok) >= 5 and tok[0].isalpha():
                # PDF text layers sometimes split an initial capital from its word
                # ("F actuurnummer"): tolerate one space after the first letter.
                esc = re.escape(tok[0]) + "(?: )?" + re.escape(tok[1:])
            parts.append(esc)
        else:
            parts.append("[#°º№o]" if tok in "°º" else re.escape(tok))
    body = _BETWEEN.join(parts)
    head = r"(?<!\w)" if tokens[0][0].isalnum() else ""
    tail = r"(?!\w)" if tokens[-1][0].isalnum() else ""
    pat = re.compile(head + body + tail, re.IGNORECASE)
    _PATTERN_CACHE[label] = pat
    return pat


def specificity(label: str) -> float:
    """0.55 for a short one-word label ("Date", "VAT") up to 1.0 for long multi-word ones."""
    tokens = [t for t in _TOKEN.findall(label) if t[0].isalnum()]
    n_chars = sum(len(t) for t in tokens)
    score = 0.55 + 0.15 * min(len(tokens) - 1, 2) + 0.15 * min(max(n_chars - 4, 0), 10) / 10
    return round(min(score, 1.0), 3)


# ---------------------------------------------------------------------------------------------
# A per-document index of lines (cached: the generic extractor calls the finders many times)


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


def _lowered(doc: Document) -> str:
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


# ---------------------------------------------------------------------------------------------
# Label matches


def match_labels(doc: Document, labels: Iterable[str], *, suppress: bool = True) -> list[LabelMatch]:
    """Every occurrence of the labels; with `suppress`, matches inside longer ones are dropped.

    Matches with exactly the same span (two labels that read the same) are all kept.
    """
    idx = doc_index(doc)
    text = doc.text
    lower = _lowered(doc)
    found: list[LabelMatch] = []
    seen: set[tuple[int, int, str]] = set()
    for label in dict.fromkeys(labels):
        pat = label_pattern(label)
        if pat is None:
            continue
        first = _TOKEN.findall(label)[0].lower()
        probe = first[1:] if len(first) >= 5 else first
        if probe and probe not in lower:
            continue  # cheap test before the regex scan (large documents, many aliases)
        spec = specificity(label)
        for m in pat.finditer(text):
            key = (m.start(), m.end(), label)
            if key in seen:
                continue
            seen.add(key)
            found.append(LabelMatch(m.start(), m.end(), label, idx.page_at(m.start()), spec))
    return suppress_contained(found) if suppress else sorted(found, key=lambda m: (m.start, -m.end))


def suppress_contained(matches: Sequence[LabelMatch]) -> list[LabelMatch]:
    """Drop matches strictly inside a longer match ("Date" in "Invoice Date", "Total" in "Total Due")."""
    ordered = sorted(matches, key=lambda m: (m.start, -m.end))
    kept: list[LabelMatch] = []
    best_end, best_start = -1, -1
    for m in ordered:
        if best_end > m.end or (best_end == m.end and best_start < m.start):
            continue  # contained in an earlier, longer match
        kept.append(m)
        if m.end > best_end:
            best_end, best_start = m.end, m.start
    return kept


# ---------------------------------------------------------------------------------------------
# Values next to a label match


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink a span to drop surrounding spaces and dangling separators."""
    seg = text[start:end]
    lead = _LEAD.match(seg)
    if lead:
        start += lead.end()
    seg = text[start:end]
    trail = _TRAIL.search(seg)
    if trail:
        end -= len(seg) - trail.start()
    return start, max(start, end)


def _segments(text: str, start: int, end: int, gap: re.Pattern[str] | None = None) -> list[tuple[int, int]]:
    """Column segments of a line: runs of text separated by 3+ spaces or tabs (`gap`)."""
    out: list[tuple[int, int]] = []
    pos = start
    for m in (gap or _GAP).finditer(text, start, end):
        if m.start() > pos:
            out.append((pos, m.start()))
        pos = m.end()
    if pos < end:
        out.append((pos, end))
    return [s for s in ((_trim(text, a, b)) for a, b in out) if s[1] > s[0]]


segments = _segments  # public name: the generic extractor cuts lines into columns the same way


def _has_digit(s: str) -> bool:
    return any(c.isdigit() for c in s)


@dataclass(slots=True)
class _Ctx:
    doc: Document
    idx: DocIndex
    stops_by_line: dict[int, list[LabelMatch]]
    label_starts: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.label_starts = {st.start for lst in self.stops_by_line.values() for st in lst}


def _cut_at_labels(ctx: _Ctx, line: Line, vstart: int, vend: int) -> int:
    """End a value where the next label on the same line begins."""
    text = ctx.doc.text
    for m in ctx.stops_by_line.get(line.index, ()):
        if vstart < m.start < vend:
            # a known label ends the value only where it reads like a label (":" after it or at
            # a column boundary), so "Total Amount" does not cut "Amount" out of a description
            after = text[m.end:m.end + 3]
            if after[:1] in (":", "#") or after.lstrip(" ")[:1] in (":", "#") or m.end >= vend:
                vend = m.start
                break
    m2 = _INLINE_LABEL.search(text, vstart, vend)
    if m2 and m2.start() > vstart:
        vend = m2.start()
    return vend


def _right(ctx: _Ctx, m: LabelMatch, line: Line) -> list[Hit]:
    text = ctx.doc.text
    sep = _AFTER.match(text, m.end, line.end)
    vstart = sep.end() if sep else m.end
    segs = _segments(text, line.start, line.end)
    own = next((s for s in segs if s[0] <= m.start < s[1]), None)
    label_first = own is not None and own[0] >= m.start  # label starts its column
    colon = ":" in text[m.end:vstart] or "：" in text[m.end:vstart]
    hits: list[Hit] = []
    gap = _GAP.match(text, vstart) if vstart < line.end else None
    if own is not None and label_first and not colon and vstart < own[1] and not gap:
        ext = _LABEL_TAIL.match(text, vstart, own[1])
        if ext is not None:
            vstart, colon = ext.end(), True
    if own is not None and vstart < own[1] and not gap:
        vend = _cut_at_labels(ctx, line, vstart, own[1])
        a, b = _trim(text, vstart, vend)
        if b > a:
            if not label_first and m.specificity < 0.6:
                layout = 0.3  # a short generic label inside text ("Please remit to: ...")
            elif colon:
                layout = 1.0 if label_first else 0.8
            elif label_first:
                # "Total 12.00" reads as a label; "Invoice for the period of ..." less so
                layout = 0.9 if len(text[a:b].split()) <= 4 else 0.6
            else:
                layout = 0.3  # a label word in running text ("... removed debris from case")
            if line.in_table:
                layout = min(layout, 0.9)
            hits.append(Hit(a, b, text[a:b], line.page, m.label, "right", layout))
            return hits
    # The label ends its column: the value is the next column on the line, unless this line is
    # a row of headers (nothing numeric in any column), whose values sit below.
    if own is None:
        return hits
    after = [s for s in segs if s[0] >= own[1]]
    if not after:
        return hits
    a, b = after[0]
    b = _cut_at_labels(ctx, line, a, b)
    a, b = _trim(text, a, b)
    if b <= a:
        return hits
    header_row = len(segs) >= 2 and not any(_has_digit(text[s:e]) for s, e in segs)
    if any(st.start == after[0][0] for st in ctx.stops_by_line.get(line.index, ())):
        return hits  # the next column is another label
    if not _same_size(line, m, a, b):
        return hits
    layout = 0.35 if header_row else (0.85 if colon else 0.75)
    if line.in_table:
        return hits  # table rows are read cell by cell (see _cells)
    hits.append(Hit(a, b, text[a:b], line.page, m.label, "right", layout))
    return hits


def _same_size(line: Line, m: LabelMatch, a: int, b: int) -> bool:
    """On a laid-out line, a value is written about as large as its label: a big heading that
    shares the baseline ("Bill To:   ACME CORP" in 22 pt) is not the label's value."""
    if not line.words:
        return True
    lab = [w.bbox.y1 - w.bbox.y0 for w in line.words if w.end > m.start and w.start < m.end]
    val = [w.bbox.y1 - w.bbox.y0 for w in line.words if w.end > a and w.start < b]
    if not lab or not val:
        return True
    return max(val) <= 1.6 * max(lab)


def _label_alone(ctx: _Ctx, m: LabelMatch, line: Line) -> bool:
    """Nothing but separators after the label in its column (a value may then sit below)."""
    text = ctx.doc.text
    sep = _AFTER.match(text, m.end, line.end)
    rest_start = sep.end() if sep else m.end
    j = rest_start
    while j < line.end and text[j] in " \u00a0\t":
        j += 1
    if j >= line.end or _GAP.search(text, m.end, j):
        return True
    rest_start = j
    # another label follows directly ("Invoice Date: Due Date:"): this one still heads a column
    return any(st.start == rest_start for st in ctx.stops_by_line.get(line.index, ()))


def _header_like(ctx: _Ctx, line: Line) -> bool:
    segs = _segments(ctx.doc.text, line.start, line.end)
    return not any(_has_digit(ctx.doc.text[a:b]) for a, b in segs)


def _below_geometric(ctx: _Ctx, m: LabelMatch, line: Line) -> Hit | None:
    assert line.words is not None and line.top is not None and line.bottom is not None
    lw = [w for w in line.words if w.end > m.start and w.start < m.end]
    if not lw:
        return None
    lx0 = min(w.bbox.x0 for w in lw)
    lx1 = max(w.bbox.x1 for w in lw)
    height = max(line.bottom - line.top, 4.0)
    found = _geo_under(ctx, line, lx0, lx1, 3.2 * height)
    if found is None:
        return None
    hit, other, (vx0, vx1) = found
    hit.label = m.label
    # a second value of the same shape right under the first: the label heads a list column
    nxt = _geo_under(ctx, other, max(lx0, vx0), min(lx1, vx1) if vx1 > lx0 else lx1, 1.8 * height)
    if nxt is not None and _has_digit(hit.text) and _has_digit(nxt[0].text):
        hit.score = -1.0  # marker, see _below
    return hit


def _geo_under(ctx: _Ctx, line: Line, lx0: float, lx1: float, max_dist: float) -> tuple[Hit, Line, tuple[float, float]] | None:
    """The first text under `line` overlapping [lx0, lx1]: its hit, line and x-range."""
    assert line.top is not None and line.bottom is not None
    height = max(line.bottom - line.top, 4.0)
    for other in ctx.idx.by_page.get(line.page, []):
        if other is line or other.top is None or (other.words is None and other.cells is None):
            continue
        if other.top < line.bottom - 0.3 * height:
            continue
        if other.top - line.bottom > max_dist:
            break
        if other.cells is not None:
            boxes = [(c, c.bbox) for c in other.cells if c.bbox is not None]
            over_c = [(min(bb.x1, lx1) - max(bb.x0, lx0), c) for c, bb in boxes if bb.x1 > lx0 - 1.0 and bb.x0 < lx1 + 1.0]
            if not over_c:
                continue
            cell = max(over_c, key=lambda t: t[0])[1]
            h = _cell_hit(ctx.doc, cell, other.page, None, "below", 0.0)
            if h is None or cell.bbox is None:
                return None
            return h, other, (cell.bbox.x0, cell.bbox.x1)
        if other.words is None:
            continue
        words = sorted(other.words, key=lambda w: w.bbox.x0)
        over = [w for w in words if w.bbox.x1 > lx0 - 1.0 and w.bbox.x0 < lx1 + 1.0]
        if not over:
            continue
        groups = _group_words(ctx.doc.text, words, max((other.bottom or 0) - other.top, 4.0))
        best = max(over, key=lambda w: min(w.bbox.x1, lx1) - max(w.bbox.x0, lx0))
        group = next(g for g in groups if best in g)
        a, b = min(w.start for w in group), max(w.end for w in group)
        a, b = _trim(ctx.doc.text, a, b)
        if b <= a:
            return None
        hit = Hit(a, b, ctx.doc.text[a:b], other.page, None, "below", 0.0)
        return hit, other, (min(w.bbox.x0 for w in group), max(w.bbox.x1 for w in group))
    return None


def _group_words(text: str, words: list[Word], height: float) -> list[list[Word]]:
    """Split a line's words (sorted by x) into columns at wide gaps."""
    groups: list[list[Word]] = []
    for w in words:
        if groups:
            prev = groups[-1][-1]
            gap = w.bbox.x0 - prev.bbox.x1
            between = text[prev.end:w.start] if prev.end <= w.start else ""
            if gap < 0.9 * height and not _GAP.search(between) and "\n" not in between:
                groups[-1].append(w)
                continue
        groups.append([w])
    return groups


def _below_text(ctx: _Ctx, m: LabelMatch, line: Line) -> Hit | None:
    text = ctx.doc.text
    col0, col1 = m.start - line.start, m.end - line.start
    lines = ctx.idx.lines
    blank = 0
    i = line.index + 1
    while i < len(lines) and blank <= 1:
        nxt = lines[i]
        i += 1
        if nxt.page != line.page or nxt.in_table != line.in_table:
            return None
        if nxt.element.kind in (Kind.EMAIL_HEADER, Kind.CODE_DATA) and nxt.element is not line.element:
            return None
        segs = _segments(text, nxt.start, nxt.end)
        if not segs:
            blank += 1
            continue
        if len(segs) == 1:
            a, b = segs[0]
            # a single column takes the value only if it sits under the label (or the label
            # line itself has a single column)
            if len(_segments(text, line.start, line.end)) > 1 and not (a - nxt.start < col1 + 2 and b - nxt.start > col0 - 2):
                return None
        else:
            overlap = [(min(b - nxt.start, col1) - max(a - nxt.start, col0), a, b) for a, b in segs]
            ov, a, b = max(overlap)
            if ov <= 0:
                # columns of monospaced text rarely start exactly under their header: accept the
                # nearest segment starting within a few characters
                near = [(abs((a - nxt.start) - col0), a, b) for a, b in segs if abs((a - nxt.start) - col0) <= 3]
                if not near:
                    return None
                _, a, b = min(near)
        return Hit(a, b, text[a:b], nxt.page, m.label, "below", 0.0)
    return None


def _below(ctx: _Ctx, m: LabelMatch, line: Line) -> Hit | None:
    if line.in_table:
        return None  # cells, see _cells
    if not _label_alone(ctx, m, line):
        return None
    if m.specificity < 0.6:
        # a short generic label ("To", "Date") heads a column only if it starts it
        own = next((s for s in _segments(ctx.doc.text, line.start, line.end) if s[0] <= m.start < s[1]), None)
        if own is not None and own[0] < m.start:
            return None
    hit = _below_geometric(ctx, m, line) if line.words else _below_text(ctx, m, line)
    if hit is None:
        return None
    column = hit.score < 0
    hit.score = 0.85 if _header_like(ctx, line) else 0.7
    if column:
        hit.score *= 0.35  # the header of a list column (line items), not of one value
    return hit


def _kv(ctx: _Ctx, m: LabelMatch, line: Line) -> Hit | None:
    el = line.element
    if el.kind is not Kind.KEY_VALUE:
        return None
    key = str(el.attrs.get("key", ""))
    value = str(el.attrs.get("value", ""))
    if not value or fold_label(key) != fold_label(ctx.doc.text[m.start:m.end]):
        return None
    pos = el.text.find(value, max(0, m.end - el.start))
    if pos < 0:
        return None
    a = el.start + pos
    b = a + len(value)
    gap = _GAP.search(ctx.doc.text, a, b)
    if gap is not None:
        b = gap.start()  # "Key: value      Other key: ..." on one line of laid-out text
    b = _cut_at_labels(ctx, line, a, b)
    a, b = _trim(ctx.doc.text, a, b)
    if b <= a or not _same_size(line, m, a, b):
        return None
    return Hit(a, b, ctx.doc.text[a:b], el.page, m.label, "kv", 1.0)


# ---------------------------------------------------------------------------------------------
# Tables


def _cell_grid(el: Element) -> dict[tuple[int, int], Cell]:
    return {(c.row, c.col): c for c in (el.cells or [])}


def _cell_hit(doc: Document, c: Cell, page: int | None, label: str | None, how: str, score: float) -> Hit | None:
    a, b = _trim(doc.text, c.start, c.end)
    if b <= a:
        return None
    return Hit(a, b, doc.text[a:b], page, label, how, score)


def _cells(ctx: _Ctx, m: LabelMatch, direction: Direction = "any") -> list[Hit]:
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
    after_m = _AFTER.match(text, m.end, cell.end)
    a0 = after_m.end() if after_m else m.end
    after = text[a0:cell.end].strip(" *")
    colon = ":" in text[m.end:a0]
    hits: list[Hit] = []
    if before:
        # a cell that ends with the label ("Factuur datum" for "Datum", "Please pay by"): its
        # value may sit below or right; a label in the middle of a cell's text anchors nothing
        if after or len(before.split()) > 2:
            return []
    elif after and direction != "below":
        a, b = _trim(text, a0, cell.end)
        if b > a:
            hits.append(Hit(a, b, text[a:b], el.page, m.label, "table", 0.9 if colon else 0.7))
    grid = _cell_grid(el)
    filled = [c for c in el.cells if c.row == cell.row and c.text.strip()]
    row_header_like = not any(_has_digit(c.text) for c in filled)
    def is_label(c: Cell) -> bool:
        a, _ = _trim(text, c.start, c.end)
        return a in ctx.label_starts

    row_cells = [c for c in filled if c.col > cell.col] if direction != "below" else []
    if row_cells and not is_label(min(row_cells, key=lambda c: c.col)):
        right = min(row_cells, key=lambda c: c.col)
        score = 0.95 if len(filled) == 2 else (0.4 if row_header_like else 0.75)
        if after:
            score *= 0.6
        if before:
            score *= 0.7
        h = _cell_hit(ctx.doc, right, el.page, m.label, "table", score)
        if h:
            hits.append(h)
    below = grid.get((cell.row + 1, cell.col)) if direction != "right" else None
    if below is not None and below.text.strip() and not after and not is_label(below):
        score = 0.9 if row_header_like and len(filled) > 2 else 0.65
        if before:
            score *= 0.85
        if _heads_column(grid, cell, text):
            score *= 0.35  # the header of a list column (line items), not of one value
        h = _cell_hit(ctx.doc, below, el.page, m.label, "table", score)
        if h:
            hits.append(h)
    return hits


def _heads_column(grid: dict[tuple[int, int], Cell], cell: Cell, text: str) -> bool:
    """Two or more values of the same shape below a header cell: a column of a list."""
    below = [grid.get((cell.row + k, cell.col)) for k in (1, 2)]
    if any(c is None or not c.text.strip() for c in below):
        return False
    shapes = {re.sub(r"[^\W\d_]+", "a", re.sub(r"\d+", "9", c.text.strip())) for c in below if c is not None}
    digits = [_has_digit(c.text) for c in below if c is not None]
    return len(shapes) == 1 or all(digits)


def find_label_cells(doc: Document, labels: Sequence[str]) -> list[Hit]:
    """2-column "label | value" table rows, and a "label" cell with its value in the cell below."""
    matches = [m for m in match_labels(doc, labels)]
    ctx = _Ctx(doc, doc_index(doc), _stops_by_line(doc, matches))
    hits: list[Hit] = []
    for m in matches:
        for h in _cells(ctx, m):
            h.score = round(h.score * (0.75 + 0.25 * m.specificity), 4)
            hits.append(h)
    return _dedupe(hits)


def _stops_by_line(doc: Document, matches: Iterable[LabelMatch]) -> dict[int, list[LabelMatch]]:
    idx = doc_index(doc)
    out: dict[int, list[LabelMatch]] = {}
    for m in matches:
        line = idx.line_at(m.start)
        if line is not None:
            out.setdefault(line.index, []).append(m)
    for v in out.values():
        v.sort(key=lambda x: x.start)
    return out


def _dedupe(hits: list[Hit]) -> list[Hit]:
    """Best hit per span; sorted by score (best first), then position."""
    best: dict[tuple[int, int], Hit] = {}
    for h in hits:
        old = best.get((h.start, h.end))
        if old is None or h.score > old.score:
            best[(h.start, h.end)] = h
    return sorted(best.values(), key=lambda h: (-h.score, h.start))


def values_for_matches(doc: Document, matches: Sequence[LabelMatch], direction: Direction = "any",
                       *, stops: Sequence[LabelMatch] = (),
                       qualified_by: Sequence[LabelMatch] | None = None) -> list[tuple[LabelMatch, Hit]]:
    """The value hits of given label matches (the generic extractor's entry point).

    `stops` are label matches (of any field) that end a value running into them. A match
    directly followed by one of `qualified_by` (default: matches + stops) is the first word of
    a compound label ("Customer" in "Customer Account") and yields nothing. Hit scores are
    layout scores times the label's specificity; they are not deduplicated.
    """
    idx = doc_index(doc)
    ctx = _Ctx(doc, idx, _stops_by_line(doc, list(matches) + list(stops)))
    qual = ctx.stops_by_line if qualified_by is None else _stops_by_line(doc, qualified_by)
    out: list[tuple[LabelMatch, Hit]] = []
    text = doc.text
    for m in matches:
        line = idx.line_at(m.start)
        if line is None:
            continue
        if _modifies_next_label(doc.text, qual.get(line.index, ()), m):
            continue
        found: list[Hit] = []
        kv = _kv(ctx, m, line)
        if kv is not None and direction in ("right", "any"):
            found.append(kv)
        else:
            if line.in_table:
                found.extend(_cells(ctx, m, direction))
            if direction in ("right", "any"):
                found.extend(_right(ctx, m, line))
            if direction in ("below", "any"):
                below = _below(ctx, m, line)
                if below is not None:
                    if direction == "any" and any(h.how == "right" and h.score >= 0.85 for h in found):
                        below.score *= 0.6
                    found.append(below)
        for h in found:
            h.score = round(h.score * (0.75 + 0.25 * m.specificity), 4)
            out.append((m, h))
    return out


def _modifies_next_label(text: str, on_line: Iterable[LabelMatch], m: LabelMatch) -> bool:
    """"Customer Account", "Client account": a label directly followed by another label (only
    spaces between, no colon) qualifies it; the value belongs to the compound, not to this one."""
    for st in on_line:
        if st.start > m.start and st.start >= m.end:
            between = text[m.end:st.start]
            return st.start - m.end <= 2 and between.strip(" ") == "" and st.start > m.end
    return False


def find_after_label(doc: Document, labels: Sequence[str], direction: Direction = "any",
                     *, stop_labels: Sequence[str] = ()) -> list[Hit]:
    """Values anchored by any of the labels, best first.

    Where labels overlap, only the longest match counts. `stop_labels` are other labels that
    end a value running into them (the generic extractor passes every schema alias).
    """
    matches = match_labels(doc, list(labels) + [s for s in stop_labels if s not in labels])
    own = set(labels)
    mine = [m for m in matches if m.label in own]
    return _dedupe([h for _, h in values_for_matches(doc, mine, direction, stops=matches)])


# ---------------------------------------------------------------------------------------------
# Regex


def find_regex(doc: Document, pattern: str | re.Pattern[str]) -> list[Hit]:
    """Matches in the text: named group "value", else group 1, else the whole match."""
    pat = re.compile(pattern) if isinstance(pattern, str) else pattern
    idx = doc_index(doc)
    hits: list[Hit] = []
    for m in pat.finditer(doc.text):
        if "value" in pat.groupindex:
            grp: int | str = "value"
        elif pat.groups >= 1:
            grp = 1
        else:
            grp = 0
        a, b = m.span(grp)
        if a < 0 or b <= a:
            continue
        hits.append(Hit(a, b, doc.text[a:b], idx.page_at(a), None, "regex", 1.0))
    return hits


# ---------------------------------------------------------------------------------------------
# Table rows


_Columns = list[tuple[str, int, str, str, re.Pattern[str]]]  # name, rank, alias, folded alias, pattern


def _fold_columns(columns: Mapping[str, Sequence[str]]) -> _Columns:
    out: _Columns = []
    for name, aliases in columns.items():
        for rank, alias in enumerate(aliases):
            fa = fold_label(alias)
            if fa:
                out.append((name, rank, alias, fa, re.compile(rf"(?<!\w){re.escape(fa)}(?!\w)")))
    return out


def _header_assign(cells: Sequence[tuple[int, str]], columns: Mapping[str, Sequence[str]] | _Columns) -> dict[int, tuple[str, str]]:
    """Header cells (position, text) -> {position: (column name, alias)}; best coverage first,
    then the earlier alias."""
    cols = columns if isinstance(columns, list) else _fold_columns(columns)
    scored: list[tuple[float, int, int, str, str]] = []
    for pos, text in cells:
        if len(text) > 80:
            continue
        folded = fold_label(text)
        if not folded:
            continue
        for name, rank, alias, fa, pat in cols:
            if folded == fa:
                cover = 1.0
            elif len(fa) < len(folded) and pat.search(folded):
                cover = len(fa) / len(folded)
                if cover < 0.3:
                    continue
            else:
                continue
            scored.append((cover, rank, pos, name, alias))
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
    current: list[dict[str, Hit]] = []
    for r in rows:
        cells = sorted(by_row[r], key=lambda c: c.col)
        assign = _header_assign([(c.col, c.text) for c in cells if c.text.strip()], columns)
        if len(assign) >= min_columns and not any(_has_digit(c.text) for c in cells if c.col in assign):
            texts = tuple(fold_label(c.text) for c in cells)
            if header is not None and texts == header_texts:
                continue  # the header repeated (a table split over pages)
            if current:
                tables.append(current)
            header, header_texts, current = assign, texts, []
            continue
        if header is None:
            continue
        row: dict[str, Hit] = {}
        for c in cells:
            if c.col in header:
                name, alias = header[c.col]
                h = _cell_hit(doc, c, el.page, alias, "table", 0.9)
                if h is not None:
                    row[name] = h
        if row:
            current.append(row)
    if current:
        tables.append(current)
    return tables


def _geo_groups(doc: Document, line: Line) -> list[tuple[float, float, int, int]]:
    """A geometric line's columns as (x0, x1, start, end): its cells, or its word groups."""
    if line.cells is not None:
        return [(c.bbox.x0, c.bbox.x1, c.start, c.end) for c in line.cells if c.bbox is not None]
    if not line.words:
        return []
    height = max((line.bottom or 0) - (line.top or 0), 4.0)
    groups = _group_words(doc.text, sorted(line.words, key=lambda w: w.bbox.x0), height)
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
            if len(assign) < max(min_columns, 1) or any(_has_digit(t) for k, t in cells if k in assign):
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
                if len(_header_assign(ncells, columns)) >= 2 and not any(_has_digit(t) for _, t in ncells):
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
                    a, b = _trim(doc.text, a, b)
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
        segs = _segments(text, line.start, line.end, _GAP2)
        if len(segs) < 2:
            continue
        cells = [(k, text[a:b]) for k, (a, b) in enumerate(segs)]
        assign = _header_assign(cells, columns)
        if len(assign) < max(min_columns, 2) or any(_has_digit(t) for k, t in cells if k in assign):
            continue
        cols = [(a - line.start, b - line.start) for a, b in segs]
        rows: list[dict[str, Hit]] = []
        blank = 0
        while i < len(lines) and blank < 2:
            nxt = lines[i]
            nsegs = _segments(text, nxt.start, nxt.end, _GAP2)
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
