"""The per-document extraction context (`Ctx`), the candidate type (`Cand`) and small helpers
shared by the finders: normalising a raw value with a field's type, id and amount spans.
"""

from __future__ import annotations
from functools import lru_cache
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any
from pipelines.model.document import Document
from pipelines.map.normalize import Locale, NormalizeError, normalize
from pipelines.model.schema import FieldSpec, Schema
from pipelines.model.layout import DocIndex
from pipelines.map.extract.labels import LabelMatch, fold_label
from pipelines.map.extract.misread import FAR_FUTURE_YEARS, misread_date
from pipelines.map.extract.vocab import AMOUNT_RE, DATE_RE, ID_WORDS, PERCENT_RE, QUALIFIERS, TIME_RE


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
class Ctx:
    doc: Document
    schema: Schema
    locale: Locale
    idx: DocIndex
    cands: dict[str, list[Cand]] = field(default_factory=lambda: defaultdict(list))
    matches: list[LabelMatch] = field(default_factory=list)
    match_starts: list[tuple[int, int]] = field(default_factory=list)  # (start, index in matches), sorted
    field_of: dict[str, list[str]] = field(default_factory=dict)  # alias -> fields
    party_fields: frozenset[str] = frozenset()  # issuer/customer-role fields (names of parties)
    address_fields: frozenset[str] = frozenset()  # string fields labelled "... Address"
    finders: dict[str, str] = field(default_factory=dict)  # field -> finder family of the chosen value
    backing: dict[str, frozenset[str]] = field(default_factory=dict)  # field -> every family that read it
    wanted: frozenset[str] | None = None  # fields to find values for (None: all); see engine.scope

    def wants(self, name: str) -> bool:
        return self.wanted is None or name in self.wanted


def scalar_type(spec: FieldSpec) -> str:
    if spec.type == "list" and isinstance(spec.items, str):
        return spec.items
    return spec.type


def locale_for(spec: FieldSpec, base: Locale) -> Locale:
    hints = {k: v for k, v in spec.locale.items() if k in Locale.__dataclass_fields__}
    if "date_formats" in hints:
        hints["date_formats"] = tuple(hints["date_formats"] if not isinstance(hints["date_formats"], str) else [hints["date_formats"]])
    return replace(base, **hints) if hints else base


def norm_value(ctx: Ctx, spec: FieldSpec, raw: Any, type_name: str | None = None) -> Any:
    t = type_name or scalar_type(spec)
    locale = locale_for(spec, ctx.locale)
    try:
        value = normalize(raw, t, locale=locale, enum_values=spec.values, synonyms=spec.synonyms or None)
    except NormalizeError as exc:
        # an impossible date on a page read by OCR: one misread digit (misread.py)
        if t != "date" or not isinstance(raw, str) or "ocr" not in ctx.doc.metadata or "impossible" not in str(exc):
            raise
        fixed = misread_date(raw, lambda text: normalize(text, t, locale=locale))
        if fixed is None:
            raise
        return fixed
    if t == "date" and isinstance(value, date) and isinstance(raw, str) and "ocr" in ctx.doc.metadata \
            and value.year > date.today().year + FAR_FUTURE_YEARS:
        # decades ahead on a page read by OCR: a misread digit of the year (misread.py)
        fixed = misread_date(raw, lambda text: normalize(text, t, locale=locale),
                             accept=lambda d: isinstance(d, date) and d.year <= date.today().year + 1)
        return value if fixed is None else fixed
    return value


def fold_text(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def strip_postcode(ctx: Ctx, value: str) -> str:
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


def is_id_field(spec: FieldSpec) -> bool:
    """An identifier-like string field: a pattern, or aliases like "... Number", "... No", "... #"."""
    if spec.type != "string":
        return False
    if spec.pattern:
        return True
    n = 0
    for a in spec.aliases:
        toks = fold_label(a).split()
        if toks and toks[-1] in ID_WORDS:
            n += 1
    return n >= max(1, len(spec.aliases) // 3)


def id_span(text: str) -> tuple[int, int] | None:
    """The identifier at the start of a value: tokens up to the first plain word.

    "562044387 du 02 Juillet 2015" -> "562044387"; "F 1234K20/1234/12" -> all of it;
    "# BLR_WFLD2015" -> "BLR_WFLD2015".
    """
    toks = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", text)]
    while toks and len(toks) > 1 and fold_text(toks[0][2]).strip(".:") in QUALIFIERS:
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


def amount_tokens(text: str, base: int) -> list[tuple[int, int, str, bool, str | None]]:
    """Amount-like tokens: (start, end, text, strong, currency text), spans offset by `base`.
    Dates, times and percentages are masked first; a bare integer without a currency is weak."""
    toks = _amount_tokens(text)
    return [(base + a, base + b, raw, strong, cur) for a, b, raw, strong, cur in toks] if base else list(toks)


@lru_cache(maxsize=8192)
def _amount_tokens(text: str) -> tuple[tuple[int, int, str, bool, str | None], ...]:
    # The finders read the same lines again (sums, arithmetic, currencies, labels): read once.
    masked = list(text)
    for rx in (DATE_RE, TIME_RE, PERCENT_RE):
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
                out.append((a, b, text[a:b], bool(re.search(r"[.,]\d{2}\)?$", num)), None))
                continue
        strong = bool(cur) or bool(re.search(r"[.,]\d{1,2}\)?$", num.strip()))
        a, b = m.span()
        if not re.search(r"\d", text[a:b]):
            continue
        out.append((a, b, text[a:b], strong, cur))
    return tuple(out)


def date_in(text: str) -> tuple[int, int] | None:
    """A date at the start of a value (allowing one leading word, e.g. a weekday)."""
    m = DATE_RE.search(text)
    if not m:
        return None
    prefix = text[: m.start()].strip(" ,.:;-")
    if prefix and (len(prefix.split()) > 1 or not prefix.isalpha() or len(prefix) > 10):
        return None
    return m.span()


def scalar_fields(schema: Schema) -> dict[str, FieldSpec]:
    return {n: s for n, s in schema.fields.items() if not (s.type == "list" and isinstance(s.items, dict))}


def in_quoted(ctx: Ctx, pos: int) -> bool:
    el = ctx.idx.element_at(pos)
    return el is not None and bool(el.attrs.get("quoted") or el.attrs.get("signature"))
