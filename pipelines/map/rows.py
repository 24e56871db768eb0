"""Records that live in data: dict/list literals in code, SQL rows, CSV and JSON rows.

`extract_rows(doc, schema)` turns every data row of a document into one Record:
  - CODE_DATA elements: attrs `record` (one dict: a SQL row, a dict literal) or `records`
    (a list of dicts; a dict of dicts arrives with its keys under `_key`); a CODE_DATA element
    whose `value` is a flat dict counts as one record too;
  - TABLE elements with `attrs["records"]` (CSV, JSON arrays), whose header row names the keys.

Keys map to schema fields by normalised name against each field's name and aliases, or by an
explicit `key_map` {source key: field name}, which wins (row_keys.py). A dict-of-dicts key (`_key`) maps to the schema's first
key field when no other key of the row does.

Evidence: the value's own span where it can be found in the element's text (a SQL row's value,
a CSV cell), else the row's span, else the element's span. Values are normalised by type; a
value that fails is left out of the fields and recorded as an `Issue("invalid_value")`.
Rows that map to fewer than two fields, or to none of the schema's required fields, are not
records of this schema and are skipped. `record.index` is the row's running number among all
the data rows of the document (0-based), so ids stay stable when a row stops matching.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pipelines.model.document import Document, Element, Kind, Status
from pipelines.model.records import Evidence, FieldValue, Issue, Record
from pipelines.map.normalize import Locale, NormalizeError, normalize
from pipelines.map.row_keys import build_key_index, map_keys, norm_key
from pipelines.map.row_parts import Plan, plan_row
from pipelines.model.schema import FieldSpec, Schema

# ---------------------------------------------------------------------------------------------
# Rows of a document


class _Row:
    __slots__ = ("record", "element", "span", "cells")

    def __init__(self, record: dict[str, Any], element: Element, span: tuple[int, int] | None,
                 cells: dict[str, tuple[int, int]] | None) -> None:
        self.record = record
        self.element = element
        self.span = span  # the row's span in the document text, if known
        self.cells = cells  # key -> span of the value (CSV cells)


def _literal_forms(value: Any) -> list[str]:
    """How a value may be written in source text (to find its span)."""
    if value is None or isinstance(value, (dict, list)):
        return []
    if isinstance(value, bool):
        return ["True", "true", "TRUE", "1"] if value else ["False", "false", "FALSE", "0"]
    forms = [str(value)]
    if isinstance(value, str):
        forms.append(json.dumps(value)[1:-1])
        forms.append(value.replace("'", "''"))
    if isinstance(value, (date, datetime)):
        forms.append(value.isoformat())
    if isinstance(value, float):
        forms.append(repr(value))
        if value == int(value):
            forms.append(str(int(value)))
    if isinstance(value, Decimal):
        forms.append(format(value, "f"))
    return [f for f in dict.fromkeys(forms) if f]


def _locate_values(doc: Document, el: Element, record: dict[str, Any], cursor: int) -> tuple[dict[str, tuple[int, int]], int]:
    """Spans of a record's values in the element text, searching forward from `cursor`."""
    text = doc.text
    spans: dict[str, tuple[int, int]] = {}
    pos = cursor
    first_end = None
    for k, v in record.items():
        for form in _literal_forms(v):
            # a key written before its value ("acct_no": "A1", acct_no='A1') anchors the search
            kpos = text.find(str(k), pos, el.end) if k != "_key" else -1
            start_at = kpos + len(str(k)) if kpos >= 0 else pos
            i = text.find(form, start_at, el.end)
            if i < 0 and kpos >= 0:
                i = text.find(form, pos, el.end)
            if i >= 0:
                spans[k] = (i, i + len(form))
                if first_end is None or i + len(form) > first_end:
                    first_end = i + len(form)
                break
    return spans, (first_end if first_end is not None else cursor)


def flatten(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"site": {"postcode": "X"}} -> {"site.postcode": "X"}: nested records (CRM exports,
    API payloads) keep their structure in the key, so fields can still be matched."""
    out: dict[str, Any] = {}
    for k, v in record.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _rows(doc: Document) -> Iterator[_Row]:
    for row in _raw_rows(doc):
        if any(isinstance(v, dict) for v in row.record.values()):
            row.record = flatten(row.record)
        yield row


def _raw_rows(doc: Document) -> Iterator[_Row]:
    for el in doc.elements:
        if el.kind is Kind.CODE_DATA:
            recs = el.attrs.get("records")
            rec = el.attrs.get("record")
            value = el.attrs.get("value")
            if isinstance(rec, dict):
                yield _Row(rec, el, (el.start, el.end), None)
            elif isinstance(recs, list):
                cursor = el.start
                for r in recs:
                    if not isinstance(r, dict):
                        continue
                    spans, end = _locate_values(doc, el, r, cursor)
                    row_span = None
                    if spans and len(spans) == len([v for v in r.values() if _literal_forms(v)]):
                        row_span = (min(a for a, _ in spans.values()), max(b for _, b in spans.values()))
                        cursor = end
                    yield _Row(r, el, row_span, spans or None)
            elif isinstance(value, dict) and value and not any(isinstance(v, (dict, list)) for v in value.values()):
                yield _Row(value, el, (el.start, el.end), None)
        elif el.kind is Kind.TABLE and isinstance(el.attrs.get("records"), list):
            first = int(el.attrs.get("records_start", 1))  # table row of the first record
            by_row: dict[int, dict[int, tuple[int, int]]] = {}
            for c in el.cells or []:
                by_row.setdefault(c.row, {})[c.col] = (c.start, c.end)
            names = el.attrs.get("header")
            if not isinstance(names, list):
                names = [c.text for c in sorted(el.cells or [], key=lambda c: c.col) if c.row == 0]
            col_of = {str(h): col for col, h in enumerate(names)}
            for i, r in enumerate(el.attrs["records"]):
                if not isinstance(r, dict):
                    continue
                cells_here = {col: sp for col, sp in by_row.get(i + first, {}).items() if sp[1] > sp[0]}
                spans = {k: cells_here[col_of[k]] for k in r if k in col_of and col_of[k] in cells_here}
                row_span = None
                if cells_here:
                    row_span = (min(a for a, _ in cells_here.values()), max(b for _, b in cells_here.values()))
                yield _Row(r, el, row_span, spans or None)


def _evidence(doc: Document, row: _Row, key: str, joined: list[str] | None = None) -> Evidence:
    el = row.element
    span = None
    if joined and row.cells and all(k in row.cells for k in joined if row.record.get(k) is not None):
        found = [row.cells[k] for k in joined if k in row.cells]
        if found:
            span = (min(a for a, _ in found), max(b for _, b in found))
    elif row.cells and key in row.cells:
        span = row.cells[key]
    elif row.span is not None:
        span = row.span
    if span is None or span[1] <= span[0]:
        span = (el.start, el.end)
    a, b = span
    return Evidence(doc.id, a, b, doc.text[a:b], el.page)


# SQL literals wrapped in a conversion call: TO_DATE('15/03/2010', 'DD/MM/YYYY'), DATE '2020-01-01',
# CAST('12.50' AS DECIMAL(9,2)).
_SQL_CALL = re.compile(r"^\s*(?:\w+\.)?\w+\s*\(\s*'((?:[^']|'')*)'\s*(?:,\s*'([^']*)'\s*)?(?:AS\s+[\w(), ]+)?\)\s*$", re.IGNORECASE)
_SQL_TYPED = re.compile(r"^\s*(?:DATE|TIMESTAMP|TIME)\s+'([^']*)'\s*$", re.IGNORECASE)
_SQL_FORMAT = [("YYYY", "%Y"), ("HH24", "%H"), ("HH", "%I"), ("MONTH", "%B"), ("MON", "%b"), ("MM", "%m"),
               ("DD", "%d"), ("YY", "%y"), ("MI", "%M"), ("SS", "%S")]


def _unwrap_sql(raw: str, locale: Locale) -> tuple[str, Locale]:
    m = _SQL_CALL.match(raw) or _SQL_TYPED.match(raw)
    if not m:
        return raw, locale
    value = m.group(1).replace("''", "'")
    fmt = m.group(2) if m.re is _SQL_CALL else None
    if fmt:
        py = fmt.upper()
        for a, b in _SQL_FORMAT:
            py = py.replace(a, b)
        if "%" in py:
            locale = Locale(**{**{f: getattr(locale, f) for f in Locale.__dataclass_fields__},
                               "date_formats": (py,) + tuple(locale.date_formats)})
    return value, locale


def _value_of(raw: Any, spec: FieldSpec, locale: Locale) -> Any:
    t = spec.items if spec.type == "list" and isinstance(spec.items, str) else spec.type
    if isinstance(raw, str):
        raw, locale = _unwrap_sql(raw, locale)
    if spec.type == "list" and isinstance(spec.items, str):
        parts = raw if isinstance(raw, list) else re.split(r"\s*[;|]\s*", str(raw))
        return [normalize(p, t, locale=locale) for p in parts if str(p).strip()]
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and t in ("string", "phone", "postcode", "iban", "currency", "email"):
        raw = str(raw)
    if isinstance(raw, str) and t not in ("text",) and not raw.strip():
        raise NormalizeError("empty value")
    if t == "date" and isinstance(raw, str) and re.match(r"^\d{4}-\d{2}-\d{2}T", raw):
        raw = raw[:10]
    value = normalize(raw, t, locale=locale, enum_values=spec.values, synonyms=spec.synonyms or None)
    if spec.pattern and isinstance(value, str) and not re.search(spec.pattern, value):
        raise NormalizeError(f"{value!r} does not match the field's pattern")
    return value


def extract_rows(doc: Document, schema: Schema, *, key_map: Mapping[str, str] | None = None,
                 locale: Locale | None = None) -> list[Record]:
    """One Record per data row of the document that maps onto the schema."""
    if doc.status is not Status.PARSED:
        return []
    base = locale or Locale()
    index = build_key_index(schema)
    required = {n for n, s in schema.fields.items() if s.required}
    records: list[Record] = []
    cache: dict[tuple[str, ...], Plan] = {}
    for n, row in enumerate(_rows(doc)):
        keys = tuple(str(k) for k in row.record)
        plan = cache.get(keys)
        if plan is None:
            plan = cache[keys] = plan_row(list(keys), schema, map_keys(list(keys), schema, key_map, index), index, norm_key)
        mapping = plan.mapping
        region = plan.region(row.record)  # the row's own country reads its phone and postcode
        # a row belongs to this schema by its own keys; the dict-of-dicts key only completes it
        own = {f for k, (f, _) in mapping.items() if k != "_key"}
        fields_hit = {f for f, _ in mapping.values()}
        if len(own) < 2 or (required and not fields_hit & required):
            continue
        rec = Record(schema.name, doc.id, doc.source_path, index=n)
        parts: dict[str, list[str]] = {}
        for key, (fname, _conf) in mapping.items():
            parts.setdefault(fname, []).append(key)
        done: set[str] = set()
        for key, (fname, conf) in mapping.items():
            if fname in done:
                continue
            raw = row.record.get(key)
            if len(parts[fname]) > 1:
                order, sep = plan.joins.get(fname, (parts[fname], ", "))
                pieces = [str(row.record[k]).strip() for k in order
                          if row.record.get(k) is not None and str(row.record[k]).strip()]
                raw = sep.join(pieces) if pieces else None
                done.add(fname)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            spec = schema.fields[fname]
            loc = base
            if spec.locale:
                hints = {k: v for k, v in spec.locale.items() if k in Locale.__dataclass_fields__}
                if "date_formats" in hints and not isinstance(hints["date_formats"], str):
                    hints["date_formats"] = tuple(hints["date_formats"])
                loc = Locale(**{**{f: getattr(base, f) for f in Locale.__dataclass_fields__}, **hints})
            if region and spec.type in ("phone", "postcode"):
                loc = replace(loc, default_region=region)
            try:
                value = _value_of(raw, spec, loc)
            except (NormalizeError, ValueError, TypeError, ArithmeticError) as exc:
                if spec.on_invalid == "drop" and not spec.required:
                    continue
                rec.issues.append(Issue("invalid_value", fname, f"key {key!r}: {raw!r} is not a valid {spec.type}: {exc}"))
                continue
            rec.fields[fname] = FieldValue(value, "generic", conf, None,
                                           _evidence(doc, row, key, parts[fname] if len(parts[fname]) > 1 else None),
                                           raw if isinstance(raw, str) else json.dumps(raw, default=str))
        if len(rec.fields) + sum(1 for i in rec.issues if i.code == "invalid_value") >= 2:
            records.append(rec)
    return records


__all__ = ["extract_rows"]
