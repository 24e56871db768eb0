"""Extraction with no per-source rules: only the schema (aliases, types, enums) drives it.

`extract_generic(doc, schema)` returns one record for the whole document. Every value carries
method "generic" (or "default" for an enum's schema default), an Evidence span that slices back
to the document text, and a confidence that reflects how well the finders agree.

Finders (each yields candidates: a normalised value, its span and a score in 0..1):
  labels   - each field's aliases as labels; the value right of / below the label, key-value
             lines, "label | value" table cells and header cells with the value below
             (`locate.values_for_matches`). Where labels overlap, the longest wins ("Invoice
             Date" over "Date", "VAT Number" over "VAT"), and a span claimed by a more specific
             label of another field is not taken ("Due Date: ..." never feeds the issue date).
  headers  - email documents: aliases that name a header ("From", "Subject", "Date"). The
             display name of an address header also feeds a string field that is the "name
             sibling" of the email field taking the address (x_email -> x_name: same
             field-name prefix, an alias with the word "name"), and a company name in the
             sender's own signature feeds it a little more strongly.
  types    - patterns where labels are absent: IBANs (checksum-valid), e-mail addresses, phone
             numbers, UK/NL postcodes, the document's first date (for the first required date
             field), the currency of the amounts (ISO codes and symbols, most frequent).
  company  - fields in the issuer role (a string field with a seller-like alias: "Supplier",
             "Vendor", "Seller", "Sold By", ...): names with a legal-form suffix (Ltd, GmbH,
             B.V., S.A., Inc., ...), the most prominent line near the top of page 1, and short
             name-like lines near the top, all outside the customer block ("Bill to", "Invoice
             to", "Customer", ...). A name that matches a web or e-mail domain printed in the
             document gets a boost: sellers print their own domain.
  title    - fields in the title role (alias "Title"): the first title/heading element.
  enums    - synonyms (and the value names) counted in the text: the subject counts double,
             quoted replies and signatures little; when nothing matches, the schema default
             (method "default", no evidence, confidence 0.5). An enum whose values name the
             document's medium ("email") takes it from the medium when it has no synonyms.
  lists    - list fields with sub-fields: tables whose headers match the sub-field aliases
             (line items); header, blank and total rows are skipped.

Choosing: candidates of a field are normalised with the field's type (failures dropped),
grouped by value; a group's score is the noisy-OR of its members (agreement between finders
raises it), and the confidence is that score, lowered when a different value scores close
behind. Amounts: for a check "A + B == C" in the schema (subtotal + tax = total), values that
make it hold are boosted, both within one totals row ("Total  257,59  59,24  316,83") and
across the document.

Role cues (issuer/customer/title) are the only place where words of a language are listed
beside the schema, and they name roles, not fields: nothing here knows a shipped schema.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from pipelines.document import Document, Element, Kind, Status
from pipelines.map import locate
from pipelines.map.extraction import Evidence, FieldValue, Issue, Record
from pipelines.map.locate import Hit, LabelMatch, fold_label
from pipelines.map.normalize import Locale, NormalizeError, normalize
from pipelines.map.schema import FieldSpec, Schema

# ---------------------------------------------------------------------------------------------
# Roles: cues in a field's aliases (folded) that give it a role the heuristics serve.

ISSUER_CUES = frozenset({
    "supplier", "vendor", "seller", "sold by", "issued by", "issuer", "lieferant", "verkaufer",
    "leverancier", "verkoper", "fournisseur", "vendeur", "proveedor", "fornitore", "sprzedawca",
})
CUSTOMER_CUES = frozenset({
    "bill to", "billed to", "invoice to", "invoiced to", "customer", "customer name", "buyer",
    "sold to", "client", "kunde", "klant", "cliente", "rechnungsempfanger", "nabywca",
})
# Labels that open the customer's address block (besides the customer-role field's aliases).
# Billing labels name the customer on the line below them; delivery labels may name a site.
BILLING_BLOCK_LABELS = (
    "Bill To", "Billed To", "Invoice To", "Invoiced To", "Sold To", "Billing Address",
    "Invoice Address", "Rechnungsadresse", "Rechnungsempfänger", "Factuuradres",
    "Adresse de facturation", "Facturé à", "Facturar a", "Nabywca", "Credit To",
)
DELIVERY_BLOCK_LABELS = (
    "Ship To", "Deliver To", "Delivery Address", "Shipping Address", "Lieferadresse",
    "Afleveradres", "Adresse de livraison", "Odbiorca", "Attn", "Attention",
)
CUSTOMER_BLOCK_LABELS = BILLING_BLOCK_LABELS + DELIVERY_BLOCK_LABELS + (
    "Customer", "Cliente", "Klant", "Kunde", "Destinatario",
)
TITLE_CUES = frozenset({"title", "titel", "titre", "titolo", "titulo"})
# Words that name a document type rather than a party ("INVOICE", "Kopie factuur").
DOC_TYPE_WORDS = frozenset({
    "invoice", "invoices", "tax invoice", "receipt", "bill", "statement", "credit note", "copy",
    "kopie", "copie", "duplicate", "original", "rechnung", "factuur", "facture", "fattura",
    "factura", "faktura", "quote", "quotation", "order", "payment", "proforma",
})
# Document media -> the enum value word that names it (for a "channel"-like enum).
MEDIUM_WORDS = {
    "message/rfc822": ("email", "e-mail", "mail"),
    "application/vnd.ms-outlook": ("email", "e-mail", "mail"),
}

LEGAL_FORM = re.compile(
    r"(?<![\w&])(?:"
    r"(?:Pvt\.?|Private|Pty\.?|Pte\.?)\s+(?:Ltd\.?|Limited)|Ltd\.?|LTD\.?|Limited|LIMITED|L\.?L\.?C\.?|LLP|"
    r"Inc\.?|INC\.?|Incorporated|Corp\.?|Corporation|plc|PLC|Co\.,?\s+Ltd\.?|"
    r"GmbH(?:\s*&\s*Co\.?\s*KG)?|AG|KG(?:aA)?|OHG|e\.\s?K\.|UG|SE|"
    r"B\.\s?V\.?|BV|N\.\s?V\.?|NV|VOF|"
    r"S\.\s?A\.\s?S\.?|SAS|S\.\s?A\.?|SA|SARL|S\.?à\s?r\.?l\.?|Sàrl|EURL|SNC|"
    r"S\.\s?p\.\s?A\.?|SpA|S\.\s?r\.\s?l\.?|Srl|SRL|S\.\s?L\.?|S\.\s?L\.\s?U\.?|"
    r"Oy|Oyj|AB|ASA|AS|A/S|ApS|"
    r"sp\.\s?z\s?o\.\s?o\.?|spółka\s+akcyjna|S\.\s?A\.|Kft\.?|s\.\s?r\.\s?o\.?|a\.\s?s\.|d\.\s?o\.\s?o\.?"
    r")(?![\w])"
)
_NAME_CONNECTORS = frozenset({"&", "and", "und", "et", "en", "y", "e", "of", "de", "du", "des", "van", "der", "den", "von", "la", "le", "di", "da", "-", "+", "i"})

# Patterns for type-driven finders and for cutting values out of label hits.
_MONTH_WORD = r"[^\W\d_]{3,}\.?"
DATE_RE = re.compile(
    r"(?<![\w/.\-])(?:"
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:\s?(?:Z|[+-]\d{2}:?\d{2}))?)?"
    r"|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})"
    r"|\d{1,2}(?:st|nd|rd|th|er|\.)?\s?(?:de\s+)?" + _MONTH_WORD + r",?\s+(?:de\s+)?\d{4}"
    r"|\d{1,2}[-/ ][^\W\d_]{3,9}[-/ ](?:\d{4}|\d{2})"
    r"|" + _MONTH_WORD + r"\s+\d{1,2}(?:st|nd|rd|th)?\s*,?\s*\d{4}"
    r")(?![\w/\-])"
)
_TIME_RE = re.compile(r"(?<!\d)\d{1,2}:\d{2}(?::\d{2})?(?!\d)")
_PERCENT_RE = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)?\s?%")
_CUR = r"(?:[A-Z]{3}|US\$|[$€£¥₹₽₺₩₪]|Rs\.?|zł|kr\.?|Fr\.)"
AMOUNT_RE = re.compile(
    r"(?<![\w.,/\-])"
    r"(?:[-−–]?(?P<pre>" + _CUR + r")[ \u00a0]{0,3})?"
    r"(?P<num>(?:[-−–]\s?)?\(?(?:\d{1,3}(?:[.,'’\u00a0\u202f]\d{3})+(?:[.,]\d{1,4})?|\d+(?:[.,]\d{1,4})?)\)?)"
    r"(?:\s?(?P<post>" + _CUR + r"|,-|\.-))?"
    r"(?![\w%/])"
)
IBAN_RE = re.compile(r"(?<![A-Z0-9])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?(?![A-Z0-9])")
EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])")
PHONE_RE = re.compile(r"(?<![\w+\-/.])(?:\+|00|0|\(\+?\d)[\d \-/().]{7,18}\d(?![\w\-/])")
POSTCODE_RES = (
    re.compile(r"(?<![A-Z0-9])[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}(?![A-Z0-9])"),  # UK
    re.compile(r"(?<!\d)\d{4}\s?[A-Z]{2}(?![A-Za-z0-9])"),  # NL
)
DOMAIN_RE = re.compile(r"(?:https?://)?(?:www\.)?(?:[\w-]+@)?((?:[\w-]+\.)+[a-z]{2,})\b", re.IGNORECASE)
_ID_WORDS = frozenset({"number", "no", "nr", "num", "id", "ref", "reference", "nummer", "numero", "code", "n", "#", "°"})
# Words between a label and an identifier: "VAT reg GB 553", "Invoice No. 12", "# 12".
_QUALIFIERS = frozenset({"#", "№", "no", "nr", "n°", "n", "°", "", "number", "num", "reg", "registration",
                         "id", "ref", "code", "nummer", "numero", "nro"})
_AMOUNT_LIKE = re.compile(r"[-(]?\d{1,3}(?:[.,' ]\d{3})*[.,]\d{2}\)?")
_GROUPED_ID = re.compile(r"[A-Z]{0,3} ?\d+(?: \d+){2,}")


# ---------------------------------------------------------------------------------------------
# Candidates


@dataclass(slots=True)
class Cand:
    value: Any
    start: int
    end: int
    page: int | None
    score: float
    source: str  # "label:<how>", "header", "type", "company", "title", "row", ...
    raw: str
    label: str | None = None
    match: tuple[int, int] | None = None  # span of the anchoring label


@dataclass
class _Ctx:
    doc: Document
    schema: Schema
    locale: Locale
    idx: locate.DocIndex
    cands: dict[str, list[Cand]] = field(default_factory=lambda: defaultdict(list))
    matches: list[LabelMatch] = field(default_factory=list)
    field_of: dict[str, list[str]] = field(default_factory=dict)  # alias -> fields
    party_fields: frozenset[str] = frozenset()  # issuer/customer-role fields (names of parties)
    address_fields: frozenset[str] = frozenset()  # string fields labelled "... Address"


def _scalar_type(spec: FieldSpec) -> str:
    if spec.type == "list" and isinstance(spec.items, str):
        return spec.items
    return spec.type


def _locale_for(spec: FieldSpec, base: Locale) -> Locale:
    hints = {k: v for k, v in spec.locale.items() if k in Locale.__dataclass_fields__}
    if "date_formats" in hints:
        hints["date_formats"] = tuple(hints["date_formats"] if not isinstance(hints["date_formats"], str) else [hints["date_formats"]])
    return replace(base, **hints) if hints else base


def _norm(ctx: _Ctx, spec: FieldSpec, raw: Any, type_name: str | None = None) -> Any:
    t = type_name or _scalar_type(spec)
    return normalize(raw, t, locale=_locale_for(spec, ctx.locale), enum_values=spec.values, synonyms=spec.synonyms or None)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _strip_postcode(ctx: _Ctx, value: str) -> str:
    """"College Road, Great Malvern, WR14 3DF" -> "College Road, Great Malvern" when the schema
    keeps the postcode in a field of its own."""
    if not any(s.type == "postcode" for s in ctx.schema.fields.values()):
        return value
    m = re.search(r"[,\s]+([A-Za-z0-9]{2,5}\s?[A-Za-z0-9]{2,4})$", value)
    if not m or not any(c.isdigit() for c in m.group(1)):
        return value
    try:
        normalize(m.group(1), "postcode", locale=ctx.locale)
    except NormalizeError:
        return value
    return value[: m.start()].rstrip(" ,")


def _is_id_field(spec: FieldSpec) -> bool:
    """An identifier-like string field: a pattern, or aliases like "... Number", "... No", "... #"."""
    if spec.type != "string":
        return False
    if spec.pattern:
        return True
    n = 0
    for a in spec.aliases:
        toks = fold_label(a).split()
        if toks and toks[-1] in _ID_WORDS:
            n += 1
    return n >= max(1, len(spec.aliases) // 3)


def _id_span(text: str) -> tuple[int, int] | None:
    """The identifier at the start of a value: tokens up to the first plain word.

    "562044387 du 02 Juillet 2015" -> "562044387"; "F 1234K20/1234/12" -> all of it;
    "# BLR_WFLD2015" -> "BLR_WFLD2015".
    """
    toks = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", text)]
    while toks and len(toks) > 1 and _fold(toks[0][2]).strip(".:") in _QUALIFIERS:
        toks.pop(0)
    if not toks:
        return None
    kept: list[tuple[int, int, str]] = []
    for i, (a, b, t) in enumerate(toks):
        core = t.strip(",;")
        if core.endswith(")") and "(" not in core:
            core = core[:-1]
        if core.endswith(".") and any(c.isdigit() for c in core):
            core = core.rstrip(".")
        if any(c.isdigit() for c in core):
            kept.append((a, b, core))
            continue
        nxt_digit = i + 1 < len(toks) and any(c.isdigit() for c in toks[i + 1][2])
        if len(core) <= 3 and (core.isupper() or not core.isalpha()) and nxt_digit and not kept:
            kept.append((a, b, core))  # a short prefix: "F 1234/12", "INV 2024-7"
            continue
        if not kept and len(toks) == 1 and re.fullmatch(r"[A-Z0-9][A-Za-z0-9_/.\-]{2,}", core) and not core.isalpha():
            kept.append((a, b, core))
            continue
        break
    if not kept or not any(c.isdigit() for _, _, t in kept for c in t):
        return None
    a = kept[0][0]
    b = kept[-1][0] + len(kept[-1][2])
    return a, b


# ---------------------------------------------------------------------------------------------
# Cutting typed values out of a hit's text


def _amount_tokens(text: str, base: int) -> list[tuple[int, int, str, bool, str | None]]:
    """Amount-like tokens: (start, end, text, strong, currency text). Dates, times and
    percentages are masked first; a bare integer without a currency is weak."""
    masked = list(text)
    for rx in (DATE_RE, _TIME_RE, _PERCENT_RE):
        for m in rx.finditer(text):
            for i in range(m.start(), m.end()):
                masked[i] = " "
    mtext = "".join(masked)
    out = []
    for m in AMOUNT_RE.finditer(mtext):
        num = m.group("num")
        cur = m.group("pre") or m.group("post")
        if cur in (",-", ".-"):
            cur = None
        if cur and len(cur) == 3 and cur.isalpha() and cur.isupper():
            try:
                normalize(cur, "currency")
            except NormalizeError:
                # not a currency code ("VAT 12"): keep the number alone
                a, b = m.span("num")
                out.append((base + a, base + b, text[a:b], bool(re.search(r"[.,]\d{2}\)?$", num)), None))
                continue
        strong = bool(cur) or bool(re.search(r"[.,]\d{1,2}\)?$", num.strip()))
        a, b = m.span()
        if not re.search(r"\d", text[a:b]):
            continue
        out.append((base + a, base + b, text[a:b], strong, cur))
    return out


def _date_in(text: str) -> tuple[int, int] | None:
    """A date at the start of a value (allowing one leading word, e.g. a weekday)."""
    m = DATE_RE.search(text)
    if not m:
        return None
    prefix = text[: m.start()].strip(" ,.:;-")
    if prefix and (len(prefix.split()) > 1 or not prefix.isalpha() or len(prefix) > 10):
        return None
    return m.span()


def _values_from_hit(ctx: _Ctx, name: str, spec: FieldSpec, hit: Hit) -> list[tuple[Any, int, int, float]]:
    """(value, start, end, fit) for one hit; fit < 1 when the value is only part of the hit."""
    t = _scalar_type(spec)
    text = hit.text
    out: list[tuple[Any, int, int, float]] = []

    def add(raw: str, a: int, b: int, fit: float, type_name: str | None = None) -> None:
        try:
            v = _norm(ctx, spec, raw, type_name)
        except (NormalizeError, ValueError, TypeError, ArithmeticError):
            return
        if v is None or v == "" or v == []:
            return
        if spec.pattern and isinstance(v, str) and not re.search(spec.pattern, v):
            return
        out.append((v, hit.start + a, hit.start + b, fit))

    if t in ("amount", "decimal", "integer"):
        toks = _amount_tokens(text, 0)
        for k, (a, b, raw, strong, _cur) in enumerate(toks):
            add(raw, a, b, (1.0 if k == 0 else 0.75) * (1.0 if strong else 0.6))
    elif t in ("date", "datetime"):
        span = _date_in(text)
        if span:
            add(text[span[0]:span[1]], span[0], span[1], 1.0)
    elif t == "currency":
        for m in re.finditer(_CUR, text):
            add(m.group(), m.start(), m.end(), 1.0)
            break
    elif t == "email":
        m = EMAIL_RE.search(text)
        if m:
            add(m.group(), m.start(), m.end(), 1.0)
    elif t == "iban":
        m = IBAN_RE.search(text.upper())
        if m:
            found = _iban_at(ctx, spec, text[m.start():m.end()])
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
    elif t == "string" and _is_id_field(spec):
        span = _id_span(text)
        if span:
            raw = text[span[0]:span[1]]
            if _AMOUNT_LIKE.fullmatch(raw):
                return out  # "770.96" is an amount, not an identifier
            if _GROUPED_ID.fullmatch(raw):
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
        if name in ctx.address_fields:
            value = _strip_postcode(ctx, value)
        add(value, a, a + len(value), 1.0 if b == len(text) else 0.9)
    elif spec.type == "list" and isinstance(spec.items, str):
        parts = [(m.start(), m.end()) for m in re.finditer(r"[^;]+?(?=\s*(?:;|\band\b|&|$))", text)]
        if spec.items == "string":
            # names of parties: the legal-form names in the text, when there are two or more
            names = []
            for m in LEGAL_FORM.finditer(text):
                st = _name_back(text, 0, len(text), m.start())
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
                vals.append(normalize(raw, spec.items, locale=_locale_for(spec, ctx.locale)))
            except NormalizeError:
                continue
        if vals:
            out.append((vals, hit.start, hit.end, 1.0 if len(vals) > 1 else 0.7))
    else:  # text, months, boolean, enum
        add(text, 0, len(text), 1.0)
    return out


# ---------------------------------------------------------------------------------------------
# Finders


def _scalar_fields(schema: Schema) -> dict[str, FieldSpec]:
    return {n: s for n, s in schema.fields.items() if not (s.type == "list" and isinstance(s.items, dict))}


def _label_candidates(ctx: _Ctx) -> None:
    fields = _scalar_fields(ctx.schema)
    field_of: dict[str, list[str]] = defaultdict(list)
    rank: dict[tuple[str, str], int] = {}
    for name, spec in fields.items():
        for i, alias in enumerate(spec.aliases):
            field_of[alias].append(name)
            rank[(alias, name)] = i
    # Address-block labels are labels too: "Deliver To" is not the customer-name label "To",
    # "Invoice Address" is not the issuer's "Address". Billing-block labels also feed
    # customer-role fields (the name on the line below), a little less surely.
    customer_fields = _role_fields(ctx.schema, CUSTOMER_CUES)
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
    matches = locate.match_labels(ctx.doc, all_labels)
    ctx.matches = matches
    own = [m for m in matches if m.label in field_of]
    for m, hit in locate.values_for_matches(ctx.doc, own, "any", stops=matches, qualified_by=own):
        weight = 0.5 if _in_quoted(ctx, m.start) else 1.0
        for name in field_of[m.label]:
            spec = fields[name]
            r = rank.get((m.label, name), 0)
            rank_f = max(0.85, 1.0 - 0.01 * r)
            for value, a, b, fit in _values_from_hit(ctx, name, spec, hit):
                score = hit.score * fit * rank_f * weight
                ctx.cands[name].append(Cand(value, a, b, hit.page, score, f"label:{hit.how}", ctx.doc.text[a:b],
                                            m.label, (m.start, m.end)))
            if _scalar_type(spec) in ("amount", "decimal") and hit.how in ("right", "kv", "table"):
                _row_amounts(ctx, name, spec, m, hit)


def _row_amounts(ctx: _Ctx, name: str, spec: FieldSpec, m: LabelMatch, hit: Hit) -> None:
    """Amounts later on the label's line ("Total   257,59   59,24   316,83"): weaker candidates,
    and the material for the in-row arithmetic check."""
    line = ctx.idx.line_at(hit.start)
    if line is None or line.index < 0:
        return
    rest = ctx.doc.text[hit.end:line.end]
    for a, b, raw, strong, _cur in _amount_tokens(rest, hit.end):
        try:
            v = _norm(ctx, spec, raw)
        except NormalizeError:
            continue
        ctx.cands[name].append(Cand(v, a, b, hit.page, hit.score * 0.6 * (1.0 if strong else 0.6), "row",
                                    raw, m.label, (m.start, m.end)))


def _in_quoted(ctx: _Ctx, pos: int) -> bool:
    el = ctx.idx.element_at(pos)
    return el is not None and bool(el.attrs.get("quoted") or el.attrs.get("signature"))


def _header_candidates(ctx: _Ctx) -> None:
    headers = [el for el in ctx.doc.elements if el.kind is Kind.EMAIL_HEADER]
    if not headers:
        return
    fields = _scalar_fields(ctx.schema)
    for el in headers:
        hname = fold_label(str(el.attrs.get("name", "")))
        raw_value = str(el.attrs.get("value", ""))
        pos = el.text.find(raw_value) if raw_value else -1
        if pos < 0:
            continue
        vstart = el.start + pos
        for name, spec in fields.items():
            if not any(fold_label(a) == hname for a in spec.aliases):
                continue
            for value, a, b, fit in _header_values(ctx, spec, el, raw_value, vstart):
                ctx.cands[name].append(Cand(value, a, b, el.page, 0.92 * fit, "header", ctx.doc.text[a:b], el.attrs.get("name")))
                if _scalar_type(spec) == "email":
                    _name_sibling(ctx, name, el, raw_value, vstart)


def _header_values(ctx: _Ctx, spec: FieldSpec, el: Element, raw: str, vstart: int) -> list[tuple[Any, int, int, float]]:
    t = _scalar_type(spec)
    out: list[tuple[Any, int, int, float]] = []
    try:
        if t == "email":
            m = EMAIL_RE.search(raw)
            if m:
                out.append((_norm(ctx, spec, m.group()), vstart + m.start(), vstart + m.end(), 1.0))
        elif t in ("datetime", "date"):
            iso = el.attrs.get("iso")
            value = _norm(ctx, spec, iso if iso else raw)
            out.append((value, vstart, vstart + len(raw), 1.0))
        elif t in ("string", "text"):
            name_span = _display_name(raw)
            if name_span is not None and "addresses" in el.attrs:
                a, b = name_span
                out.append((_norm(ctx, spec, raw[a:b]), vstart + a, vstart + b, 0.9))
            elif "addresses" not in el.attrs and raw.strip():
                out.append((_norm(ctx, spec, raw.strip()), vstart, vstart + len(raw.strip()), 1.0))
        else:
            out.append((_norm(ctx, spec, raw), vstart, vstart + len(raw), 1.0))
    except NormalizeError:
        pass
    return out


def _display_name(raw: str) -> tuple[int, int] | None:
    """Span of the display name in 'Jane Doe <jane@x.com>' (quotes excluded)."""
    m = re.match(r'\s*"?([^"<]*?)"?\s*<[^>]+>', raw)
    if not m or not m.group(1).strip():
        return None
    return m.span(1)


def _name_sibling(ctx: _Ctx, email_field: str, el: Element, raw: str, vstart: int) -> None:
    """The display name of an address that fed `email_field` goes to its name sibling."""
    span = _display_name(raw)
    if span is None:
        return
    prefix = email_field.rsplit("_", 1)[0] if "_" in email_field else ""
    for name, spec in _scalar_fields(ctx.schema).items():
        if name == email_field or spec.type != "string":
            continue
        if not any("name" in fold_label(a).split() for a in spec.aliases):
            continue
        if prefix and not name.startswith(prefix + "_"):
            continue
        a, b = span
        try:
            value = _norm(ctx, spec, raw[a:b])
        except NormalizeError:
            continue
        ctx.cands[name].append(Cand(value, vstart + a, vstart + b, el.page, 0.8, "header", raw[a:b], el.attrs.get("name")))
        for s, e in _signature_orgs(ctx, raw[a:b]):
            try:
                org = _norm(ctx, spec, ctx.doc.text[s:e])
            except NormalizeError:
                continue
            ctx.cands[name].append(Cand(org, s, e, ctx.idx.page_at(s), 0.82, "signature", ctx.doc.text[s:e]))


def _signature_orgs(ctx: _Ctx, person: str) -> list[tuple[int, int]]:
    """Company names (with a legal form) in the sender's own signature: the body block that
    names the sender and the two blocks after it. The sender writes for that organisation."""
    body = [el for el in ctx.doc.elements
            if el.kind in (Kind.EMAIL_BODY, Kind.PARAGRAPH, Kind.KEY_VALUE, Kind.LIST_ITEM) and not el.attrs.get("quoted")]
    out: list[tuple[int, int]] = []
    for i, el in enumerate(body):
        if person and person in el.text:
            for blk in body[i:i + 3]:
                for line_start in [blk.start] + [blk.start + k + 1 for k, ch in enumerate(blk.text) if ch == "\n"]:
                    line_end = ctx.doc.text.find("\n", line_start, blk.end)
                    line_end = blk.end if line_end < 0 else line_end
                    for m in LEGAL_FORM.finditer(ctx.doc.text, line_start, line_end):
                        st = _name_back(ctx.doc.text, line_start, line_end, m.start())
                        if st is not None:
                            out.append((st, m.end()))
    return out[-1:]  # the last one: signatures end with the organisation


def _type_candidates(ctx: _Ctx) -> None:
    text = ctx.doc.text
    fields = _scalar_fields(ctx.schema)
    by_type: dict[str, list[str]] = defaultdict(list)
    for name, spec in fields.items():
        by_type[_scalar_type(spec)].append(name)

    def weight(pos: int) -> float:
        el = ctx.idx.element_at(pos)
        if el is not None and el.kind in (Kind.EMAIL_HEADER, Kind.CODE, Kind.CODE_SYMBOL):
            return 0.0  # header values are read by their names (see _header_candidates)
        return 0.5 if _in_quoted(ctx, pos) else 1.0

    if by_type.get("iban"):
        for m in IBAN_RE.finditer(text):
            for name in by_type["iban"]:
                found = _iban_at(ctx, fields[name], m.group())
                if found is None:
                    continue
                v, n = found
                if not weight(m.start()):
                    continue
                ctx.cands[name].append(Cand(v, m.start(), m.start() + n, ctx.idx.page_at(m.start()), 0.7 * weight(m.start()), "type", m.group()[:n]))
    if by_type.get("email"):
        for m in EMAIL_RE.finditer(text):
            for name in by_type["email"]:
                try:
                    v = _norm(ctx, fields[name], m.group())
                except NormalizeError:
                    continue
                if weight(m.start()):
                    ctx.cands[name].append(Cand(v, m.start(), m.end(), ctx.idx.page_at(m.start()), 0.35 * weight(m.start()), "type", m.group()))
    if by_type.get("phone"):
        for m in PHONE_RE.finditer(text):
            if sum(c.isdigit() for c in m.group()) < 9 or DATE_RE.fullmatch(m.group().strip()):
                continue
            for name in by_type["phone"]:
                try:
                    v = _norm(ctx, fields[name], m.group())
                except NormalizeError:
                    continue
                if weight(m.start()):
                    ctx.cands[name].append(Cand(v, m.start(), m.end(), ctx.idx.page_at(m.start()), 0.3 * weight(m.start()), "type", m.group()))
    if by_type.get("postcode"):
        region_res = {"GB": POSTCODE_RES[:1], "NL": POSTCODE_RES[1:]}.get(ctx.locale.default_region, ())
        for rx in region_res:
            for m in rx.finditer(text):
                for name in by_type["postcode"]:
                    try:
                        v = _norm(ctx, fields[name], m.group())
                    except NormalizeError:
                        continue
                    if weight(m.start()):
                        ctx.cands[name].append(Cand(v, m.start(), m.end(), ctx.idx.page_at(m.start()), 0.4 * weight(m.start()), "type", m.group()))
    if by_type.get("currency"):
        _currency_candidates(ctx, [n for n in by_type["currency"]], fields)
    date_fields = [n for n in by_type.get("date", []) if fields[n].required]
    if date_fields:
        _first_date(ctx, date_fields[0], fields[date_fields[0]])


def _iban_at(ctx: _Ctx, spec: FieldSpec, raw: str) -> tuple[Any, int] | None:
    """A checksum-valid IBAN at the start of `raw` (dropping trailing groups that belong to the
    next word, as in "GB38 BARC 2032 5370 9611 54 SWIFT ...")."""
    parts = list(re.finditer(r"[A-Z0-9]+", raw))
    for k in range(len(parts), 0, -1):
        end = parts[k - 1].end()
        try:
            return _norm(ctx, spec, raw[:end]), end
        except NormalizeError:
            continue
    return None


def _currency_candidates(ctx: _Ctx, names: list[str], fields: dict[str, FieldSpec]) -> None:
    """The currency written beside the document's amounts (most frequent wins)."""
    counts: Counter[str] = Counter()
    first: dict[str, tuple[int, int, str]] = {}
    for line in ctx.idx.lines:
        seg = ctx.doc.text[line.start:line.end]
        for a, b, raw, _strong, cur in _amount_tokens(seg, line.start):
            if not cur:
                continue
            try:
                code = normalize(cur, "currency", locale=ctx.locale)
            except NormalizeError:
                continue
            w = 0.5 if _in_quoted(ctx, a) else 1.0
            counts[code] += w
            if code not in first:
                off = raw.find(cur)
                first[code] = (a + off, a + off + len(cur), cur)
    # ISO codes standing alone ("Amounts in EUR", a column headed "EUR") count less
    for m in re.finditer(r"(?<![\w\-/])[A-Z]{3}(?![\w\-/])|(?<!\w)[€£₹¥](?![\w])", ctx.doc.text):
        el = ctx.idx.element_at(m.start())
        if el is not None and el.kind in (Kind.EMAIL_HEADER, Kind.CODE, Kind.CODE_SYMBOL):
            continue
        try:
            code = normalize(m.group(), "currency", locale=ctx.locale)
        except NormalizeError:
            continue
        if len(m.group()) == 3 and code != m.group():
            continue
        counts[code] += 0.3
        first.setdefault(code, (m.start(), m.end(), m.group()))
    if not counts:
        return
    total = sum(counts.values())
    for code, n in counts.most_common(3):
        share = n / total
        score = (0.35 + 0.45 * share) * min(1.0, 0.6 + 0.15 * n)
        a, b, raw = first[code]
        for name in names:
            ctx.cands[name].append(Cand(code, a, b, ctx.idx.page_at(a), score, "type", raw))


def _first_date(ctx: _Ctx, name: str, spec: FieldSpec) -> None:
    """The document's first date: a weak candidate for its main (first required) date field."""
    for m in DATE_RE.finditer(ctx.doc.text):
        if _in_quoted(ctx, m.start()):
            continue
        try:
            v = _norm(ctx, spec, m.group())
        except NormalizeError:
            continue
        ctx.cands[name].append(Cand(v, m.start(), m.end(), ctx.idx.page_at(m.start()), 0.4, "type:first_date", m.group()))
        return


# ---------------------------------------------------------------------------------------------
# Company names (issuer role) and titles


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


def _customer_regions(ctx: _Ctx) -> list[_Region]:
    labels = list(CUSTOMER_BLOCK_LABELS)
    for name in _role_fields(ctx.schema, CUSTOMER_CUES):
        labels.extend(a for a in ctx.schema.fields[name].aliases if len(fold_label(a)) >= 4)
    regions: list[_Region] = []
    for m in locate.match_labels(ctx.doc, labels):
        line = ctx.idx.line_at(m.start)
        if line is None:
            continue
        # the label must open its column (not "customer care" inside running text)
        seg_start = max((a for a, b in locate.segments(ctx.doc.text, line.start, line.end) if a <= m.start), default=line.start)
        if ctx.doc.text[seg_start:m.start].strip(" :*-"):
            continue
        words = [w for w in (line.words or []) if w.end > m.start and w.start < m.end]
        if line.words and words and line.top is not None and line.bottom is not None:
            h = max(line.bottom - line.top, 6.0)
            x0 = min(w.bbox.x0 for w in words)
            regions.append(_Region(line.page, x0 - 4, x0 + 230, line.top - 1, line.bottom + 7 * h, m.start, m.start))
        else:
            el = line.element
            if el.kind is Kind.TABLE and el.cells:
                cell = next((c for c in el.cells if c.start <= m.start < c.end + 1), None)
                if cell is not None:
                    col_cells = [c for c in el.cells if c.col == cell.col and cell.row <= c.row <= cell.row + 6]
                    for c in col_cells:
                        regions.append(_Region(None, None, None, None, None, c.start, c.end))
                    continue
            end_line = min(line.index + 6, len(ctx.idx.lines) - 1)
            regions.append(_Region(None, None, None, None, None, m.start, ctx.idx.lines[end_line].end))
    return regions


def _in_regions(ctx: _Ctx, regions: list[_Region], start: int, end: int) -> bool:
    line = ctx.idx.line_at(start)
    words = [w for w in (line.words or [])] if line is not None else []
    inside = [w for w in words if w.end > start and w.start < end]
    for r in regions:
        if r.x0 is not None and inside and line is not None and line.page == r.page:
            x = min(w.bbox.x0 for w in inside)
            y = min(w.bbox.y0 for w in inside)
            if r.x0 <= x <= r.x1 and r.top <= y <= r.bottom:  # type: ignore[operator]
                return True
        elif r.x0 is None and r.start <= start < max(r.end, r.start + 1):
            return True
    return False


def _name_back(text: str, a: int, b: int, form_start: int) -> int | None:
    """Start of the company name that ends with the legal form at form_start (walk back over
    capitalised words and connectors; stop at lower-case words, labels and sentence ends)."""
    toks = [(m.start() + a, m.end() + a, m.group()) for m in re.finditer(r"\S+", text[a:form_start])]
    start = None
    n = 0
    for s, e, t in reversed(toks):
        core = t.rstrip(",")
        if core.endswith(":") or core in ("-", "–", "|", "•", "/"):
            break
        if core.endswith(".") and len(core) > 4 and n > 0 and not LEGAL_FORM.fullmatch(core):
            break
        if core.endswith(".") and len(core) > 4 and n == 0 and core[:-1].isalpha() and core.isupper():
            break  # "FACTUUR. Coolblue B.V."
        if core.lower() in _NAME_CONNECTORS and n > 0:
            start = s
            continue
        if not (any(c.isupper() for c in core) or core[:1].isdigit()):
            break
        if _fold(core.strip(".,")) in DOC_TYPE_WORDS:
            break
        start = s
        n += 1
        if n >= 6:
            break
    if start is None:
        return None
    # a name does not start with a connector
    words = list(re.finditer(r"\S+", text[start:form_start]))
    while words and words[0].group().lower() in _NAME_CONNECTORS:
        words.pop(0)
    if not words:
        return None
    return start + words[0].start()


def _domains(ctx: _Ctx) -> set[str]:
    out: set[str] = set()
    for m in DOMAIN_RE.finditer(ctx.doc.text):
        host = m.group(1).lower()
        parts = [p for p in host.split(".") if p not in ("www", "com", "co", "org", "net", "uk", "de", "nl", "fr", "in", "io", "eu", "example", "gov", "ac")]
        for p in parts:
            out.add(re.sub(r"[^a-z0-9]", "", p))
            for piece in p.split("-"):
                if len(piece) >= 4:
                    out.add(piece)
    ctx_doc_meta = ctx.doc.metadata.get("email") or {}
    if ctx_doc_meta.get("from_address"):
        host = str(ctx_doc_meta["from_address"]).rsplit("@", 1)[-1].lower()
        out.update(re.sub(r"[^a-z0-9]", "", p) for p in host.split(".")[:-1])
    return {d for d in out if len(d) >= 3}


def _domain_match(name: str, domains: set[str]) -> bool:
    words = [re.sub(r"[^a-z0-9]", "", _fold(w)) for w in name.split()]
    words = [w for w in words if w and not LEGAL_FORM.fullmatch(w.upper()) and w not in ("the",)]
    if not words:
        return False
    joined = "".join(words)
    for d in domains:
        if joined == d or (len(joined) >= 4 and (joined in d or d in joined) and len(d) >= 4):
            return True
        if len(words[0]) >= 4 and (d.startswith(words[0]) or words[0] == d):
            return True
    return False


def _company_candidates(ctx: _Ctx) -> None:
    targets = _role_fields(ctx.schema, ISSUER_CUES)
    if not targets:
        return
    text = ctx.doc.text
    regions = _customer_regions(ctx)
    domains = _domains(ctx)
    page_h = {p.number: p.height for p in ctx.doc.pages if p.height}
    found: list[tuple[int, int, float, str]] = []  # start, end, score, kind
    first_page = min((ln.page for ln in ctx.idx.lines if ln.page is not None), default=None)
    n_lines = len(ctx.idx.lines)

    def position(line: locate.Line) -> float:
        if line.top is not None and line.page in page_h:
            rel = line.top / page_h[line.page]
            base = 1.0 - 0.45 * min(rel, 1.0)
            return base if line.page == first_page else base * 0.6
        return max(0.4, 1.0 - 0.03 * line.index) if line.index < n_lines else 0.4

    for line in ctx.idx.lines:
        if line.element.kind in (Kind.EMAIL_HEADER, Kind.CODE_DATA, Kind.CODE):
            continue
        for a, b in locate.segments(text, line.start, line.end):
            for m in LEGAL_FORM.finditer(text, a, b):
                s = _name_back(text, a, b, m.start())
                if s is None:
                    continue
                e = m.end()
                if _in_regions(ctx, regions, s, e):
                    continue
                found.append((s, e, 0.5 * position(line), "legal"))
    # prominent and name-like lines near the top of the first page
    top_lines = [ln for ln in ctx.idx.lines if ln.page == first_page]
    geo = [ln for ln in top_lines if ln.words and ln.top is not None and ln.page in page_h]
    if geo:
        heights = sorted(max(w.bbox.y1 - w.bbox.y0 for w in ln.words) for ln in geo if ln.words)  # type: ignore[union-attr]
        median = heights[len(heights) // 2] if heights else 0.0
        near_top = [ln for ln in geo if ln.top / page_h[ln.page] < 0.3]  # type: ignore[operator]
        for ln in near_top:
            h = max(w.bbox.y1 - w.bbox.y0 for w in ln.words)  # type: ignore[union-attr]
            prominent = median > 0 and h >= 1.25 * median
            for a, b in _name_like_segments(ctx, ln):
                if _in_regions(ctx, regions, a, b):
                    continue
                found.append((a, b, (0.45 if prominent else 0.15) * position(ln), "prominent" if prominent else "top"))
    else:
        first = [ln for ln in ctx.idx.lines[:8] if ln.element.kind not in (Kind.EMAIL_HEADER,)]
        for ln in first[:4]:
            for a, b in _name_like_segments(ctx, ln):
                if _in_regions(ctx, regions, a, b):
                    continue
                found.append((a, b, 0.3 * position(ln), "top"))
                break
    for name in targets:
        spec = ctx.schema.fields[name]
        for s, e, score, kind in found:
            raw = text[s:e]
            try:
                value = _norm(ctx, spec, raw)
            except NormalizeError:
                continue
            if _domain_match(raw, domains):
                score = 1 - (1 - score) * (1 - 0.45)
            ctx.cands[name].append(Cand(value, s, e, ctx.idx.page_at(s), score, f"company:{kind}", raw))


def _folded_labels(ctx: _Ctx) -> set[str]:
    folded = getattr(ctx, "_folded", None)
    if folded is None:
        folded = {fold_label(lab) for lab in ctx.field_of}
        try:
            ctx._folded = folded  # type: ignore[attr-defined]
        except AttributeError:  # slotted context: recompute (still cached per label)
            pass
    return folded


def _name_like_segments(ctx: _Ctx, line: locate.Line) -> list[tuple[int, int]]:
    """Segments of a line that read like a party's name: 1-6 words, capitalised, few digits,
    not a label, with document-type words ("INVOICE", "Kopie factuur") removed."""
    text = ctx.doc.text
    out = []
    for a, b in locate.segments(text, line.start, line.end):
        seg = text[a:b]
        if ":" in seg or "@" in seg or "/" in seg and not re.search(r"\w/\w", seg):
            continue
        words = [(m.start() + a, m.end() + a, m.group()) for m in re.finditer(r"\S+", seg)]
        # drop document-type words at either end
        while words and _fold(words[0][2].strip(".,:")) in DOC_TYPE_WORDS:
            words.pop(0)
        while words and _fold(words[-1][2].strip(".,:")) in DOC_TYPE_WORDS:
            words.pop()
        if not words or len(words) > 6:
            continue
        s, e = words[0][0], words[-1][1]
        core = text[s:e].rstrip(",.;")
        e = s + len(core)
        letters = sum(c.isalpha() for c in core)
        digits = sum(c.isdigit() for c in core)
        if letters < 3 or digits > letters / 3 or not core[0].isupper() and not core[0].isdigit():
            continue
        if fold_label(core) in _folded_labels(ctx):
            continue
        out.append((s, e))
    return out


def _title_candidates(ctx: _Ctx) -> None:
    targets = _role_fields(ctx.schema, TITLE_CUES)
    if not targets:
        return
    for el in ctx.doc.elements:
        if el.kind in (Kind.TITLE, Kind.HEADING) and len(re.findall(r"[^\W\d_]{2,}", el.text)) >= 2:
            for name in targets:
                spec = ctx.schema.fields[name]
                try:
                    value = _norm(ctx, spec, el.text.strip())
                except NormalizeError:
                    continue
                a = el.start + (len(el.text) - len(el.text.lstrip()))
                raw = el.text.strip()
                ctx.cands[name].append(Cand(value, a, a + len(raw), el.page, 0.6, "title", raw))
            return


# ---------------------------------------------------------------------------------------------
# Enums


def _enum(ctx: _Ctx, name: str, spec: FieldSpec) -> FieldValue | None:
    medium = MEDIUM_WORDS.get(ctx.doc.media_type, ())
    if not spec.synonyms and medium:
        for v in spec.values:
            if _fold(v) in medium:
                ev_el = next((e for e in ctx.doc.elements if e.kind is Kind.EMAIL_HEADER), None)
                ev = Evidence(ctx.doc.id, ev_el.start, ev_el.end, ev_el.text, ev_el.page) if ev_el else None
                return FieldValue(v, "generic", 0.85, None, ev, ev_el.text if ev_el else None)
    phrases: list[tuple[str, str]] = []
    for v in spec.values:
        # a value's own name counts only where synonyms are not given at all: "high" in
        # "14 High Street" says nothing about priority, the listed synonyms do
        if not spec.synonyms:
            phrases.append((v.replace("_", " "), v))
        for syn in spec.synonyms.get(v, []):
            phrases.append((syn, v))
    label_to_values: dict[str, list[str]] = defaultdict(list)
    for p, v in phrases:
        label_to_values[p].append(v)
    matches = locate.match_labels(ctx.doc, list(label_to_values))
    scores: Counter[str] = Counter()
    first: dict[str, LabelMatch] = {}
    for m in matches:
        el = ctx.idx.element_at(m.start)
        if el is not None and el.kind is Kind.EMAIL_HEADER:
            w = 2.0 if str(el.attrs.get("name", "")).lower() == "subject" else 0.0
        elif el is not None and el.attrs.get("quoted"):
            w = 0.3
        elif el is not None and el.attrs.get("signature"):
            w = 0.2
        else:
            w = 1.0
        if w == 0:
            continue
        for v in label_to_values[m.label]:
            scores[v] += w
            first.setdefault(v, m)
    if scores:
        ranked = scores.most_common()
        best_v, best = ranked[0]
        # ties: the value listed first in the schema (ordered by severity or preference)
        tied = [v for v, s in ranked if s == best]
        if len(tied) > 1:
            best_v = min(tied, key=spec.values.index)
        runner = max((s for v, s in ranked if v != best_v), default=0.0)
        conf = min(0.95, 0.55 + 0.15 * best) * (1 - 0.4 * runner / best)
        m = first[best_v]
        return FieldValue(best_v, "generic", round(max(conf, 0.3), 3), None,
                          Evidence(ctx.doc.id, m.start, m.end, ctx.doc.text[m.start:m.end], m.page), ctx.doc.text[m.start:m.end])
    if spec.default is not None:
        return FieldValue(spec.default, "default", 0.5, None, None, None)
    return None


# ---------------------------------------------------------------------------------------------
# Line items


def _list_field(ctx: _Ctx, name: str, spec: FieldSpec) -> FieldValue | None:
    assert isinstance(spec.items, dict)
    sub = spec.items
    columns = {k: s.aliases or [k.replace("_", " ")] for k, s in sub.items()}
    tables = locate.find_table_rows(ctx.doc, columns, min_columns=2)
    if not tables:
        return None
    summary_labels = []
    for fname, fspec in ctx.schema.fields.items():
        if fspec.type in ("amount", "decimal"):
            summary_labels.extend(fspec.aliases)
    summary_labels.extend(["Total", "Subtotal", "Sub Total", "Grand Total"])
    summary_pats = [p for p in (locate.label_pattern(lbl) for lbl in dict.fromkeys(summary_labels)) if p is not None]
    text_cols = [k for k, s in sub.items() if s.type in ("string", "text")]
    num_cols = [k for k, s in sub.items() if s.type in ("amount", "decimal", "integer")]
    items: list[dict[str, Any]] = []
    spans: list[Hit] = []
    n_cols_seen = 0
    for rows in tables:
        cols_here = {k for r in rows for k in r}
        if not (set(text_cols) & cols_here) or not (set(num_cols) & cols_here):
            continue
        n_cols_seen = max(n_cols_seen, len(cols_here))
        for row in rows:
            item: dict[str, Any] = {}
            desc = next((row[k].text for k in text_cols if k in row), "")
            if any(p.match(desc.strip()) for p in summary_pats):
                continue  # a totals row
            for k, hit in row.items():
                sspec = sub[k]
                try:
                    if sspec.type in ("amount", "decimal", "integer"):
                        toks = _amount_tokens(hit.text, 0)
                        if len(toks) != 1:
                            continue
                        item[k] = _norm(ctx, sspec, toks[0][2])
                    else:
                        item[k] = _norm(ctx, sspec, hit.text)
                except NormalizeError:
                    continue
            has_text = any(isinstance(item.get(k), str) and item.get(k) for k in text_cols)
            has_num = any(k in item for k in num_cols)
            if has_text and has_num:
                items.append(item)
                spans.extend(row.values())
    if not items:
        return None
    start = min(h.start for h in spans)
    end = max(h.end for h in spans)
    conf = min(0.9, 0.6 + 0.07 * n_cols_seen)
    return FieldValue(items, "generic", round(conf, 3), None,
                      Evidence(ctx.doc.id, start, end, ctx.doc.text[start:end], spans[0].page), None)


# ---------------------------------------------------------------------------------------------
# Choosing


def _key(value: Any) -> Any:
    if isinstance(value, str):
        return " ".join(_fold(value).replace(",", " ").split())
    if isinstance(value, list):
        return repr(value)
    return value


def _noisy_or(scores: Iterable[float]) -> float:
    p = 1.0
    for i, s in enumerate(sorted(scores, reverse=True)):
        p *= 1 - min(max(s, 0.0), 0.99) * (1.0 if i == 0 else 0.5)
    return 1 - p


def _apply_claims(ctx: _Ctx) -> None:
    """A span read next to a label of one field is not another field's value (the due date is
    not the issue date), unless that field's own label anchored it as strongly."""
    best: dict[tuple[int, int], dict[str, float]] = defaultdict(dict)
    for name, cands in ctx.cands.items():
        for c in cands:
            if c.source.startswith("label:") or c.source == "row":
                d = best[(c.start, c.end)]
                d[name] = max(d.get(name, 0.0), c.score)
    for name, cands in ctx.cands.items():
        keep = []
        for c in cands:
            d = best.get((c.start, c.end))
            if d:
                top_field, top = max(d.items(), key=lambda kv: kv[1])
                mine = d.get(name, 0.0)
                if top_field != name and mine < 0.8 * top:
                    if c.source.startswith("label:") or c.source == "row" or c.source.startswith("type"):
                        continue
            keep.append(c)
        ctx.cands[name] = keep


_CHECK = re.compile(r"^\s*(\w+)\s*\+\s*(\w+)\s*==?\s*(\w+)\s*$")
_CHECK_REV = re.compile(r"^\s*(\w+)\s*==?\s*(\w+)\s*\+\s*(\w+)\s*$")


def _sum_checks(schema: Schema) -> list[tuple[str, str, str, Decimal]]:
    out = []
    for chk in schema.checks:
        m = _CHECK.match(chk.expr)
        if m:
            a, b, c = m.groups()
        else:
            m = _CHECK_REV.match(chk.expr)
            if not m:
                continue
            c, a, b = m.groups()
        if all(n in schema.fields and schema.fields[n].type in ("amount", "decimal") for n in (a, b, c)):
            out.append((a, b, c, Decimal(str(max(chk.tolerance, 0.005)))))
    return out


def _arithmetic(ctx: _Ctx) -> None:
    for a_name, b_name, c_name, tol in _sum_checks(ctx.schema):
        roles = {a_name: 0, b_name: 1, c_name: 2}
        # within one totals row: amounts x_i + x_j == x_k (i < j < k) on the line of a label
        by_line: dict[int, list[Cand]] = defaultdict(list)
        for name in roles:
            for c in ctx.cands.get(name, []):
                if c.source in ("row",) or c.source.startswith("label:"):
                    line = ctx.idx.line_at(c.start)
                    if line is not None:
                        by_line[line.index].append(c)
        for line_idx, cs in by_line.items():
            line = ctx.idx.lines[line_idx]
            toks = []
            for a, b, raw, strong, _cur in _amount_tokens(ctx.doc.text[line.start:line.end], line.start):
                try:
                    toks.append((a, b, _amount_value(ctx, raw)))
                except NormalizeError:
                    continue
            toks = [t for t in toks if t[2] is not None]
            triple = None
            for i in range(len(toks)):
                for j in range(i + 1, len(toks)):
                    for k in range(j + 1, len(toks)):
                        if toks[k][2] != 0 and abs(toks[i][2] + toks[j][2] - toks[k][2]) <= tol:
                            triple = (toks[i], toks[j], toks[k])
            if triple is None:
                continue
            for c in cs:
                name = next((n for n in roles if c in ctx.cands.get(n, [])), None)
                if name is None:
                    continue
                want = triple[roles[name]]
                if (c.start, c.end) == (want[0], want[1]):
                    c.score = 1 - (1 - c.score) * (1 - 0.5)
                elif any((c.start, c.end) == (t[0], t[1]) for t in triple):
                    c.score *= 0.5
        # across the document: the best-scoring consistent triple
        tops = []
        for name in (a_name, b_name, c_name):
            cs = sorted(ctx.cands.get(name, []), key=lambda c: -c.score)[:8]
            tops.append([c for c in cs if isinstance(c.value, Decimal)])
        best = None
        for ca in tops[0]:
            for cb in tops[1]:
                for cc in tops[2]:
                    if len({(ca.start, ca.end), (cb.start, cb.end), (cc.start, cc.end)}) < 3:
                        continue
                    if abs(ca.value + cb.value - cc.value) <= tol:
                        s = ca.score + cb.score + cc.score
                        if best is None or s > best[0]:
                            best = (s, ca, cb, cc)
        if best is not None:
            for c in best[1:]:
                c.score = 1 - (1 - c.score) * (1 - 0.3)
                c.source += "+check"


def _amount_value(ctx: _Ctx, raw: str) -> Decimal | None:
    try:
        v = normalize(raw, "amount", locale=ctx.locale)
    except NormalizeError:
        return None
    return v if isinstance(v, Decimal) else None


def _choose(ctx: _Ctx, name: str, spec: FieldSpec) -> tuple[FieldValue | None, Issue | None]:
    cands = [c for c in ctx.cands.get(name, []) if c.score > 0.05]
    if not cands:
        return None, None
    groups: dict[Any, list[Cand]] = defaultdict(list)
    for c in cands:
        groups[_key(c.value)].append(c)
    # names: a value contained in another ("Amazon Web Services" / "... Services, Inc.") agrees
    if spec.type == "string":
        keys = list(groups)
        for k1 in keys:
            for k2 in keys:
                if k1 != k2 and isinstance(k1, str) and isinstance(k2, str) and len(k1) >= 4 and k2.startswith(k1 + " "):
                    groups[k2] = groups[k2] + [replace(c, score=c.score * 0.8) for c in groups[k1]]
    scored = []
    for k, cs in groups.items():
        # one vote per distinct span: the same text read by two finders is one observation
        per_span: dict[tuple[int, int], float] = {}
        for c in cs:
            per_span[(c.start, c.end)] = max(per_span.get((c.start, c.end), 0.0), c.score)
        best_c = max(cs, key=lambda c: c.score)
        scored.append((_noisy_or(per_span.values()), best_c, k))
    scored.sort(key=lambda t: (-t[0], t[1].start))
    top, best_c, _ = scored[0]
    runner = scored[1][0] if len(scored) > 1 else 0.0
    conf = top * (1 - 0.35 * (runner / top if top else 0))
    conf = round(min(conf, 0.97), 3)
    ev = Evidence(ctx.doc.id, best_c.start, best_c.end, ctx.doc.text[best_c.start:best_c.end], best_c.page)
    fv = FieldValue(best_c.value, "generic", conf, None, ev, best_c.raw)
    issue = None
    if runner and runner >= 0.8 * top and top >= 0.5:
        other = scored[1][1]
        issue = Issue("conflict", name, f"generic: {best_c.raw!r} and {other.raw!r} are about as likely")
    return fv, issue


# ---------------------------------------------------------------------------------------------
# Document-level locale hints


def _document_locale(doc: Document, base: Locale) -> Locale:
    """Infer day/month order and the decimal mark from the document when the caller gave none."""
    changes: dict[str, Any] = {}
    if base.dayfirst is None:
        dayfirst = monthfirst = 0
        for m in re.finditer(r"(?<![\d/.\-])(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?![\d/.\-])", doc.text):
            a, b = int(m.group(1)), int(m.group(2))
            if a > 12 and b <= 12:
                dayfirst += 1
            elif b > 12 and a <= 12:
                monthfirst += 1
        if monthfirst and not dayfirst:
            changes["dayfirst"] = False
        elif dayfirst and not monthfirst:
            changes["dayfirst"] = True
    if base.decimal is None:
        comma = len(re.findall(r"\d,\d{2}(?![\d.,])", doc.text))
        dot = len(re.findall(r"\d\.\d{2}(?![\d.,])", doc.text))
        if comma >= 2 and comma >= 3 * dot:
            changes["decimal"] = ","
        elif dot >= 2 and dot >= 3 * comma:
            changes["decimal"] = "."
    return replace(base, **changes) if changes else base


# ---------------------------------------------------------------------------------------------


def extract_generic(doc: Document, schema: Schema, *, locale: Locale | None = None) -> Record:
    """One record for the whole document (index 0), from the schema alone."""
    record = Record(schema.name, doc.id, doc.source_path, index=0)
    if doc.status is not Status.PARSED or not doc.text.strip():
        return record
    ctx = _Ctx(doc, schema, _document_locale(doc, locale or Locale()), locate.doc_index(doc))
    ctx.party_fields = frozenset(_role_fields(schema, ISSUER_CUES) + _role_fields(schema, CUSTOMER_CUES))
    ctx.address_fields = frozenset(n for n, s in schema.fields.items()
                                   if s.type == "string" and any("address" in fold_label(a).split() for a in s.aliases))
    _label_candidates(ctx)
    _header_candidates(ctx)
    _type_candidates(ctx)
    _company_candidates(ctx)
    _title_candidates(ctx)
    _apply_claims(ctx)
    _arithmetic(ctx)
    for name, spec in schema.fields.items():
        if spec.type == "list" and isinstance(spec.items, dict):
            fv = _list_field(ctx, name, spec)
            issue = None
        elif spec.type == "enum" and not ctx.cands.get(name):
            # no "Priority: high" label: count the synonyms in the text (or use the default)
            fv = _enum(ctx, name, spec)
            issue = None
        else:
            fv, issue = _choose(ctx, name, spec)
        if fv is not None:
            record.fields[name] = fv
        if issue is not None:
            record.issues.append(issue)
    return record


__all__ = ["extract_generic", "Cand", "DATE_RE", "AMOUNT_RE", "LEGAL_FORM"]
