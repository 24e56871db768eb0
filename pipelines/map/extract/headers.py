"""Header finder (e-mails): aliases naming a header ("From", "Subject"), display names feeding
the name sibling of an e-mail field, company names from the sender's signature.
"""

from __future__ import annotations
import re
from dataclasses import replace
from typing import Any
from pipelines.model.document import Element, Kind
from pipelines.map.normalize import NormalizeError
from pipelines.model.schema import FieldSpec
from pipelines.map.extract.companies import name_back
from pipelines.map.extract.context import Cand, Ctx, norm_value, scalar_fields, scalar_type
from pipelines.map.extract.labels import fold_label, specificity
from pipelines.map.extract.vocab import EMAIL_RE, LEGAL_FORM


_FALLBACK = 0.25  # the sent date of a mail whose body prints none: a guess, never landed


def header_candidates(ctx: Ctx) -> None:
    headers = [el for el in ctx.doc.elements if el.kind is Kind.EMAIL_HEADER]
    if not headers:
        return
    fields = scalar_fields(ctx.schema)
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
                if scalar_type(spec) == "email":
                    _name_sibling(ctx, name, el, raw_value, vstart)


def demote_header_dates(ctx: Ctx) -> None:
    """A date header says when the mail was sent. A date field with labels more specific than
    the header's name ("Invoice Date", "Effective Date" against "Date") is about a date the
    document prints: the header's date is only a weak fallback for it (a forwarded invoice
    prints its own date), and its echoes go (the label finder reading "Date:" on the header
    line, the first-date type finder). A field named by no more than a header ("Date", "Sent",
    "Received": when a message arrived) keeps the header's date at full strength."""
    headers = [el for el in ctx.doc.elements if el.kind is Kind.EMAIL_HEADER and "iso" in el.attrs]
    fields = scalar_fields(ctx.schema)
    for el in headers:
        bar = specificity(str(el.attrs.get("name", ""))) + 0.1
        for name, cands in ctx.cands.items():
            spec = fields.get(name)
            if spec is None or not any(specificity(a) >= bar for a in spec.aliases):
                continue
            if not any(c.source == "header" and el.start <= c.start <= el.end for c in cands):
                continue
            kept: list[Cand] = []
            for c in cands:
                if not el.start <= c.start <= el.end:
                    kept.append(c)
                elif c.source == "header":
                    kept.append(replace(c, score=min(c.score, _FALLBACK)))
            ctx.cands[name] = kept


def _header_values(ctx: Ctx, spec: FieldSpec, el: Element, raw: str, vstart: int) -> list[tuple[Any, int, int, float]]:
    t = scalar_type(spec)
    out: list[tuple[Any, int, int, float]] = []
    try:
        if t == "email":
            m = EMAIL_RE.search(raw)
            if m:
                out.append((norm_value(ctx, spec, m.group()), vstart + m.start(), vstart + m.end(), 1.0))
        elif t in ("datetime", "date"):
            iso = el.attrs.get("iso")
            value = norm_value(ctx, spec, iso if iso else raw)
            out.append((value, vstart, vstart + len(raw), 1.0))
        elif t in ("string", "text"):
            name_span = _display_name(raw)
            if name_span is not None and "addresses" in el.attrs:
                a, b = name_span
                out.append((norm_value(ctx, spec, raw[a:b]), vstart + a, vstart + b, 0.9))
            elif "addresses" not in el.attrs and raw.strip():
                out.append((norm_value(ctx, spec, raw.strip()), vstart, vstart + len(raw.strip()), 1.0))
        else:
            out.append((norm_value(ctx, spec, raw), vstart, vstart + len(raw), 1.0))
    except NormalizeError:
        pass
    return out


def _display_name(raw: str) -> tuple[int, int] | None:
    """Span of the display name in 'Jane Doe <jane@x.com>' (quotes excluded)."""
    m = re.match(r'\s*"?([^"<]*?)"?\s*<[^>]+>', raw)
    if not m or not m.group(1).strip():
        return None
    return m.span(1)


def _name_sibling(ctx: Ctx, email_field: str, el: Element, raw: str, vstart: int) -> None:
    """The display name of an address that fed `email_field` goes to its name sibling."""
    span = _display_name(raw)
    if span is None:
        return
    prefix = email_field.rsplit("_", 1)[0] if "_" in email_field else ""
    for name, spec in scalar_fields(ctx.schema).items():
        if name == email_field or spec.type != "string":
            continue
        if not any("name" in fold_label(a).split() for a in spec.aliases):
            continue
        if prefix and not name.startswith(prefix + "_"):
            continue
        a, b = span
        try:
            value = norm_value(ctx, spec, raw[a:b])
        except NormalizeError:
            continue
        ctx.cands[name].append(Cand(value, vstart + a, vstart + b, el.page, 0.8, "header", raw[a:b], el.attrs.get("name")))
        for s, e in _signature_orgs(ctx, raw[a:b]):
            try:
                org = norm_value(ctx, spec, ctx.doc.text[s:e])
            except NormalizeError:
                continue
            ctx.cands[name].append(Cand(org, s, e, ctx.idx.page_at(s), 0.82, "signature", ctx.doc.text[s:e]))


def _signature_orgs(ctx: Ctx, person: str) -> list[tuple[int, int]]:
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
                        st = name_back(ctx.doc.text, line_start, line_end, m.start())
                        if st is not None:
                            out.append((st, m.end()))
    return out[-1:]  # the last one: signatures end with the organisation
