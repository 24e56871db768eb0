"""Applies a rule set's field rules to a document, producing values with provenance."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

from pipelines.model.document import Document, Kind
from pipelines.map.extract import locate
from pipelines.map import xpath_finder
from pipelines.map.address import find_addresses
from pipelines.model.records import Evidence, FieldValue, Issue, Record
from pipelines.map.normalize import Locale, NormalizeError, normalize
from pipelines.map.rules import FieldRule, RuleSet, XPathRows
from pipelines.model.schema import FieldSpec, Schema


def locale_for(spec: FieldSpec, rule: FieldRule | None = None, base: Locale | None = None) -> Locale:
    """Normalisation hints: schema field defaults, overridden by the rule's transforms."""
    loc = base or Locale()
    hints = dict(spec.locale)
    for t in (rule.transforms if rule else []):
        if isinstance(t, dict):
            if "date_format" in t:
                fmts = t["date_format"]
                hints["date_formats"] = tuple([fmts] if isinstance(fmts, str) else fmts)
            if "decimal" in t:
                hints["decimal"] = t["decimal"]
        elif t == "dayfirst":
            hints["dayfirst"] = True
        elif t == "monthfirst":
            hints["dayfirst"] = False
    if "date_formats" in hints:
        hints["date_formats"] = tuple(hints["date_formats"])
    return replace(loc, **{k: v for k, v in hints.items() if k in Locale.__dataclass_fields__})


def apply_text_transforms(text: str, rule: FieldRule) -> str:
    for t in rule.transforms:
        name, arg = (t, None) if isinstance(t, str) else next(iter(t.items()))
        if name == "upper":
            text = text.upper()
        elif name == "lower":
            text = text.lower()
        elif name == "title":
            text = text.title()
        elif name == "strip":
            text = text.strip(arg) if isinstance(arg, str) else text.strip()
        elif name == "collapse_spaces":
            text = " ".join(text.split())
        elif name == "replace":
            text = text.replace(str(arg[0]), str(arg[1]))
        elif name == "remove":
            text = re.sub(str(arg), "", text)
        elif name == "prefix":
            text = f"{arg}{text}"
        elif name == "suffix":
            text = f"{text}{arg}"
        elif name == "lookup":
            key = text.strip()
            table = {str(k).lower(): v for k, v in (arg or {}).items()}
            text = str(table.get(key.lower(), key))
        elif name == "split":
            text = text.split(str(arg.get("sep", ",")))[int(arg.get("index", 0))].strip() if isinstance(arg, dict) else text
    return text


def _post(value: Any, rule: FieldRule) -> Any:
    if any((t == "negate") for t in rule.transforms) and isinstance(value, (Decimal, int, float)):
        return -abs(value)
    return value


def convert(raw: Any, spec: FieldSpec, rule: FieldRule | None, locale: Locale | None = None) -> Any:
    """Pattern, transforms and normalisation of one found value; raises NormalizeError."""
    if isinstance(raw, str) and rule is not None:
        if rule.pattern:
            m = re.search(rule.pattern, raw)
            if not m:
                raise NormalizeError(f"{raw!r} does not match pattern {rule.pattern!r}")
            raw = m.group("value") if "value" in m.groupdict() else (m.group(1) if m.groups() else m.group(0))
        raw = apply_text_transforms(raw, rule)
    type_name = spec.items if spec.type == "list" and isinstance(spec.items, str) else spec.type
    if spec.type == "list" and isinstance(spec.items, str):
        parts = raw if isinstance(raw, list) else re.split(r"\s*(?:;|\band\b|&)\s*", str(raw))
        return [normalize(p, type_name, locale=locale_for(spec, rule, locale)) for p in parts if str(p).strip()]
    value = normalize(raw, type_name, locale=locale_for(spec, rule, locale), enum_values=spec.values, synonyms=spec.synonyms)
    return _post(value, rule) if rule else value


def _evidence(doc: Document, hit: locate.Hit) -> Evidence:
    return Evidence(doc.id, hit.start, hit.end, doc.text[hit.start:hit.end], hit.page)


def _header_hits(doc: Document, name: str) -> Iterator[locate.Hit]:
    email = doc.metadata.get("email") or {}
    value = email.get(name)
    if value in (None, "", []):
        return
    values = value if isinstance(value, list) else [value]
    header_name = {"from_name": "from", "from_address": "from", "date": "date"}.get(name, name)
    for el in doc.elements:
        if el.kind is Kind.EMAIL_HEADER and str(el.attrs.get("name", "")).lower() == header_name:
            for v in values:
                pos = el.text.find(str(v)) if isinstance(v, str) else -1
                if pos >= 0:
                    yield locate.Hit(el.start + pos, el.start + pos + len(v), v, el.page, how="header")
                    break
            else:
                # Normalised value (e.g. an ISO date) differs from the raw text: cite the header value.
                raw = str(el.attrs.get("value", ""))
                pos = el.text.find(raw) if raw else -1
                if pos >= 0:
                    yield locate.Hit(el.start + pos, el.start + pos + len(raw), raw, el.page, how="header")
            return
    yield locate.Hit(0, 0, "", None, how="header")  # header known but not in the text: no span


def _keyword_hit(doc: Document, table: dict[str, list[str]]) -> tuple[str, locate.Hit] | None:
    lower = doc.text.lower()
    for value, phrases in table.items():
        for phrase in phrases:
            m = re.search(rf"(?<!\w){re.escape(phrase.lower())}(?!\w)", lower)
            if m:
                return value, locate.Hit(m.start(), m.end(), doc.text[m.start():m.end()], _page_at(doc, m.start()), how="keyword")
    return None


def _quoted(doc: Document, offset: int) -> bool:
    """Whether `offset` lies in quoted reply text (emails mark such elements)."""
    for el in doc.elements:
        if el.start <= offset < el.end:
            return bool(el.attrs.get("quoted"))
    return False


def _page_at(doc: Document, offset: int) -> int | None:
    return doc.text.count("\f", 0, offset) + 1 if doc.pages else None


def run_rule(rule: FieldRule, spec: FieldSpec, doc: Document, locale: Locale | None = None,
             namespaces: dict[str, str] | None = None) -> FieldValue | None:
    """Try one rule; the first candidate that converts cleanly wins."""
    if rule.xpath is not None:
        return _run_xpath_rule(rule, spec, doc, locale, namespaces or {})
    if rule.constant is not None:
        return FieldValue(convert(rule.constant, spec, rule, locale), "rule", rule.confidence, rule.id, None, str(rule.constant))
    if rule.keywords is not None:
        found = _keyword_hit(doc, rule.keywords)
        if found is None:
            return None
        value, hit = found
        return FieldValue(convert(value, spec, None, locale), "rule", rule.confidence, rule.id, _evidence(doc, hit), hit.text)
    if rule.table is not None and rule.table.columns:
        return _run_table_rule(rule, spec, doc, locale)
    hits: list[locate.Hit]
    if rule.address is not None:
        hits = []
        for a in find_addresses(doc.text):
            if rule.address == "postcode":
                hits.append(locate.Hit(a.postcode_start, a.postcode_end, a.postcode, _page_at(doc, a.start), how="address"))
            else:
                hits.append(locate.Hit(a.start, a.end, a.lines, _page_at(doc, a.start), how="address"))
    elif rule.element is not None:
        hits = [locate.Hit(el.start, el.end, el.text, el.page, how="element")
                for el in doc.elements if el.kind.value in rule.element][:1]
    elif rule.anchor is not None:
        hits = locate.find_after_label(doc, rule.anchor.labels, rule.anchor.direction)
    elif rule.regex is not None:
        hits = locate.find_regex(doc, rule.regex)
    elif rule.email_header is not None:
        hits = list(_header_hits(doc, rule.email_header))
        email = doc.metadata.get("email") or {}
        if hits:
            raw = email.get(rule.email_header)
            raw = raw[0] if isinstance(raw, list) and raw else raw
            try:
                value = convert(raw, spec, rule, locale)
            except NormalizeError:
                return None
            ev = _evidence(doc, hits[0]) if hits[0].end > hits[0].start else None
            return FieldValue(value, "rule", rule.confidence, rule.id, ev, str(raw))
        return None
    elif rule.table is not None:
        rows = [r for t in locate.find_table_rows(doc, {"value": rule.table.column}, min_columns=1) for r in t]
        if rule.table.row == "last":
            rows.reverse()
        hits = [r["value"] for r in rows if "value" in r]
    else:  # key rules only apply to data rows (see map_document)
        return None
    if rule.skip_quoted:
        hits = [h for h in hits if not _quoted(doc, h.start)]
    if spec.type == "list" and isinstance(spec.items, str) and len(hits) > 1:
        return _collect(rule, spec, doc, hits, locale)
    for hit in hits:
        if "last_line_if_block" in rule.transforms:
            hit = _last_line_if_block(doc, hit)
        try:
            value = convert(hit.text, spec, rule, locale)
        except NormalizeError:
            continue
        return FieldValue(value, "rule", rule.confidence, rule.id, _evidence(doc, hit), hit.text)
    return None


def _xpath_evidence(doc: Document, hit: xpath_finder.XHit) -> Evidence:
    return Evidence(doc.id, hit.start, hit.end, doc.text[hit.start:hit.end], None, hit.path)


def _run_xpath_rule(rule: FieldRule, spec: FieldSpec, doc: Document, locale: Locale | None,
                    namespaces: dict[str, str]) -> FieldValue | None:
    negate = bool(rule.negate_when) and xpath_finder.holds(doc, rule.negate_when or "", namespaces)
    if isinstance(rule.xpath, XPathRows):
        sub = spec.items if isinstance(spec.items, dict) else {}
        items: list[dict[str, Any]] = []
        hits: list[xpath_finder.XHit] = []
        for row in xpath_finder.find_rows(doc, rule.xpath, namespaces):
            item: dict[str, Any] = {}
            for name, hit in row.items():
                try:
                    item[name] = convert(hit.value, sub[name], None, locale_for(sub[name], rule, locale))
                except NormalizeError:
                    continue
                if negate and name in rule.xpath.negate and isinstance(item[name], Decimal):
                    item[name] = -abs(item[name])
                hits.append(hit)
            if item:
                items.append(item)
        if not items:
            return None
        start, end = min(h.start for h in hits), max(h.end for h in hits)
        path = xpath_finder.common_path([h.path for h in hits])
        return FieldValue(items, "rule", rule.confidence, rule.id, Evidence(doc.id, start, end, doc.text[start:end], None, path), None)
    assert rule.xpath is not None
    for hit in xpath_finder.find(doc, rule.xpath, namespaces):
        try:
            value = convert(hit.value, spec, rule, locale)
        except NormalizeError:
            continue
        if negate and isinstance(value, Decimal):
            value = -abs(value)  # a credit note's amounts are written positive in the XML
        return FieldValue(value, "rule", rule.confidence, rule.id, _xpath_evidence(doc, hit), hit.value)
    return None


def _last_line_if_block(doc: Document, hit: locate.Hit) -> locate.Hit:
    """A match that starts a line and runs over several lines is a block (a signature:
    name, then company): keep its last line. A match starting mid-sentence is wrapped prose."""
    if "\n" not in hit.text or (hit.start > 0 and doc.text[hit.start - 1] not in "\n\f"):
        return hit
    cut = hit.text.rindex("\n") + 1
    return locate.Hit(hit.start + cut, hit.end, hit.text[cut:], hit.page, hit.label, hit.how, hit.score)


def _collect(rule: FieldRule, spec: FieldSpec, doc: Document, hits: list[locate.Hit], locale: Locale | None) -> FieldValue | None:
    """A list field found by a finder that hits several times: every distinct value, in order."""
    values: list[Any] = []
    used: list[locate.Hit] = []
    for hit in hits:
        try:
            for v in convert(hit.text, spec, rule, locale):
                if v not in values:
                    values.append(v)
                    used.append(hit)
        except NormalizeError:
            continue
    if not values:
        return None
    start, end = min(h.start for h in used), max(h.end for h in used)
    return FieldValue(values, "rule", rule.confidence, rule.id, Evidence(doc.id, start, end, doc.text[start:end], used[0].page), None)


def _run_table_rule(rule: FieldRule, spec: FieldSpec, doc: Document, locale: Locale | None) -> FieldValue | None:
    assert rule.table is not None
    sub = spec.items if isinstance(spec.items, dict) else {}
    items: list[dict[str, Any]] = []
    spans: list[locate.Hit] = []
    skip = [p.lower() for p in rule.table.skip]
    for table in locate.find_table_rows(doc, rule.table.columns, min_columns=min(2, len(rule.table.columns))):
        for row in table:
            if skip and any(ph in hit.text.lower() for hit in row.values() for ph in skip):
                continue  # a subtotal or carried-forward row the rule was taught to leave out
            item: dict[str, Any] = {}
            for col, hit in row.items():
                sub_spec = sub.get(col)
                if sub_spec is None:
                    continue
                try:
                    item[col] = convert(hit.text, sub_spec, None, locale_for(sub_spec, rule, locale))
                except NormalizeError:
                    pass
                spans.append(hit)
            if _looks_like_item(item, sub):
                items.append(item)
    items = _without_running_totals(items)
    if not items:
        return None
    start = min(h.start for h in spans)
    end = max(h.end for h in spans)
    ev = Evidence(doc.id, start, end, doc.text[start:end], spans[0].page)
    return FieldValue(items, "rule", rule.confidence, rule.id, ev, None)


def _without_running_totals(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Carried-forward, brought-forward and page-subtotal rows, in any language: a row without
    quantity and unit price whose amount is the sum of the items before it."""
    out: list[dict[str, Any]] = []
    total = Decimal(0)
    for it in items:
        amount = it.get("amount")
        if (out and isinstance(amount, Decimal) and amount == total
                and it.get("quantity") is None and it.get("unit_price") is None):
            continue
        out.append(it)
        total += amount if isinstance(amount, Decimal) else Decimal(0)
    return out


def _looks_like_item(item: dict[str, Any], sub: dict[str, FieldSpec]) -> bool:
    """A line item needs its text column and at least one number; totals rows lack one or the other."""
    if not item:
        return False
    has_text = any(isinstance(v, str) and v for v in item.values())
    has_number = any(isinstance(v, (Decimal, int)) for v in item.values())
    return has_text and has_number


def apply_rule_set(rs: RuleSet, doc: Document, schema: Schema, record: Record, locale: Locale | None = None) -> None:
    """Fill `record` from the rule set's field rules (highest priority first per field)."""
    for name, rules in rs.fields.items():
        spec = schema.fields[name]
        for rule in sorted(rules, key=lambda r: -r.priority):
            if rule.key is not None:
                continue
            try:
                fv = run_rule(rule, spec, doc, locale, rs.namespaces)
            except NormalizeError as exc:
                record.issues.append(Issue("invalid_value", name, f"rule {rule.id}: {exc}"))
                continue
            if fv is not None:
                record.fields[name] = fv
                break


def key_map(rs: RuleSet) -> dict[str, str]:
    """Data-row rules: source key -> schema field."""
    return {r.key: name for name, rules in rs.fields.items() for r in rules if r.key is not None}
