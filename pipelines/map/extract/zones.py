"""Document zones: which fields play the issuer/customer roles, and the customer blocks
("Bill to", "Ship to", "Customer") whose contents are not the issuer's.
"""

from __future__ import annotations
import re
from dataclasses import dataclass
from pipelines.model.document import Kind
from pipelines.model.schema import Schema
from pipelines.map.extract.context import Ctx, fold_text, scalar_type
from pipelines.map.extract.labels import fold_label, match_labels
from pipelines.map.extract.memo import per_schema
from pipelines.map.extract.pairing import segments
from pipelines.map.extract.vocab import (ACCOUNT_NOUNS, CUSTOMER_BLOCK_LABELS, CUSTOMER_CUES, CUSTOMER_POSSESSIVES, DOC_TYPE_WORDS,
                                         ID_WORDS, OTHER_PARTY_BLOCK_LABELS)


def role_fields(schema: Schema, cues: frozenset[str]) -> list[str]:
    """String fields with an alias that names the role ("Supplier", "Bill To"); cached per schema."""
    return list(per_schema(schema, ("role", cues), lambda sc: tuple(_role_fields(sc, cues))))


def _role_fields(schema: Schema, cues: frozenset[str]) -> list[str]:
    out = []
    for name, spec in schema.fields.items():
        if spec.type != "string":
            continue
        if any(fold_label(a) in cues for a in spec.aliases):
            out.append(name)
    return out


@dataclass(slots=True)
class _Region:
    page: int | None
    x0: float | None
    x1: float | None
    top: float | None
    bottom: float | None
    start: int  # text span (for laid-out pages the geometry decides)
    end: int
    customer: bool = True  # False: another party's block (a tax representative)


def customer_regions(ctx: Ctx) -> list[_Region]:
    """The customer's blocks ("Bill to", "Customer", ...) on the page; computed once per document."""
    cached = getattr(ctx, "_customer_regions", None)
    if cached is None:
        cached = ctx._customer_regions = _customer_regions(ctx)  # type: ignore[attr-defined]
    return cached


def add_customer_block(ctx: Ctx, start: int, end: int) -> None:
    """A customer block found without a label (the recipient finder's address window), for the
    steps after it (joint.issuer_zone: its "VAT No:" line is the customer's)."""
    customer_regions(ctx).append(_Region(None, None, None, None, None, start, end))


def _customer_regions(ctx: Ctx) -> list[_Region]:
    """Blocks opened by a customer label, another party's label (a tax representative) or a short
    heading addressed to the reader ("Your details", "Vos coordonnées", "Ihre Angaben")."""
    labels = list(CUSTOMER_BLOCK_LABELS + OTHER_PARTY_BLOCK_LABELS)
    for name in role_fields(ctx.schema, CUSTOMER_CUES):
        labels.extend(a for a in ctx.schema.fields[name].aliases if len(fold_label(a)) >= 4)
    regions: list[_Region] = []
    others = {fold_label(lab) for lab in OTHER_PARTY_BLOCK_LABELS}
    opens = [(m.start, m.end, fold_label(m.label) not in others) for m in match_labels(ctx.doc, labels)]
    opens += [(a, b, True) for a, b in _reader_headings(ctx)]
    for start, end, customer in opens:
        line = ctx.idx.line_at(start)
        if line is None:
            continue
        # the label must open its column (not "customer care" inside running text)
        seg_start = max((a for a, b in segments(ctx.doc.text, line.start, line.end) if a <= start), default=line.start)
        if ctx.doc.text[seg_start:start].strip(" :*-"):
            continue
        words = [w for w in (line.words or []) if w.end > start and w.start < end]
        if line.words and words and line.top is not None and line.bottom is not None:
            h = max(line.bottom - line.top, 6.0)
            x0 = min(w.bbox.x0 for w in words)
            regions.append(_Region(line.page, x0 - 4, x0 + 230, line.top - 1, line.bottom + 7 * h, start, start, customer))
        else:
            el = line.element
            if el.kind is Kind.TABLE and el.cells:
                cell = next((c for c in el.cells if c.start <= start < c.end + 1), None)
                if cell is not None:
                    col_cells = [c for c in el.cells if c.col == cell.col and cell.row <= c.row <= cell.row + 6]
                    for c in col_cells:
                        regions.append(_Region(None, None, None, None, None, c.start, c.end, customer))
                    if cell.bbox is not None and line.page is not None:
                        # the block may go on under the table's last row, on laid-out lines (a "VAT No:"
                        # line the parser did not read into the table): the label's place on the page
                        h = max(cell.bbox.y1 - cell.bbox.y0, 6.0)
                        regions.append(_Region(line.page, cell.bbox.x0 - 4, cell.bbox.x0 + 230, cell.bbox.y0 - 1,
                                               cell.bbox.y1 + 7 * h, start, start, customer))
                    if any(c.text.strip() for c in col_cells if c.row > cell.row):
                        continue  # else the block goes on below the table (the lines after it)
            end_line = min(line.index + 6, len(ctx.idx.lines) - 1)
            regions.append(_Region(None, None, None, None, None, start, ctx.idx.lines[end_line].end, customer))
    return regions


def _reader_headings(ctx: Ctx) -> list[tuple[int, int]]:
    """Column headings of two or three words starting with "your" (no colon, no digits): what
    follows them is the reader's (the customer's), not the issuer's. A document-type word after
    it ("Ihre Rechnung") makes a title, not a block."""
    text = ctx.doc.text
    out = []
    for hit in _POSSESSIVE.finditer(text):
        line = ctx.idx.line_at(hit.start())
        if line is None:
            continue
        seg = next(((a, b) for a, b in segments(text, line.start, line.end) if a == hit.start()), None)
        if seg is None:
            continue
        a, b = seg
        words = text[a:b].split()
        if not 2 <= len(words) <= 3 or ":" in text[a:b + 2] or any(c.isdigit() for c in text[a:b]):
            continue
        if not any(fold_text(w.strip(".,;")) in DOC_TYPE_WORDS for w in words[1:]):
            out.append((a, b))
    return out


_POSSESSIVE = re.compile(r"(?<!\w)(?:" + "|".join(sorted(CUSTOMER_POSSESSIVES, key=len, reverse=True)) + r")(?!\w)", re.IGNORECASE)


def in_regions(ctx: Ctx, regions: list[_Region], start: int, end: int) -> bool:
    return region_at(ctx, regions, start, end) is not None


def region_at(ctx: Ctx, regions: list[_Region], start: int, end: int) -> _Region | None:
    """The block (of `regions`) the span start..end sits in, if any."""
    line = ctx.idx.line_at(start)
    words = [w for w in (line.words or [])] if line is not None else []
    inside = [w for w in words if w.end > start and w.start < end]
    for r in regions:
        if r.x0 is not None and inside and line is not None and line.page == r.page:
            x = min(w.bbox.x0 for w in inside)
            y = min(w.bbox.y0 for w in inside)
            if r.x0 <= x <= r.x1 and r.top <= y <= r.bottom:  # type: ignore[operator]
                return r
        elif r.x0 is None and r.start <= start < max(r.end, r.start + 1):
            return r
    return None


_YOUR_ACCOUNT = re.compile(r"(?<!\w)(?:" + "|".join(sorted(CUSTOMER_POSSESSIVES, key=len, reverse=True)) + r")\s+(?:"
                           + "|".join(re.escape(n).replace("\\ ", r"\s+") for n in sorted(ACCOUNT_NOUNS, key=len, reverse=True))
                           + r")(?![\w-])(?!\.?\s*(?:" + "|".join(re.escape(w) for w in sorted(ID_WORDS, key=len, reverse=True))
                           + r")(?!\w))", re.IGNORECASE)
_READERS = 0.1  # what is left to an account the document says is the reader's


def readers_accounts(ctx: Ctx) -> None:
    """An IBAN printed after "your account" on its line or the line above ("collected by direct debit
    from your account:", "Ihre IBAN", "von Ihrem Konto eingezogen") is the reader's, the customer's,
    not the issuer's account to pay into: it keeps a tenth of its score. "Quoting your account
    number" names the customer's number at the issuer, not whose the bank account below is."""
    for name, spec in ctx.schema.fields.items():
        if scalar_type(spec) != "iban":
            continue
        for c in ctx.cands.get(name, []):
            line = ctx.idx.line_at(c.start)
            if line is None:
                continue
            start = ctx.idx.lines[line.index - 1].start if line.index > 0 else line.start
            if _YOUR_ACCOUNT.search(ctx.doc.text, start, c.start):
                c.score *= _READERS
