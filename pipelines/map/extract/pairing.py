"""Where a label's value sits: right of it (up to a column gap or the next label), below it
(geometric or by character columns), in a key-value element, or in a table cell.
"""

from __future__ import annotations
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pipelines.model.document import Cell, Document, Element, Kind, Word
from pipelines.model.layout import DocIndex, Line, doc_index
from pipelines.map.extract.labels import AFTER, GAP, Hit, INLINE_LABEL, LABEL_TAIL, LEAD, LabelMatch, TRAIL, fold_label
from pipelines.map.extract.vocab import AMOUNT_CUR, RATE_PREFIX

# What may follow a label on its line without being its value: a rate ("@6%"), a bracketed
# note ("(INCL. GST)", "(RM)") or a currency sign ("RM", "EUR"); the value then sits below.
# One separator character per repetition: "[:.\-]+" inside the repeated group let a run of dots
# (a contents page's leader "Term ........ 4") be split in exponentially many ways before failing.
QUALIFIER = re.compile(r"(?:[ \u00a0]*(?:\([^()\d]{1,30}\)|\(?@?[ ]?\d{1,2}(?:[.,]\d{1,2})?[ ]?%\)?|" + AMOUNT_CUR + r"|[:.\-]))+[ \u00a0]*")
_QUALIFIER_MAX = 60  # characters: a rate, a bracketed note and a currency; more is a value or prose


def qualifier_only(text: str, start: int, end: int, colon: bool) -> bool:
    """Only a qualifier between `start` and the line's `end` ("TOTAL INCL. GST @6%"). After a
    colon a bare code is a value ("Currency: EUR"); a rate or a bracketed note still is not."""
    rest = text[start:end]
    if not rest.strip() or len(rest) > _QUALIFIER_MAX or not QUALIFIER.fullmatch(rest):
        return False
    return not colon or "%" in rest or "(" in rest


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink a span to drop surrounding spaces and dangling separators."""
    seg = text[start:end]
    lead = LEAD.match(seg)
    if lead:
        start += lead.end()
    seg = text[start:end]
    trail = TRAIL.search(seg)
    if trail:
        end -= len(seg) - trail.start()
    return start, max(start, end)


def segments(text: str, start: int, end: int, gap: re.Pattern[str] | None = None) -> list[tuple[int, int]]:
    """Column segments of a line: runs of text separated by 3+ spaces or tabs (`gap`)."""
    out: list[tuple[int, int]] = []
    pos = start
    for m in (gap or GAP).finditer(text, start, end):
        if m.start() > pos:
            out.append((pos, m.start()))
        pos = m.end()
    if pos < end:
        out.append((pos, end))
    return [s for s in ((trim_span(text, a, b)) for a, b in out) if s[1] > s[0]]




def has_digit(s: str) -> bool:
    return any(c.isdigit() for c in s)


@dataclass(slots=True)
class PairCtx:
    doc: Document
    idx: DocIndex
    stops_by_line: dict[int, list[LabelMatch]]
    label_starts: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.label_starts = {st.start for lst in self.stops_by_line.values() for st in lst}


_AMOUNT_NEXT = re.compile(r"[ .]{0,3}[-+]?\d+(?:[.,]\d{2})(?!\d)")


def _cut_at_labels(ctx: PairCtx, line: Line, vstart: int, vend: int) -> int:
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
            if any(c.isdigit() for c in text[vstart:m.start]) and _AMOUNT_NEXT.match(text, m.end):
                vend = m.start  # "MwSt 7% Netto 4,39 MwSt 0,31": a key and its amount after the value's own
                break
    m2 = INLINE_LABEL.search(text, vstart, vend)
    if m2 and m2.start() > vstart:
        vend = m2.start()
    return vend


def value_right(ctx: PairCtx, m: LabelMatch, line: Line) -> list[Hit]:
    text = ctx.doc.text
    sep = AFTER.match(text, m.end, line.end)
    vstart = sep.end() if sep else m.end
    segs = segments(text, line.start, line.end)
    own = next((s for s in segs if s[0] <= m.start < s[1]), None)
    label_first = own is not None and own[0] >= m.start  # label starts its column
    if own is not None and not label_first and text[own[0]:m.start].strip() and RATE_PREFIX.fullmatch(text[own[0]:m.start]):
        label_first = True  # "zzgl. 19 % USt.  83,60": the rate and its operator before the tax's label
    colon = ":" in text[m.end:vstart] or "：" in text[m.end:vstart]
    hits: list[Hit] = []
    gap = GAP.match(text, vstart) if vstart < line.end else None
    if own is not None and label_first and not colon and vstart < own[1] and not gap:
        ext = LABEL_TAIL.match(text, vstart, own[1])
        if ext is not None:
            vstart, colon = ext.end(), True
    if own is not None and vstart < own[1] and not gap and qualifier_only(text, vstart, line.end, colon):
        return hits  # "TOTAL INCL. GST @6%": the value is on the next line (value_below)
    if own is not None and vstart < own[1] and not gap and qualifier_only(text, vstart, own[1], colon) \
            and any(sg[0] >= own[1] for sg in segs):
        vstart = own[1]  # "Total EUR   34,73": a currency sign ends the label's column, the amount is the next one
    if own is not None and vstart < own[1] and not gap and _label_next(ctx, line, vstart):
        return hits  # "Bill To: Ship To:" (OCR joins the columns): the next label, not a value
    if own is not None and vstart < own[1] and not gap:
        vend = _cut_at_labels(ctx, line, vstart, own[1])
        a, b = trim_span(text, vstart, vend)
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
    a, b = trim_span(text, a, b)
    if b <= a:
        return hits
    header_row = len(segs) >= 2 and not any(has_digit(text[s:e]) for s, e in segs)
    if any(st.start == after[0][0] for st in ctx.stops_by_line.get(line.index, ())):
        return hits  # the next column is another label
    if not _same_size(line, m, a, b):
        return hits
    layout = 0.35 if header_row else (0.85 if colon else 0.75)
    if line.in_table:
        return hits  # table rows are read cell by cell (see cell_hits)
    hits.append(Hit(a, b, text[a:b], line.page, m.label, "right", layout))
    return hits


def _label_next(ctx: PairCtx, line: Line, pos: int) -> bool:
    """A label of the document starts at `pos` (after spaces) and reads as one: a colon after it."""
    text = ctx.doc.text
    while pos < line.end and text[pos] in " \u00a0":
        pos += 1
    return any(st.start == pos and text[st.end:st.end + 2].lstrip(" ")[:1] in (":", "：")
               for st in ctx.stops_by_line.get(line.index, ()))


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


def _label_alone(ctx: PairCtx, m: LabelMatch, line: Line) -> bool:
    """Nothing but separators after the label in its column (a value may then sit below)."""
    text = ctx.doc.text
    sep = AFTER.match(text, m.end, line.end)
    rest_start = sep.end() if sep else m.end
    j = rest_start
    while j < line.end and text[j] in " \u00a0\t":
        j += 1
    if j >= line.end or GAP.search(text, m.end, j) or _column_ends(text, m, line):
        return True
    # only a qualifier: "TOTAL INCL. GST @6%", also after a colon ("TOTAL: RM" over its amount); the
    # code stays a value right of the label too (value_right: "Currency: EUR"), the line below only
    # adds a candidate that must still parse as the field's type
    if qualifier_only(text, j, line.end, False):
        return True
    rest_start = j
    # another label follows directly ("Invoice Date: Due Date:"): this one still heads a column
    return any(st.start == rest_start for st in ctx.stops_by_line.get(line.index, ()))


def _column_ends(text: str, m: LabelMatch, line: Line) -> bool:
    """On a laid-out line whose text joins columns with one space (OCR), the label ends its column
    where the word boxes leave a wide gap after it ("Invoice No      Paid By" over the values)."""
    if not line.words or line.top is None or line.bottom is None:
        return False
    words = sorted(line.words, key=lambda w: w.bbox.x0)
    for group in group_words(text, words, max(line.bottom - line.top, 4.0)):
        if any(w.start < m.end and w.end > m.start for w in group):
            end = max(w.end for w in group)
            return end >= m.end and not text[m.end:end].strip(" :：.#-\t")
    return False


def _header_like(ctx: PairCtx, line: Line) -> bool:
    segs = segments(ctx.doc.text, line.start, line.end)
    return not any(has_digit(ctx.doc.text[a:b]) for a, b in segs)


def _below_geometric(ctx: PairCtx, m: LabelMatch, line: Line) -> Hit | None:
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
    if nxt is not None and has_digit(hit.text) and has_digit(nxt[0].text):
        hit.score = -1.0  # marker, see value_below
    return hit


def _geo_under(ctx: PairCtx, line: Line, lx0: float, lx1: float, max_dist: float) -> tuple[Hit, Line, tuple[float, float]] | None:
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
            h = cell_hit(ctx.doc, cell, other.page, None, "below", 0.0)
            if h is None or cell.bbox is None:
                return None
            return h, other, (cell.bbox.x0, cell.bbox.x1)
        if other.words is None:
            continue
        words = sorted(other.words, key=lambda w: w.bbox.x0)
        over = [w for w in words if w.bbox.x1 > lx0 - 1.0 and w.bbox.x0 < lx1 + 1.0]
        if not over:
            continue
        groups = group_words(ctx.doc.text, words, max((other.bottom or 0) - other.top, 4.0))
        best = max(over, key=lambda w: min(w.bbox.x1, lx1) - max(w.bbox.x0, lx0))
        group = next(g for g in groups if best in g)
        a, b = min(w.start for w in group), max(w.end for w in group)
        a, b = trim_span(ctx.doc.text, a, b)
        if b <= a:
            return None
        hit = Hit(a, b, ctx.doc.text[a:b], other.page, None, "below", 0.0)
        return hit, other, (min(w.bbox.x0 for w in group), max(w.bbox.x1 for w in group))
    return None


def group_words(text: str, words: list[Word], height: float) -> list[list[Word]]:
    """Split a line's words (sorted by x) into columns at wide gaps."""
    groups: list[list[Word]] = []
    for w in words:
        if groups:
            prev = groups[-1][-1]
            gap = w.bbox.x0 - prev.bbox.x1
            between = text[prev.end:w.start] if prev.end <= w.start else ""
            if gap < 0.9 * height and not GAP.search(between) and "\n" not in between:
                groups[-1].append(w)
                continue
        groups.append([w])
    return groups


def _below_text(ctx: PairCtx, m: LabelMatch, line: Line) -> Hit | None:
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
        segs = segments(text, nxt.start, nxt.end)
        if not segs or qualifier_only(text, nxt.start, nxt.end, False):
            blank += 1  # "TOTAL" / "RM" / "86.00": a line with only a currency sign or ":" between
            continue
        if len(segs) == 1:
            a, b = segs[0]
            # a single column takes the value only if it sits under the label (or the label
            # line itself has a single column)
            if len(segments(text, line.start, line.end)) > 1 and not (a - nxt.start < col1 + 2 and b - nxt.start > col0 - 2):
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


def value_below(ctx: PairCtx, m: LabelMatch, line: Line) -> Hit | None:
    if line.in_table:
        return None  # cells, see cell_hits
    if not _label_alone(ctx, m, line):
        return None
    if m.specificity < 0.6:
        # a short generic label ("To", "Date") heads a column only if it starts it
        own = next((s for s in segments(ctx.doc.text, line.start, line.end) if s[0] <= m.start < s[1]), None)
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


def value_kv(ctx: PairCtx, m: LabelMatch, line: Line) -> Hit | None:
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
    if qualifier_only(ctx.doc.text, a, b, False):
        return None  # "AMOUNT DUE ....... RM": only a currency sign, the amount is below
    if _label_next(ctx, line, a):
        return None  # "From:   To:": two keys side by side, each over its own value
    gap = GAP.search(ctx.doc.text, a, b)
    if gap is not None:
        b = gap.start()  # "Key: value      Other key: ..." on one line of laid-out text
    b = _cut_at_labels(ctx, line, a, b)
    a, b = trim_span(ctx.doc.text, a, b)
    if b <= a or not _same_size(line, m, a, b):
        return None
    return Hit(a, b, ctx.doc.text[a:b], el.page, m.label, "kv", 1.0)


def cell_grid(el: Element) -> dict[tuple[int, int], Cell]:
    return {(c.row, c.col): c for c in (el.cells or [])}


def cell_hit(doc: Document, c: Cell, page: int | None, label: str | None, how: str, score: float) -> Hit | None:
    a, b = trim_span(doc.text, c.start, c.end)
    if b <= a:
        return None
    return Hit(a, b, doc.text[a:b], page, label, how, score)


def stops_by_line(doc: Document, matches: Iterable[LabelMatch]) -> dict[int, list[LabelMatch]]:
    idx = doc_index(doc)
    out: dict[int, list[LabelMatch]] = {}
    for m in matches:
        line = idx.line_at(m.start)
        if line is not None:
            out.setdefault(line.index, []).append(m)
    for v in out.values():
        v.sort(key=lambda x: x.start)
    return out


def dedupe(hits: list[Hit]) -> list[Hit]:
    """Best hit per span; sorted by score (best first), then position."""
    best: dict[tuple[int, int], Hit] = {}
    for h in hits:
        old = best.get((h.start, h.end))
        if old is None or h.score > old.score:
            best[(h.start, h.end)] = h
    return sorted(best.values(), key=lambda h: (-h.score, h.start))
