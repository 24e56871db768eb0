"""Letterhead finder: the issuer's address is the block of lines printed right under the
issuer's name (receipts, and invoices whose letterhead carries no "Address" label).

The block starts after the chosen issuer name's line (skipping registration-number lines such
as "(Reg. No. 12345-X)"), takes up to five address-like lines and stops at the first line that
is something else: a label ("Tel:", "VAT No:"), a phone, e-mail or web address, a date, a
document-type word ("INVOICE", "RECEIPT"). A block needs a digit (house or postal number);
one with a postcode-like number scores higher.
"""

from __future__ import annotations

import re

from pipelines.map.extract.context import Cand, Ctx, fold_text
from pipelines.model.layout import Line
from pipelines.map.extract.labels import fold_label
from pipelines.map.extract.vocab import DATE_RE, DOC_TYPE_WORDS, EMAIL_RE, ID_WORDS
from pipelines.model.records import FieldValue

_POSTCODE_LIKE = re.compile(r"(?<![\d\-/.])\d{4,6}(?![\d\-/.])|\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b")
_REG_LINE = re.compile(r"^\(?[^()]{0,30}\d[\w\-./ ]*\)?$")  # "(65351-M)", "(CO.REG : 933109-X)"
_WEB = re.compile(r"(?:www\.|https?://)|\.(?:com|net|org)\b", re.IGNORECASE)
_CONTACT = re.compile(r"^\W*(?:tel|fax|phone|ph|hp|mobile|mob|email|e-mail|web|gst|vat|tax|reg|co\.? ?reg|tin|"
                      r"ust|tva|btw|iva|nif|cif|abn|fon|telefon|téléphone)\b", re.IGNORECASE)
MAX_LINES = 5


def _stop(ctx: Ctx, line: Line) -> bool:
    text = ctx.doc.text[line.start:line.end].strip()
    if not text:
        return True
    if ":" in text or _CONTACT.match(text) or EMAIL_RE.search(text) or _WEB.search(text):
        return True
    if DATE_RE.search(text) or re.fullmatch(r"[\d\s\-+()/.]{7,}", text):
        return True  # a date, or a bare phone number
    words = fold_text(text).strip(" -.*").split()
    if " ".join(words) in DOC_TYPE_WORDS or any(w in DOC_TYPE_WORDS and len(words) <= 3 for w in words):
        return True
    return fold_label(text) in {fold_label(a) for a in ctx.field_of}


def _registration(text: str) -> bool:
    t = text.strip()
    letters = sum(c.isalpha() for c in t)
    if bool(_REG_LINE.match(t)) and (t.startswith("(") or letters <= 3) and not _POSTCODE_LIKE.search(t.strip("()")):
        return True
    # "COMPANY REG. NO. : 001055194X": a key naming a number, then one identifier
    key, colon, value = t.partition(":")
    words = fold_text(key).replace(".", " ").split()
    return bool(colon and words and (words[-1] in ID_WORDS or "reg" in words) and len(value.split()) <= 2
                and any(c.isdigit() for c in value))


def address_under(ctx: Ctx, name_fv: FieldValue | None) -> tuple[Cand | None, Cand | None]:
    """The address block under the issuer's name, as a candidate (None when there is none), and
    a name candidate when the block opens with a name-like line (the name picked was a line
    printed above the letterhead, such as a cashier's or customer's name)."""
    if name_fv is None or name_fv.evidence is None:
        return None, None
    line = ctx.idx.line_at(name_fv.evidence.start)
    if line is None or line.index < 0:
        return None, None
    lines = ctx.idx.lines
    text = ctx.doc.text
    block: list[Line] = []
    i = line.index + 1
    while i < len(lines) and len(block) < MAX_LINES:
        ln = lines[i]
        i += 1
        raw = text[ln.start:ln.end].strip()
        if not raw:
            if block:
                break
            continue
        if not block and _registration(raw):
            continue
        if ln.page != line.page or _stop(ctx, ln):
            break
        block.append(ln)
        if _POSTCODE_LIKE.search(raw) and i < len(lines):
            # a short all-letter line after the postcode is the region or country ("SELANGOR")
            nxt = lines[i]
            tail = text[nxt.start:nxt.end].strip()
            if tail and len(tail.split()) <= 3 and tail.replace(" ", "").replace(".", "").isalpha() and not _stop(ctx, nxt):
                block.append(nxt)
            break
    if not any(c.isdigit() for ln in block for c in text[ln.start:ln.end]):
        return None, None
    # lines without a number before the first one with a number are more names (a trading
    # name under the legal name, "formerly ..."), not the address
    lead = []
    while block and not any(c.isdigit() for c in text[block[0].start:block[0].end]):
        lead.append(block.pop(0))
    name_hint = None
    if lead and len(lead) <= 2 and name_fv.confidence < 0.4:
        ln = lead[0]
        raw = text[ln.start:ln.end].strip()
        if 3 <= len(raw) <= 60 and raw[:1].isupper():
            a0 = ln.start + text[ln.start:ln.end].index(raw)
            name_hint = Cand(raw, a0, a0 + len(raw), ln.page, 0.35, "letterhead", raw)
    a, b = block[0].start, block[-1].end
    parts = [text[ln.start:ln.end].strip().rstrip(",") for ln in block]
    value = ", ".join(p for p in parts if p)
    has_postcode = any(_POSTCODE_LIKE.search(p) for p in parts)
    score = (0.7 if has_postcode else 0.4) * min(name_fv.confidence + 0.3, 1.0)
    return Cand(value, a, b, block[0].page, score, "letterhead", text[a:b]), name_hint
