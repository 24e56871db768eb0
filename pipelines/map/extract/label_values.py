"""Label finder of the generic extractor: every field's aliases as labels, and the values that
sit next to them, cut to the field's type (an id, an amount, a date, a name).
"""

from __future__ import annotations
import re
from bisect import bisect_left
from collections import defaultdict
from typing import Any
from pipelines.map.normalize import NormalizeError, normalize
from pipelines.map.normalize.currency_data import KNOWN_CODES as CURRENCY_CODES, SYMBOLS
from pipelines.model.document import Kind
from pipelines.model.schema import FieldSpec
from pipelines.map.extract.companies import name_back
from pipelines.map.extract.context import Cand, Ctx, amount_tokens, date_in, fold_text, id_span, in_quoted, is_id_field, locale_for, norm_value, scalar_fields, scalar_type, strip_postcode
from pipelines.map.extract.finders import values_for_matches
from pipelines.map.extract.labels import GAP, Hit, LabelMatch, fold_label, match_labels
from pipelines.map.extract.types import iban_at
from pipelines.map.extract.vocab import (AMOUNT_CUR, AMOUNT_LIKE, BANK_CUES, BILLING_BLOCK_LABELS, CUR, CUSTOMER_CUES, CUSTOMER_POSSESSIVES, DELIVERY_BLOCK_LABELS,
                                         EMAIL_RE, EXCLUDING, GROUPED_ID, IBAN_RE, ID_WORDS, ISSUER_CUES, LEGAL_FORM, NAME_WORDS, OTHER_DOCUMENT_WORDS, PHONE_RE,
                                         POSTCODE_RES, QUALIFIERS)
from pipelines.map.extract.zones import role_fields


def _values_from_hit(ctx: Ctx, name: str, spec: FieldSpec, hit: Hit) -> list[tuple[Any, int, int, float]]:
    """(value, start, end, fit) for one hit; fit < 1 when the value is only part of the hit."""
    t = scalar_type(spec)
    text = hit.text
    out: list[tuple[Any, int, int, float]] = []

    def add(raw: str, a: int, b: int, fit: float, type_name: str | None = None) -> None:
        try:
            v = norm_value(ctx, spec, raw, type_name)
        except (NormalizeError, ValueError, TypeError, ArithmeticError):
            return
        if v is None or v == "" or v == []:
            return
        if spec.pattern and isinstance(v, str) and not re.search(spec.pattern, v):
            return
        out.append((v, hit.start + a, hit.start + b, fit))

    if t in ("amount", "decimal", "integer"):
        spaced = SPACED_AMOUNT.fullmatch(text.strip())
        if spaced:  # "1 024,00 €": the whole value is one amount grouped by spaces
            a = text.index(spaced.group().strip()[0])
            add(text.strip(), a, a + len(text.strip()), 1.0)
            return out
        toks = amount_tokens(text, 0)
        for k, (a, b, raw, strong, _cur) in enumerate(toks):
            add(raw, a, b, (1.0 if k == 0 else 0.75) * (1.0 if strong else 0.6))
    elif t in ("date", "datetime"):
        span = date_in(text)
        if span:
            add(text[span[0]:span[1]], span[0], span[1], 1.0)
    elif t == "currency":
        for m in re.finditer(CUR, text):
            add(m.group(), m.start(), m.end(), 1.0)
            break
    elif t == "email":
        m = EMAIL_RE.search(text)
        if m:
            add(m.group(), m.start(), m.end(), 1.0)
    elif t == "iban":
        m = IBAN_RE.search(text.upper())
        if m:
            found = iban_at(ctx, spec, text[m.start():m.end()])
            if found is not None:
                out.append((found[0], hit.start + m.start(), hit.start + m.start() + found[1], 1.0))
    elif t == "phone":
        m = PHONE_RE.search(text)
        if m:
            add(m.group(), m.start(), m.end(), 1.0)
    elif t == "postcode":
        add(text, 0, len(text), 1.0)
        if not out:
            for rx in POSTCODE_RES:
                m = rx.search(text)
                if m:
                    add(m.group(), m.start(), m.end(), 0.8)
                    break
    elif t == "string" and is_id_field(spec):
        span = id_span(text)
        if span:
            raw = text[span[0]:span[1]]
            if AMOUNT_LIKE.fullmatch(raw) or _money(raw):
                return out  # "770.96", "EUR 0.00" are amounts, not identifiers
            if GROUPED_ID.fullmatch(raw):
                raw = raw.replace(" ", "")  # "GB 284 5512 46": digit groups are presentation
            add(raw, span[0], span[1], 1.0 if span == (0, len(text)) else 0.9)
    elif t == "string":
        a, b = 0, len(text)
        cut = re.search(r"\s[|•·]\s", text)
        if cut:
            b = cut.start()
        value = text[a:b].rstrip(" ,;:-")
        if len(value) > 200 or not value:
            return out
        if name in ctx.party_fields and not (value[0].isupper() or value[0].isdigit()):
            return out  # a party's name starts with a capital ("services 01632 ..." is not one)
        if name in ctx.party_fields and (not any(c.isalpha() for c in value) or re.search(r"\w\s?:\s", value)):
            return out  # "539.38" is no one's name, nor is "MODE DE RÈGLEMENT : CHÈQUE" (a key and its value)
        if name in ctx.party_fields and NAME_WORDS & set(fold_text(value).split()):
            return out  # "Seller | Trade Name": the rest of a label ("... name"), not the name
        if name in ctx.address_fields:
            value = strip_postcode(ctx, value)
        add(value, a, a + len(value), 1.0 if b == len(text) else 0.9)
    elif spec.type == "list" and isinstance(spec.items, str):
        parts = [(m.start(), m.end()) for m in re.finditer(r"[^;]+?(?=\s*(?:;|\band\b|&|$))", text)]
        if spec.items == "string":
            # names of parties: the legal-form names in the text, when there are two or more
            names = []
            for m in LEGAL_FORM.finditer(text):
                st = name_back(text, 0, len(text), m.start())
                if st is not None:
                    names.append((st, m.end()))
            if len(names) >= 2:
                parts = names
        vals = []
        for a, b in parts:
            raw = text[a:b].strip(" ,")
            if not raw:
                continue
            try:
                vals.append(normalize(raw, spec.items, locale=locale_for(spec, ctx.locale)))
            except NormalizeError:
                continue
        if vals:
            out.append((vals, hit.start, hit.end, 1.0 if len(vals) > 1 else 0.7))
    else:  # text, months, boolean, enum
        add(text, 0, len(text), 1.0)
    return out


def _money(raw: str) -> bool:
    """One amount with its currency and decimals, nothing else ("EUR 0.00" right of "VAT 0%")."""
    toks = amount_tokens(raw, 0)
    # the decimals too: "R250318" is an identifier, not 250318 rand
    return (len(toks) == 1 and toks[0][0] == 0 and toks[0][1] == len(raw) and bool(toks[0][4])
            and re.search(r"\d[.,]\d{2}(?!\d)", raw) is not None)


# A label word followed by a number word names an identifier ("Company No.", "Company Reg. No").
_ID_AFTER = re.compile(r"[ .]{0,2}(?:reg(?:istration)?\.?[ ]?)?(?:no\b|nr\b|number\b|num\b|id\b|#|n°|nº|№)", re.IGNORECASE)


def label_candidates(ctx: Ctx) -> None:
    fields = scalar_fields(ctx.schema)
    field_of: dict[str, list[str]] = defaultdict(list)
    rank: dict[tuple[str, str], int] = {}
    for name, spec in fields.items():
        for i, alias in enumerate(spec.aliases):
            field_of[alias].append(name)
            rank[(alias, name)] = i
    # Address-block labels are labels too: "Deliver To" is not the customer-name label "To",
    # "Invoice Address" is not the issuer's "Address". Billing-block labels also feed
    # customer-role fields (the name on the line below), a little less surely.
    customer_fields = role_fields(ctx.schema, CUSTOMER_CUES)
    for lbl in BILLING_BLOCK_LABELS:
        if lbl not in field_of:
            for name in customer_fields:
                field_of[lbl].append(name)
                rank[(lbl, name)] = 15
    ctx.field_of = dict(field_of)
    all_labels = list(field_of) + [lbl for lbl in DELIVERY_BLOCK_LABELS if lbl not in field_of]
    for spec in ctx.schema.fields.values():  # sub-field aliases stop values too
        if isinstance(spec.items, dict):
            for sub in spec.items.values():
                all_labels.extend(a for a in sub.aliases if a not in field_of)
    matches = match_labels(ctx.doc, all_labels)
    ctx.matches = matches
    ctx.match_starts = sorted((k.start, i) for i, k in enumerate(matches))
    own = [m for m in matches if m.label in field_of]
    sides = _sides(ctx)
    issuers = set(role_fields(ctx.schema, ISSUER_CUES))
    for m, hit in values_for_matches(ctx.doc, own, "any", stops=matches, qualified_by=own):
        weight = 0.5 if in_quoted(ctx, m.start) else 1.0
        tail = _tail_words(ctx, m, hit)
        if any(w not in QUALIFIERS and w.upper() not in CURRENCY_CODES and w.upper() not in _SIGNS for w in tail):
            weight *= 0.75  # "N° de facture associée :": a longer key than the alias, maybe another one
        if _excluded(ctx, m):
            continue  # "Ohne MwSt.", "excl. VAT": what the amount leaves out, not its field
        before = _word_before(ctx, m)
        if OTHER_DOCUMENT_WORDS & set(tail) or before in OTHER_DOCUMENT_WORDS:
            weight *= 0.4  # "Against invoice:", "Date de commande :": another document's or event's
        account = bool(_ACCOUNT_WORDS & set(fold_label(m.label).split()))
        banked = account and (_after_bank_words(ctx, m) or _near_bank(ctx, m) or _under_payee(ctx, m, issuers))
        yours = before in CUSTOMER_POSSESSIVES  # "Your VAT No.", "Ihre USt-IdNr.", "Uw BTW nummer"
        # "Customer No.", and "N° de client", "Nr. Kunde": a number word after or before the label
        numbered = _ID_AFTER.match(ctx.doc.text, m.end) is not None or _ID_BEFORE.search(_column_before(ctx, m)) is not None
        for own_name in field_of[m.label]:
            name = sides.get(own_name, own_name) if yours else own_name
            if name not in fields:
                continue  # "Your VAT number" is not the issuer's (nor read when there is no field for it)
            spec = fields[name]
            if yours and sides and own_name not in sides and scalar_type(spec) not in ("amount", "decimal", "date"):
                continue  # "Your reference", "Your IBAN": the reader's own, not this document's number or account
            if (tail and tail[-1] in ID_WORDS or numbered) and scalar_type(spec) == "string" and not is_id_field(spec):
                continue  # "Customer code: P9466", "COMPANY NO: 123456-A" name an identifier, not the party
            if banked and is_id_field(spec) and name not in ctx.party_fields:
                continue  # "Bank: ..., Sort code 30-94-57, Account 12785544": the bank account, no customer's
            r = rank.get((m.label, own_name), 0)
            rank_f = max(0.85, 1.0 - 0.01 * r)
            if account and name in issuers and not _near_bank(ctx, m):
                # "Account holder: Mr P Smith" on a utility's bill is its customer; the holder of the account
                # paid into (bank details beside it) is the issuer
                rank_f *= 0.3
            # the label says what the value looks like, the possessive whose it is
            for value, a, b, fit in _values_from_hit(ctx, name, fields[own_name] if yours else spec, hit):
                score = hit.score * fit * rank_f * weight
                ctx.cands[name].append(Cand(value, a, b, hit.page, score, f"label:{hit.how}", ctx.doc.text[a:b],
                                            m.label, (m.start, m.end)))
            if scalar_type(spec) in ("amount", "decimal") and hit.how in ("right", "kv", "table"):
                _row_amounts(ctx, name, spec, m, hit)


# A value that is one amount with its thousands grouped by spaces (French, Nordic, Polish print):
# read whole only when it is all there is, since "8 120,00" in a table row is a quantity and a price.
SPACED_AMOUNT = re.compile(r"(?:" + AMOUNT_CUR + r"[ \u00a0]?)?-?\d{1,3}(?:[ \u00a0\u202f]\d{3})+[.,]\d{2}(?:[ \u00a0]?" + AMOUNT_CUR + r")?")


_SIGNS = frozenset(s.upper() for s in SYMBOLS)


def _sides(ctx: Ctx) -> dict[str, str]:
    """Issuer-side field -> its customer-side sibling (the tax id of one -> that of the other), by the
    field-name prefixes of the two role fields; "" where the customer has no such field."""
    issuer, customer = role_fields(ctx.schema, ISSUER_CUES), role_fields(ctx.schema, CUSTOMER_CUES)
    if not issuer or not customer or "_" not in issuer[0] or "_" not in customer[0]:
        return {}
    ip, cp = issuer[0].split("_", 1)[0] + "_", customer[0].split("_", 1)[0] + "_"
    out = {}
    for n in ctx.schema.fields:
        if n.startswith(ip):
            sib = cp + n[len(ip):]
            out[n] = sib if sib in ctx.schema.fields else ""
        elif n.startswith(cp):
            out[n] = n
    return out


def _tail_words(ctx: Ctx, m: LabelMatch, hit: Hit) -> list[str]:
    """Words between a label and its value on the line ("associée" in "Date de facture associée :"),
    or after the label in its table cell ("Date de commande | 01/09/2025")."""
    if hit.how == "right" and hit.start >= m.end:
        end = hit.start
    elif hit.how == "table":
        el = ctx.idx.element_at(m.start)
        cell = next((c for c in (el.cells or []) if c.start <= m.start < c.end), None) if el is not None else None
        if cell is None or hit.start < cell.end:
            return []
        end = cell.end
    else:
        return []
    return [fold_text(w) for w in re.findall(r"[^\W\d_]+|[#°º№]", ctx.doc.text[m.end:end])]


_ACCOUNT_WORDS = frozenset({"account", "acct", "konto", "kontonummer", "compte", "rekening", "rekeningnummer", "conto", "cuenta"})


def _after_bank_words(ctx: Ctx, m: LabelMatch) -> bool:
    """Bank details precede the label in its part of the line ("Bank: X, Account 123"; parts end
    at "·", "|", ";" or a column gap)."""
    line = ctx.idx.line_at(m.start)
    if line is None:
        return False
    part = re.split(r"[·|;•]|\t|[ \u00a0]{3,}", ctx.doc.text[line.start:m.start])[-1]
    return bool(BANK_CUES.search(part))


def _near_bank(ctx: Ctx, m: LabelMatch) -> bool:
    """Bank details on the label's line or the lines next to it (a bank block of a few lines)."""
    line = ctx.idx.line_at(m.start)
    if line is None:
        return False
    lines = ctx.idx.lines[max(0, line.index - 2):line.index + 3]
    return any(BANK_CUES.search(ctx.doc.text[ln.start:ln.end]) for ln in lines)


def _under_payee(ctx: Ctx, m: LabelMatch, issuers: set[str]) -> bool:
    """A key of the issuer's name ("Payee:", "Beneficiary:") on the line above the label or before
    it on its line: "Account No:" there is the payee's account to pay into, not the customer's."""
    line = ctx.idx.line_at(m.start)
    if line is None:
        return False
    start = ctx.idx.lines[line.index - 1].start if line.index > 0 else line.start
    for at, i in ctx.match_starts[bisect_left(ctx.match_starts, (start, -1)):]:
        if at >= m.start:
            return False
        if issuers & set(ctx.field_of.get(ctx.matches[i].label, ())):
            return True
    return False


_ID_BEFORE = re.compile(r"(?:^|\s)(?:n[°º]|no\.?|nr\.?|num(?:ero|éro)?\.?|number|nummer|#)\s*(?:de|du|of|des|del|di)?\s*$",
                        re.IGNORECASE)


def _excluded(ctx: Ctx, m: LabelMatch) -> bool:
    """An exclusion word before the label in its column, or ending the header cell above its cell
    (a header of two rows: "Ohne" over "MwSt.")."""
    if EXCLUDING.search(_column_before(ctx, m)):
        return True
    el = ctx.idx.element_at(m.start)
    if el is None or el.kind is not Kind.TABLE or not el.cells:
        return False
    cell = next((c for c in el.cells if c.start <= m.start and m.end <= c.end), None)
    if cell is None or ctx.doc.text[cell.start:m.start].strip():
        return False
    above = next((c for c in el.cells if c.row == cell.row - 1 and c.col == cell.col), None)
    return above is not None and bool(EXCLUDING.search(" " + above.text.strip()))


def _column_before(ctx: Ctx, m: LabelMatch) -> str:
    """The text before a label in its own column of the line."""
    line = ctx.idx.line_at(m.start)
    start = line.start if line is not None else max(0, m.start - 30)
    return GAP.split(ctx.doc.text[max(start, m.start - 30):m.start])[-1]


def _word_before(ctx: Ctx, m: LabelMatch) -> str:
    """The folded word right before a label in its own column ("" when it starts the column)."""
    line = ctx.idx.line_at(m.start)
    start = line.start if line is not None else max(0, m.start - 30)
    before = ctx.doc.text[max(start, m.start - 30):m.start]
    before = GAP.split(before)[-1]  # the label's own column only
    words = re.findall(r"[^\W\d_]+", before)
    return fold_text(words[-1]) if words else ""


_AMOUNT_AFTER = re.compile(r"[ .:]{0,3}[-+]?\d+(?:[.,]\d{2})(?!\d)")


def _row_amounts(ctx: Ctx, name: str, spec: FieldSpec, m: LabelMatch, hit: Hit) -> None:
    """Amounts later on the label's line ("Total   257,59   59,24   316,83"): weaker candidates,
    and the material for the in-row arithmetic check."""
    line = ctx.idx.line_at(hit.start)
    if line is None or line.index < 0:
        return
    # up to the next key on the line that has its own amount ("MwSt 7% Netto 4,39 MwSt 0,31")
    end = line.end
    # the keys from the value on, in text order (a scan of every key per label was quadratic on long files)
    for start, i in ctx.match_starts[bisect_left(ctx.match_starts, (hit.end, -1)):]:
        if start >= line.end:
            break
        if start != m.start and _AMOUNT_AFTER.match(ctx.doc.text, ctx.matches[i].end):
            end = start
            break
    rest = ctx.doc.text[hit.end:end]
    for a, b, raw, strong, _cur in amount_tokens(rest, hit.end):
        try:
            v = norm_value(ctx, spec, raw)
        except NormalizeError:
            continue
        ctx.cands[name].append(Cand(v, a, b, hit.page, hit.score * 0.6 * (1.0 if strong else 0.6), "row",
                                    raw, m.label, (m.start, m.end)))
