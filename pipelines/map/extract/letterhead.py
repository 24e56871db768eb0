"""Letterhead finder: the issuer's address is the block of lines printed right under the
issuer's name (receipts, and invoices whose letterhead carries no "Address" label).

The block starts after the chosen issuer name's line (skipping registration-number lines such
as "(Reg. No. 12345-X)", the sale's date and a web address), takes up to five address-like lines
and stops at the first line that is something else: a label ("Tel:", "VAT No:"), a phone, e-mail
or web address, a date, a document-type word ("INVOICE", "RECEIPT"), another name with a legal
form. It ends at the postcode beside its town (and a region line after it). A block needs a digit
(house or postal number); one with a postcode-like number scores higher. A name whose line heads
such a block is the letterhead's name (`letterhead_names`).
"""

from __future__ import annotations

import re

from pipelines.map.extract.context import Cand, Ctx, fold_text
from pipelines.map.normalize import NormalizeError, normalize
from pipelines.model.layout import Line
from pipelines.map.extract.labels import fold_label
from pipelines.map.extract.pairing import segments
from pipelines.map.extract.vocab import DATE_RE, DOC_TYPE_WORDS, EMAIL_RE, ID_WORDS, LEGAL_FORM
from pipelines.model.records import FieldValue

_POSTCODE_LIKE = re.compile(r"(?<![\d\-/.])\d{4,6}(?![\d\-/.])|\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b")
_REG_LINE = re.compile(r"^\(?[^()]{0,30}\d[\w\-./ ]*\)?$")  # "(65351-M)", "(CO.REG : 933109-X)"
_WEB = re.compile(r"(?:www\.|https?://)|\.(?:com|net|org)\b", re.IGNORECASE)
_CONTACT = re.compile(r"^\W*(?:tel|fax|phone|ph|hp|mobile|mob|email|e-mail|web|gst|vat|tax|reg|co\.? ?reg|tin|"
                      r"ust|tva|btw|iva|nif|cif|abn|fon|telefon|téléphone)\b", re.IGNORECASE)
MAX_LINES = 5
# a postcode beside its town: "40000 SHAH ALAM", "SHAH ALAM 40000", "80000 JOHOR BAHRU,JOHOR"
_TOWN = re.compile(r"(?<![\d\-/.])\d{4,6}[ ,]+[^\W\d_]{2,}|[^\W\d_]{2,}[ ,]+\d{4,6}[ .,]*$")
# "NO: 5, JALAN ...", "LOT NO. : B2", "HQ: 3, ...": a short number word before the colon, then the address
_NUMBERED = re.compile(r"^\W*(?:[^\W\d_]{1,3}\b\.?\s*){1,2}:\s*[\w(]*\d")
# a company or registration number on a line of its own ("BR NO.: 0123456-A", "CO-REG:654321-B"; OCR
# reads the colon as ';' or a quote)
_ID_LINE = re.compile(r"^\W*(?:[^\W\d_][\w.]*[\s\-]*){0,3}\b(?:no|nr|reg|id)\b\.?(?:\s*[:;’'\-]\s*|\s*(?=\()|\s+(?=\d))"
                      r"\(?[A-Z]{0,3}\d[\w\-]*(?: \d[\w\-]*){0,3}\)?\W*$", re.IGNORECASE)
_REGION = re.compile(r"[^\W\d_][^\W\d_ .,]*(?:[ .,]+[^\W\d_]+)*[ .,]*")  # "NEGERI SEMBILAN, MALAYSIA"

Block = list[tuple[int, int, Line]]  # the name's column of each line: start, end, line


def _stop(ctx: Ctx, text: str) -> bool:
    text = text.strip()
    if "ocr" in ctx.doc.metadata:
        text = text.rstrip(":;|").rstrip()  # specks OCR reads at a line's end ("12000 TAMAN MELATI:")
    if not text:
        return True
    if _CONTACT.match(text) or EMAIL_RE.search(text) or _WEB.search(text):
        return True
    if ":" in text and not _NUMBERED.match(text):
        return True
    if _dated(text) or re.fullmatch(r"[\d\s\-+()/.]{7,}", text):
        return True  # a date, or a bare phone number
    if any(len(m.group().strip(". ")) >= 3 for m in LEGAL_FORM.finditer(text)):
        return True  # another name (the legal name under a shop's trading name)
    words = fold_text(text).strip(" -.*").split()
    if " ".join(words) in DOC_TYPE_WORDS or any(w in DOC_TYPE_WORDS and len(words) <= 3 for w in words):
        return True
    return fold_label(text) in {fold_label(a) for a in ctx.field_of}


_BRACKETS = str.maketrans("{}[]", "()()")


def _registration(text: str) -> bool:
    # OCR reads a closing bracket or specks as ':' ("554433:"), and brackets as braces ("(554433-K}")
    t = text.strip().rstrip(":;|").translate(_BRACKETS)
    letters = sum(c.isalpha() for c in t)
    if _ID_LINE.match(t):
        return True
    if bool(_REG_LINE.match(t)) and (t.startswith("(") or letters <= 3) and not _POSTCODE_LIKE.search(t.strip("()")):
        return True
    # "COMPANY REG. NO. : 000123456A": a key naming a number, then one identifier
    key, colon, value = t.partition(":")
    words = fold_text(key).replace(".", " ").split()
    if colon and len(words) == 1 and re.fullmatch(r"\d{1,6}", value.strip()) and not _CONTACT.match(t):
        return True  # the shop's number in its chain ("Site: 1180", "Store: 37")
    return bool(colon and words and (words[-1] in ID_WORDS or "reg" in words) and len(value.split()) <= 2
                and any(c.isdigit() for c in value))


def _preamble(text: str) -> bool:
    """A line between the name and its address that is not part of either: a registration
    number, the date and time of the sale, the shop's web address, the legal form and capital."""
    t = text.strip()
    if LEGAL_FORM.match(t):
        return True  # "SAS au capital de 20 000 €": the legal form and capital of the name above
    return _registration(t) or bool(_WEB.search(t)) and " " not in t or _dated(t) and len(t) <= 30


def _dated(text: str) -> bool:
    """A date in the line: a date's shape that reads as one. A street, its number and a four-digit
    postcode ("Industrieweg 22, 3542 AD Utrecht") have the shape of "March 22, 2025"."""
    for m in DATE_RE.finditer(text):
        try:
            normalize(m.group(), "date")
        except NormalizeError:
            continue
        return True
    return False


def _column(ctx: Ctx, line: Line, x_ref: float | None, col_ref: int, x_end: float | None = None) -> tuple[int, int] | None:
    """The segment of `line` in the name's column: starting at the name's x (laid-out lines,
    table rows by their cells) or character column; the whole line when it has one segment,
    unless it starts right of where the name ends (`x_end`): another column's line, not under it."""
    segs = segments(ctx.doc.text, line.start, line.end)
    if len(segs) <= 1:
        if segs and x_end is not None and (x := _x_of(line, segs[0][0])) is not None and x > x_end:
            return None
        return (line.start, line.end) if segs else None
    for a, b in segs:
        x = _x_of(line, a)
        if x is not None and x_ref is not None:
            if abs(x - x_ref) <= 12.0:
                return a, b
        elif abs((a - line.start) - col_ref) <= 2:
            return a, b
    return None


def _x_of(line: Line, pos: int) -> float | None:
    if line.words:
        w = next((w for w in line.words if w.start >= pos), None)
        return w.bbox.x0 if w is not None else None
    cells = line.cells or (line.element.cells if line.in_table else None) or []
    c = next((c for c in cells if c.start <= pos < c.end + 1 and c.bbox is not None), None)
    return c.bbox.x0 if c is not None and c.bbox is not None else None


def _gap(above: Line, line: Line) -> bool:
    """A blank space of more than a line and a half between two lines of a block: the letterhead
    ended there, and what follows is another block (the addressee in an envelope's window)."""
    a, b = _bounds(above), _bounds(line)
    if a is None or b is None:
        return False
    height = max(a[1] - a[0], b[1] - b[0])
    return height > 0 and b[0] - a[1] > 1.5 * height


def _bounds(line: Line) -> tuple[float, float] | None:
    """Top and bottom of a line on its page; a table row's from its cells."""
    if line.top is not None and line.bottom is not None:
        return line.top, line.bottom
    cells = line.cells or (line.element.cells if line.in_table else None) or []
    boxes = [c.bbox for c in cells if c.bbox is not None and c.text.strip() and line.start <= c.start <= line.end]
    return (min(b.y0 for b in boxes), max(b.y1 for b in boxes)) if boxes else None


def _block(ctx: Ctx, start: int, end: int) -> Block:
    """The lines printed under the name at start..end that may be its address (in its column)."""
    line = ctx.idx.line_at(max(start, end - 1))
    if line is None or line.index < 0:
        return []
    lines = ctx.idx.lines
    text = ctx.doc.text
    x_ref = _x_of(line, start)
    ends = [w.bbox.x1 for w in line.words or [] if w.start < end and w.end > start]
    x_end = max(ends) if ends else None
    col_ref = start - line.start
    block: Block = []
    empty = preamble = 0
    last = line  # the last line read in the name's column: a blank band after it ends the block
    i = line.index + 1
    while i < len(lines) and len(block) < MAX_LINES:
        ln = lines[i]
        i += 1
        col = _column(ctx, ln, x_ref, col_ref, x_end)
        if col is None and text[ln.start:ln.end].strip():
            empty += 1  # a row with nothing in the name's column ("   Date   07/01/2025")
            if empty > 3:
                break
            continue
        raw = text[col[0]:col[1]].strip() if col else ""
        if not raw:
            if block:
                break
            continue
        if ln.page != line.page or block and _gap(last, ln):
            break
        last = ln
        if not block and preamble < 3 and _preamble(raw):
            preamble += 1
            continue
        if _stop(ctx, raw):
            break
        block.append((col[0], col[1], ln))  # type: ignore[index]
    # the block ends at its postcode and town ("40000 SHAH ALAM"), the last one where a house
    # number also looks like a postcode ("LOT 4417 JLN KENANGA" / "68000 AMPANG")
    coded = [k for k, (a, b, _) in enumerate(block) if _POSTCODE_LIKE.search(text[a:b])]
    if not coded:
        return block
    towns = [k for k in coded if _TOWN.search(text[block[k][0]:block[k][1]])]
    out = block[:(towns[-1] if towns else coded[0]) + 1]
    k = out[-1][2].index + 1
    if k < len(lines) and lines[k].page == line.page and not _gap(out[-1][2], lines[k]):
        # a short line of words after the postcode is the region or country ("NEGERI SEMBILAN, MALAYSIA")
        ncol = _column(ctx, lines[k], x_ref, col_ref, x_end)
        tail = text[ncol[0]:ncol[1]].strip() if ncol else ""
        if tail and len(tail.split()) <= 5 and _REGION.fullmatch(tail) and not _stop(ctx, tail):
            out.append((ncol[0], ncol[1], lines[k]))  # type: ignore[index]
    return out


def _address_block(ctx: Ctx, cand: Cand) -> Block:
    """The address block the name heads: a house number and a postcode under it ([]: none). Under
    a legal name, one or two lines of words may come first: its trading name or branch ("IKANO
    ... SDN BHD / IKEA CHERAS / NO. 2A, JALAN ..."), part of the letterhead the legal name heads."""
    text = ctx.doc.text
    block = _block(ctx, cand.start, cand.end)
    lead = 0
    # a prominent name may carry one line of words in smaller print under it (what the firm does:
    # "Avocats associés"); a line as large as the name is another name (a person's, then the company's)
    most = 2 if cand.source.startswith("company:legal") else 0
    if cand.source.startswith("company:prominent") and block and _smaller(ctx, block[0], cand.start, cand.end):
        most = 1
    while lead < min(most, len(block) - 1) and not any(c.isdigit() for c in text[block[lead][0]:block[lead][1]]):
        lead += 1
    ok = len(block) > lead and any(c.isdigit() for c in text[block[lead][0]:block[lead][1]]) and \
        any(_POSTCODE_LIKE.search(text[a:b]) for a, b, _ in block) and \
        sum(c.isalpha() for a, b, _ in block for c in text[a:b]) >= _MIN_ADDRESS_LETTERS
    return block if ok else []


def _smaller(ctx: Ctx, part: tuple[int, int, Line], start: int, end: int) -> bool:
    """The words of a block line are printed smaller than the name's (start..end)."""
    name_line = ctx.idx.line_at(start)
    a, b, line = part
    big = [w.bbox.y1 - w.bbox.y0 for w in (name_line.words or []) if w.start < end and w.end > start] if name_line else []
    small = [w.bbox.y1 - w.bbox.y0 for w in line.words or [] if w.start < b and w.end > a]
    return bool(big and small) and max(small) < 0.85 * max(big)


_MIN_ADDRESS_LETTERS = 4  # a street or a town: a lone number ("40172 |") under a line is no address


def letterhead_names(ctx: Ctx, owner: str) -> None:
    """A name read at the top (a legal form, a name-like line) whose line heads an address block
    is the letterhead's name: the two readings back each other. A name candidate that is itself
    a line of another one's address block ("TAMAN ...", "JALAN ...") is lowered."""
    cands = [c for c in ctx.cands.get(owner, []) if c.source.startswith("company:") and "+address" not in c.source]
    blocks = {id(c): _address_block(ctx, c) for c in cands}
    inside = {ln.index for b in blocks.values() for _, _, ln in b}
    for c in cands:
        line = ctx.idx.line_at(c.start)
        if line is not None and line.index in inside:
            c.score *= 0.5
        elif blocks[id(c)] and "+window" not in c.source:
            # (the addressee's name heading the window's block, recipient.py, is no letterhead's)
            c.score = 1 - (1 - c.score) * (1 - 0.4)
            c.source += "+address"
            a, b, _ = blocks[id(c)][0]
            if not any(ch.isdigit() for ch in ctx.doc.text[a:b]):
                # a trading name or branch line between the legal name and its address: which of the two
                # issued it (the legal entity, or a shop under a 'POWERED BY ... SDN BHD' line) is a
                # person's call until measured (calibration.CONFLICTS)
                c.source += "+branch"


def header_names(ctx: Ctx, owner: str) -> None:
    """A name read at the top that opens the document (its first line of text, page 1) is
    tagged "top": a shop or a company prints its name first, and a name read lower (under a
    person's name, a title, an order number) is wrong far more often. Not when the line under
    it is a legal form alone ("... / SDN BHD"): the name read is then cut short."""
    first = next((ln for ln in ctx.idx.lines if ctx.doc.text[ln.start:ln.end].strip()), None)
    if first is None or (first.page or 1) != 1:
        return
    text = ctx.doc.text
    for c in ctx.cands.get(owner, []):
        if not c.source.startswith("company:") or "+top" in c.source or text[first.start:c.start].strip():
            continue
        last = ctx.idx.line_at(max(c.start, c.end - 1))
        after = ctx.idx.lines[last.index + 1] if last is not None and last.index + 1 < len(ctx.idx.lines) else None
        if after is not None and LEGAL_FORM.fullmatch(text[after.start:after.end].strip(" .,()")):
            continue
        c.source += "+top"
    _below_title(ctx, owner)


def _below_title(ctx: Ctx, owner: str) -> None:
    """A name printed under the document's title ("TAX INVOICE") while a whole letterhead (the name
    opening the document, its address block under it) is printed above it is the addressee's (a
    bill-to block without its label), not the letterhead's: it keeps half its score, so it does
    not contest the letterhead's name."""
    text = ctx.doc.text
    cands = ctx.cands.get(owner, [])
    tops = [c for c in cands if "+top" in c.source and "+address" in c.source]
    if not tops:
        return
    top_end = max(c.end for c in tops)
    title = next((ln for ln in ctx.idx.lines if ln.start >= top_end and (ln.page or 1) == 1 and _title(text[ln.start:ln.end])), None)
    if title is None:
        return
    names = {fold_text(str(c.value)) for c in tops}
    for c in cands:
        if c.start >= title.end and fold_text(str(c.value)) not in names and c.source.startswith("company:"):
            c.score *= 0.5


def _title(line: str) -> bool:
    """A line naming the kind of document and little else: "TAX INVOICE", "Invoice", "RECEIPT / COPY"."""
    words = re.findall(r"[^\W\d_]+", fold_text(line))
    if not 0 < len(words) <= 4 or any(c.isdigit() for c in line):
        return False
    grams = set(words) | {" ".join(words[i:i + 2]) for i in range(len(words) - 1)}
    return bool(grams & (DOC_TYPE_WORDS - _NOT_TITLES))


# words of DOC_TYPE_WORDS that mark a copy or a step, not the kind of document ("PAYMENT", "ORIGINAL")
_NOT_TITLES = frozenset({"copy", "kopie", "copie", "duplicate", "original", "payment", "order"})


def address_under(ctx: Ctx, name_fv: FieldValue | None) -> tuple[Cand | None, Cand | None]:
    """The address block under the issuer's name, as a candidate (None when there is none), and
    a name candidate when the block opens with a name-like line (the name picked was a line
    printed above the letterhead, such as a cashier's or customer's name). On lines of several
    columns only the name's column is read."""
    if name_fv is None or name_fv.evidence is None:
        return None, None
    text = ctx.doc.text
    block = _block(ctx, name_fv.evidence.start, name_fv.evidence.end)
    if not any(c.isdigit() for a, b, _ in block for c in text[a:b]):
        return None, None
    # lines without a number before the first one with a number are more names (a trading
    # name under the legal name, "formerly ..."), not the address
    lead = []
    while block and not any(c.isdigit() for c in text[block[0][0]:block[0][1]]):
        lead.append(block.pop(0))
    name_hint = None
    if lead and len(lead) <= 2 and name_fv.confidence < 0.4:
        a0, b0, ln = lead[0]
        raw = text[a0:b0].strip()
        if 3 <= len(raw) <= 60 and raw[:1].isupper() and sum(c.isalpha() for c in raw) >= 3:
            a0 = a0 + text[a0:b0].index(raw)
            name_hint = Cand(raw, a0, a0 + len(raw), ln.page, 0.35, "letterhead", raw)
    a, b = block[0][0], block[-1][1]
    parts = [text[s:e].strip().rstrip(",") for s, e, _ in block]
    value = ", ".join(p for p in parts if p)
    has_postcode = any(_POSTCODE_LIKE.search(p) for p in parts)
    score = (0.7 if has_postcode else 0.4) * min(name_fv.confidence + 0.3, 1.0)
    return Cand(value, a, b, block[0][2].page, score, "letterhead", text[a:b]), name_hint
