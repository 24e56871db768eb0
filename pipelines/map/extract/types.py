"""Type finders: values recognised by their shape where labels are absent (IBAN, e-mail, phone,
postcode), the document's first date, the currency of the amounts.
"""

from __future__ import annotations
import re
from collections import Counter, defaultdict
from typing import Any
from pipelines.model.document import Kind
from pipelines.map.normalize import NormalizeError, normalize
from pipelines.model.schema import FieldSpec
from pipelines.map.extract.context import Cand, Ctx, amount_tokens, in_quoted, norm_value, scalar_fields, scalar_type
from pipelines.map.extract.misread import one_digit_apart
from pipelines.map.extract.vocab import DATE_RE, EMAIL_RE, IBAN_RE, PHONE_RE, POSTCODE_RES


def type_candidates(ctx: Ctx) -> None:
    text = ctx.doc.text
    fields = scalar_fields(ctx.schema)
    by_type: dict[str, list[str]] = defaultdict(list)
    for name, spec in fields.items():
        by_type[scalar_type(spec)].append(name)
    # the main date field is the schema's first required one, whichever fields are wanted
    date_fields = [n for n in by_type.get("date", []) if fields[n].required]
    main_date = date_fields[0] if date_fields and ctx.wants(date_fields[0]) else None
    by_type = defaultdict(list, {t: [n for n in names if ctx.wants(n)] for t, names in by_type.items()})

    def weight(pos: int) -> float:
        el = ctx.idx.element_at(pos)
        if el is not None and el.kind in (Kind.EMAIL_HEADER, Kind.CODE, Kind.CODE_SYMBOL):
            return 0.0  # header values are read by their names (see header_candidates)
        return 0.5 if in_quoted(ctx, pos) else 1.0

    if by_type.get("iban"):
        for m in IBAN_RE.finditer(text):
            for name in by_type["iban"]:
                found = iban_at(ctx, fields[name], m.group())
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
                    v = norm_value(ctx, fields[name], m.group())
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
                    v = norm_value(ctx, fields[name], m.group())
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
                        v = norm_value(ctx, fields[name], m.group())
                    except NormalizeError:
                        continue
                    if weight(m.start()):
                        ctx.cands[name].append(Cand(v, m.start(), m.end(), ctx.idx.page_at(m.start()), 0.4 * weight(m.start()), "type", m.group()))
    if by_type.get("currency"):
        _currency_candidates(ctx, [n for n in by_type["currency"]], fields)
    if main_date is not None:
        _first_date(ctx, main_date, fields[main_date])


def iban_at(ctx: Ctx, spec: FieldSpec, raw: str) -> tuple[Any, int] | None:
    """A checksum-valid IBAN at the start of `raw` (dropping trailing groups that belong to the
    next word, as in "GB38 BARC 2032 5370 9611 54 SWIFT ...")."""
    parts = list(re.finditer(r"[A-Z0-9]+", raw))
    for k in range(len(parts), 0, -1):
        end = parts[k - 1].end()
        try:
            return norm_value(ctx, spec, raw[:end]), end
        except NormalizeError:
            continue
    return None


def _currency_candidates(ctx: Ctx, names: list[str], fields: dict[str, FieldSpec]) -> None:
    """The currency written beside the document's amounts (most frequent wins)."""
    counts: Counter[str] = Counter()
    first: dict[str, tuple[int, int, str]] = {}
    clear: set[str] = set()  # codes seen as more than a lone letter ("R250" may be OCR noise)
    for line in ctx.idx.lines:
        seg = ctx.doc.text[line.start:line.end]
        for a, b, raw, _strong, cur in amount_tokens(seg, line.start):
            if not cur:
                continue
            try:
                code = normalize(cur, "currency", locale=ctx.locale)
            except NormalizeError:
                continue
            w = 0.5 if in_quoted(ctx, a) else 1.0
            counts[code] += w
            if not (len(cur) == 1 and cur.isalpha()):
                clear.add(code)
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
        clear.add(code)
        first.setdefault(code, (m.start(), m.end(), m.group()))
    for code in [c for c in counts if c not in clear and counts[c] < 2]:
        del counts[code]  # one amount with a one-letter sign ("R" for rand) is too little to go on
    if not counts:
        return
    total = sum(counts.values())
    for code, n in counts.most_common(3):
        share = n / total
        score = (0.35 + 0.45 * share) * min(1.0, 0.6 + 0.15 * n)
        a, b, raw = first[code]
        for name in names:
            ctx.cands[name].append(Cand(code, a, b, ctx.idx.page_at(a), score, "type", raw))


def _first_date(ctx: Ctx, name: str, spec: FieldSpec) -> None:
    """The document's first date: a weak candidate for its main (first required) date field,
    weaker still when the document prints other dates (a due or delivery date, a period)."""
    first: Cand | None = None
    others = False
    ocr = "ocr" in ctx.doc.metadata
    for m in DATE_RE.finditer(ctx.doc.text):
        if in_quoted(ctx, m.start()):
            continue
        try:
            v = norm_value(ctx, spec, m.group())
        except NormalizeError:
            continue
        if first is None:
            first = Cand(v, m.start(), m.end(), ctx.idx.page_at(m.start()), 0.5, "type:first_date", m.group())
        elif ocr and one_digit_apart(first.raw, m.group()):
            # the same date read twice by OCR, once with a misread digit: the surer line's reading
            if _ocr_confidence(ctx, m.start()) > _ocr_confidence(ctx, first.start):
                first = Cand(v, m.start(), m.end(), ctx.idx.page_at(m.start()), 0.5, "type:first_date", m.group())
        elif v != first.value:
            others = True
            break
    if first is not None:
        if others:
            first.score = 0.25
        ctx.cands[name].append(first)


def _ocr_confidence(ctx: Ctx, pos: int) -> float:
    line = ctx.idx.line_at(pos)
    conf = line.element.attrs.get("ocr_confidence") if line is not None else None
    return float(conf) if isinstance(conf, (int, float)) else 0.0
