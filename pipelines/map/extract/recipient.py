"""Recipient finder: the customer's address block printed without a label, as letters print it
(the address window of a German, French or Dutch invoice): two to six lines in one column of
page 1, a name first and a postcode-and-city line last.

A block right under a one-line return address ("Seller GmbH · Street 9 · 79098 City", printed
small above the window) is the recipient's (0.55). Without one, a block that opens the page is as
often the issuer's own letterhead (a receipt's header is one) and is not taken; a later block of
a laid-out page is a weak candidate (0.3). A salutation line ("Herrn", "Mr") before the name is skipped. The name that opens
the return address is the issuer's (0.5): the sender, even when the letterhead is a logo; the
addressee's name is not the issuer's (its company readings weigh 0.3, or 0.5 in a weak block).
"""

from __future__ import annotations

import re

from pipelines.map.extract.context import Cand, Ctx, fold_text
from pipelines.map.extract.labels import fold_label
from pipelines.map.extract.pairing import segments
from pipelines.map.extract.vocab import CUSTOMER_CUES, DOC_TYPE_WORDS, ISSUER_CUES, LEGAL_FORM, SALUTATIONS
from pipelines.map.extract.zones import add_customer_block, role_fields
from pipelines.model.layout import Line

# A city line: "79098 Freiburg", "F-75001 Paris", "3542 AD Utrecht", "Am Hafen 3, 53111 Bonn" (the
# postcode opens the line or follows a comma; "1200 Harbor View Rd" is a street), "Norwich NR3 1AB"
# (a UK postcode last), "Salem OR 97301".
_CITY_LINE = re.compile(r"(?:^|,\s*)(?:[A-Z]{1,2}-)?\d{4,5}(?:\s?[A-Z]{2})?\s+[^\W\d_][^\d,]{1,40}$"
                        r"|\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}$"
                        r"|[^\W\d_]{2,},?\s+[A-Z]{2}\s+\d{5}(?:-\d{4})?$")
_STREET_END = re.compile(r"\b(?:St|Street|Rd|Road|Ave|Avenue|Blvd|Dr|Drive|Lane|Ln|Way|Ct|Court|Pl|Place|Hwy|Pkwy)\.?$",
                         re.IGNORECASE)
_RETURN_SEPARATORS = re.compile(r"\s?[·•|]\s|\s-\s")
MAX_LINES = 6


def _first_column(ctx: Ctx, line: Line) -> tuple[int, int, float | None] | None:
    segs = segments(ctx.doc.text, line.start, line.end)
    if not segs:
        return None
    a, b = segs[0]
    x0 = None
    if line.words:
        w = next((w for w in line.words if w.start >= a), None)
        x0 = w.bbox.x0 if w is not None else None
    else:
        cells = line.cells or (line.element.cells if line.in_table else None) or []
        c = next((c for c in cells if c.start <= a < c.end + 1 and c.bbox is not None), None)
        x0 = c.bbox.x0 if c is not None and c.bbox is not None else None
    return a, b, x0 if x0 is not None else float(a - line.start) * 5.0


def _vertical(line: Line) -> tuple[float, float] | None:
    """Top and bottom of a laid-out line (of its words, or of a table row's cells)."""
    if line.top is not None and line.bottom is not None:
        return line.top, line.bottom
    cells = [c.bbox for c in (line.cells or (line.element.cells if line.in_table else None) or [])
             if c.bbox is not None and line.start <= c.start <= line.end]
    return (min(b.y0 for b in cells), max(b.y1 for b in cells)) if cells else None


def _blocks(ctx: Ctx) -> list[list[tuple[int, int]]]:
    """Runs of first-column spans on page 1 that start at one x and end with a city line."""
    lines = [ln for ln in ctx.idx.lines if ln.page == ctx.idx.lines[0].page] if ctx.idx.lines else []
    out: list[list[tuple[int, int]]] = []
    run: list[tuple[int, int]] = []
    run_x: float | None = None
    prev: tuple[float, float] | None = None
    for ln in lines[:80]:
        col = _first_column(ctx, ln)
        ys = _vertical(ln)
        # a blank band of more than a line's height ends a block (letterhead, then the window)
        gap = ys is not None and prev is not None and ys[0] - prev[1] > 1.2 * max(prev[1] - prev[0], 4.0)
        prev = ys or prev
        if col is None or gap or (run_x is not None and abs(col[2] - run_x) > 4.0):
            run, run_x = [], None
            if col is None:
                continue
        a, b, x0 = col
        run.append((a, b))
        run_x = x0 if run_x is None else run_x
        line_text = ctx.doc.text[a:b].strip()
        if len(run) >= 2 and _CITY_LINE.search(line_text) and not _STREET_END.search(line_text):
            out.append(run[-MAX_LINES:])
            run, run_x = [], None
    return out


def _name_of(ctx: Ctx, block: list[tuple[int, int]]) -> tuple[int, int, bool] | None:
    """The name line of a block and whether a return address sits above it."""
    text = ctx.doc.text
    spans = list(block)
    returned = False
    a, b = spans[0]
    first = text[a:b]
    if _RETURN_SEPARATORS.search(first) and re.search(r"(?<!\d)\d{4,5}(?!\d)", first):
        spans.pop(0)  # "Seller GmbH · Street 9 · 79098 City": the return address above the window
        returned = True
    labels = {fold_label(lab) for lab in ctx.field_of}
    while spans and (fold_text(text[spans[0][0]:spans[0][1]]).strip(" .") in SALUTATIONS
                     or fold_label(text[spans[0][0]:spans[0][1]]) in labels
                     or text[spans[0][1]:spans[0][1] + 2].lstrip(" ").startswith(":")):
        spans.pop(0)  # "Herrn", or a label over the block ("Aan:", "Rechnung an")
    if len(spans) < 2:
        return None
    a, b = spans[0]
    name = text[a:b].strip()
    folded = fold_text(name)
    if (":" in name or not name[:1].isupper() or sum(c.isalpha() for c in name) < 3 or any(c.isdigit() for c in name)
            or folded in DOC_TYPE_WORDS):
        return None
    return a, b, returned


def recipient_candidates(ctx: Ctx) -> None:
    targets = [n for n in role_fields(ctx.schema, CUSTOMER_CUES) if ctx.wants(n)]
    issuers = [n for n in role_fields(ctx.schema, ISSUER_CUES) if ctx.wants(n)]
    if not targets and not issuers:
        return
    laid_out = any(ln.words for ln in ctx.idx.lines)  # a page, not lines of text (a receipt's OCR)
    first_line_end = ctx.idx.lines[0].end if ctx.idx.lines else 0
    for block in _blocks(ctx):
        found = _name_of(ctx, block)
        if found is None:
            continue
        a, b, returned = found
        if not returned and (block[0][0] <= first_line_end or not laid_out):
            continue  # a block opening the page is the issuer's letterhead as often (a receipt's header is one)
        for name in targets:
            ctx.cands[name].append(Cand(ctx.doc.text[a:b], a, b, ctx.idx.page_at(a), 0.55 if returned else 0.3,
                                        "zone:recipient", ctx.doc.text[a:b]))
        tail = _tail(ctx, block)
        add_customer_block(ctx, a, (tail or block)[-1][1])
        for name in issuers:  # the addressee's name is not the sender's ("... Ltd" of the customer), nor is
            # a company on another line of its block (a person's name first, then the company's)
            for c in ctx.cands.get(name, []):
                if any(c.start < e and c.end > s for s, e in block if e > a) and not c.source.startswith("label"):
                    c.score *= 0.3 if returned else 0.5
                    if "+window" not in c.source and (c.start >= b or not LEGAL_FORM.search(str(c.value))):
                        # a name without a legal form heading the block, or any name under the block's own
                        # (a company under a person's name): the address under it is the addressee's, no
                        # letterhead's (letterhead.letterhead_names); a legal name heading a block under a
                        # page header may still be the letterhead's
                        c.source += "+window"
        sender = _sender(ctx, block[0]) if returned else None
        if sender is not None:
            for name in issuers:
                ctx.cands[name].append(Cand(ctx.doc.text[sender[0]:sender[1]], sender[0], sender[1],
                                            ctx.idx.page_at(sender[0]), 0.5, "zone:return", ctx.doc.text[sender[0]:sender[1]]))


def _tail(ctx: Ctx, block: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Up to two lines right under a block's city line, in its column with no blank band between:
    the addressee's "VAT No:" or customer number line, part of the window."""
    last = ctx.idx.line_at(block[-1][0])
    col = _first_column(ctx, last) if last is not None else None
    if last is None or col is None:
        return []
    out: list[tuple[int, int]] = []
    prev = _vertical(last)
    for ln in ctx.idx.lines[last.index + 1:last.index + 3]:
        nxt, ys = _first_column(ctx, ln), _vertical(ln)
        if nxt is None or ln.page != last.page or abs((nxt[2] or 0.0) - (col[2] or 0.0)) > 4.0:
            break
        if ys is not None and prev is not None and ys[0] - prev[1] > 1.2 * max(prev[1] - prev[0], 4.0):
            break
        out.append((nxt[0], nxt[1]))
        prev = ys or prev
    return out


def _sender(ctx: Ctx, span: tuple[int, int]) -> tuple[int, int] | None:
    """The issuer's name that opens a return address ("Seller GmbH · Street 9 · 79098 City")."""
    text = ctx.doc.text
    m = _RETURN_SEPARATORS.search(text, span[0], span[1])
    if m is None:
        return None
    name = text[span[0]:m.start()].strip()
    a = span[0] + text[span[0]:m.start()].index(name) if name else span[0]
    if (not name[:1].isupper() or sum(c.isalpha() for c in name) < 3 or any(c.isdigit() for c in name)
            or len(name.split()) > 8):
        return None
    return a, a + len(name)
