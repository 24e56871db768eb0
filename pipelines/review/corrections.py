"""Turning a reviewer's input into field values: the queued record rebuilt from its proposed JSON
(values decoded back to their schema types), corrections normalised with the field's type
exactly as extracted values are, and the evidence of a corrected value (the selection, or the
one place a typed value is printed). Only the fields a person changed get the reviewer's
provenance (method "reviewer", rule_id "reviewer:<name>", confidence 1.0).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pipelines.map.rule_engine import convert
from pipelines.model.document import Document
from pipelines.model.records import Evidence, FieldValue, Record
from pipelines.model.schema import FieldSpec, Schema
from pipelines.review.evidence import unique_span
from pipelines.review.store import Decision, ReviewItem, to_jsonable, unsafe_characters

REVIEWER_METHOD = "reviewer"
MAX_VALUE_CHARS = 2000  # one typed or selected value
MAX_LIST_JSON_CHARS = 20_000  # a whole list of line items typed as JSON
MAX_LIST_ITEMS = 500
@dataclass
class Correction:
    field: str
    value: str  # typed or selected text (raw); "" with a span: the selected text; "" without: clear the field
    start: int | None = None  # span in the document text if selected
    end: int | None = None


class InvalidCorrection(ValueError):
    """The decision cannot be saved as given; `issues` lists what is wrong ({code, field, message})."""

    def __init__(self, message: str, issues: Sequence[dict[str, Any]] = ()) -> None:
        super().__init__(message)
        self.issues = list(issues)


def rebuild_record(item: ReviewItem, schema: Schema) -> Record:
    """The proposed record as a Record again (values decoded to their schema types)."""
    proposed = item.proposed
    record = Record(item.schema, item.document_id, item.source_path,
                    rule_set=proposed.get("rule_set"), classifier=proposed.get("classifier"))
    for name, f in (proposed.get("fields") or {}).items():
        spec = schema.fields.get(name)
        if spec is None or not isinstance(f, dict) or f.get("value") is None:
            continue  # a field the schema no longer has, or nothing found
        ev = f.get("evidence")
        evidence = None
        if isinstance(ev, dict) and ev.get("start") is not None:
            evidence = Evidence(item.document_id, int(ev["start"]), int(ev["end"]), ev.get("text") or "", ev.get("page"))
        record.fields[name] = FieldValue(
            decode_value(f["value"], spec), f.get("method") or "rule", float(f.get("confidence") or 0.0),
            f.get("rule_id"), evidence,
        )
    return record


def decode_value(value: Any, spec: FieldSpec) -> Any:
    """Inverse of the queue's JSON encoding (Decimal/date as text). A value that does not decode
    is kept as it is: validation reports it and the reviewer corrects it."""
    if value is None:
        return None
    if spec.type == "list":
        if not isinstance(value, list):
            return value
        if isinstance(spec.items, dict):
            return [{k: decode_value(v, spec.items[k]) if k in spec.items else v for k, v in it.items()}
                    if isinstance(it, dict) else it for it in value]
        item_spec = FieldSpec(type=spec.items)  # type: ignore[arg-type]
        return [decode_value(v, item_spec) for v in value]
    try:
        if spec.type in ("decimal", "amount"):
            return Decimal(str(value))
        if spec.type == "date":
            return date.fromisoformat(str(value))
        if spec.type == "datetime":
            return datetime.fromisoformat(str(value))
        if spec.type in ("integer", "months") and not isinstance(value, bool):
            return int(value)
    except (ValueError, TypeError, InvalidOperation):
        return value
    return value


def apply_corrections(record: Record, schema: Schema, corrections: Sequence[Correction], reviewer: str,
                      doc: Document | None) -> list[dict[str, Any]]:
    """Set the corrected fields on `record`; returns the decision's corrections
    ({field, old, new, text, start, end, page}). Raises InvalidCorrection."""
    applied: list[dict[str, Any]] = []
    seen: set[str] = set()
    for c in corrections:
        name = c.field
        if not isinstance(name, str) or name not in schema.fields:
            raise InvalidCorrection(
                f"unknown field {str(name)[:80]!r}; {schema.name} has: {', '.join(schema.fields)}",
                [{"code": "unknown_field", "field": str(name)[:80], "message": "not a field of the schema"}])
        if name in seen:
            raise InvalidCorrection(f"{name} is corrected twice", [_problem(name, "corrected twice")])
        seen.add(name)
        spec = schema.fields[name]
        text = "" if c.value is None else c.value
        if not isinstance(text, str):
            raise InvalidCorrection(f"{name}: the value must be text", [_problem(name, "not text")])
        evidence = _span_evidence(name, c, text, spec, doc)
        if evidence is not None and not text.strip():
            text = evidence.text
        _check_value_text(name, text, spec)
        new = None if not text.strip() else normalise(name, text, spec)
        if evidence is None and new is not None and doc is not None and not isinstance(new, list):
            span = unique_span(doc, text, spec, new)  # a typed value printed once is its own evidence
            if span is not None:
                evidence = Evidence(doc.id, span[0], span[1], doc.text[span[0]:span[1]], doc.page_at(span[0]))
        old = record.fields.get(name)
        if new is None:
            record.fields.pop(name, None)
        else:
            record.fields[name] = FieldValue(new, REVIEWER_METHOD, 1.0, f"reviewer:{reviewer}", evidence, raw=text)
        applied.append({
            "field": name, "old": to_jsonable(old.value) if old else None, "new": to_jsonable(new), "text": text,
            "start": evidence.start if evidence else None, "end": evidence.end if evidence else None,
            "page": evidence.page if evidence else None,
        })
    return applied


def normalise(name: str, text: str, spec: FieldSpec) -> Any:
    """A typed or selected value as the field's type (the same normalisation extraction uses)."""
    try:
        if spec.type == "list" and isinstance(spec.items, dict):
            return _list_of_records(name, text, spec.items)
        raw: Any = text
        if spec.type == "list" and text.lstrip().startswith("["):
            raw = json.loads(text)
            if not isinstance(raw, list) or not all(isinstance(v, (str, int, float)) for v in raw):
                raise ValueError("expected a JSON list of values")
            raw = [str(v) for v in raw]
        return convert(raw, spec, None)
    except InvalidCorrection:
        raise
    except (ValueError, TypeError, ArithmeticError) as exc:  # NormalizeError is a ValueError
        raise InvalidCorrection(f"{name}: {exc}", [_problem(name, str(exc))]) from exc


def _list_of_records(name: str, text: str, items: dict[str, FieldSpec]) -> list[dict[str, Any]]:
    """Line items and the like are typed as a JSON list of objects keyed by sub-field."""
    data = json.loads(text)
    if not isinstance(data, list) or not all(isinstance(it, dict) for it in data):
        raise ValueError(f"expected a JSON list of objects with keys from: {', '.join(items)}")
    if len(data) > MAX_LIST_ITEMS:
        raise ValueError(f"{len(data)} items (limit {MAX_LIST_ITEMS})")
    out = []
    for i, it in enumerate(data, 1):
        unknown = sorted(set(it) - set(items))
        if unknown:
            raise ValueError(f"item {i}: unknown keys {unknown}; expected keys from: {', '.join(items)}")
        row: dict[str, Any] = {}
        for key, sub in items.items():
            v = it.get(key)
            if v is None or (isinstance(v, str) and not v.strip()):
                row[key] = None
                continue
            if isinstance(v, (dict, list, bool)):
                raise ValueError(f"item {i}: {key} must be text or a number")
            v = str(v)
            if len(v) > MAX_VALUE_CHARS:
                raise ValueError(f"item {i}: {key} is longer than {MAX_VALUE_CHARS:,} characters")
            try:
                row[key] = convert(v, sub, None)
            except (ValueError, TypeError, ArithmeticError) as exc:
                raise ValueError(f"item {i}: {key}: {exc}") from exc
        out.append(row)
    return out


def _check_value_text(name: str, text: str, spec: FieldSpec) -> None:
    limit = MAX_LIST_JSON_CHARS if spec.type == "list" and isinstance(spec.items, dict) else MAX_VALUE_CHARS
    if len(text) > limit:
        raise InvalidCorrection(f"{name}: the value is {len(text):,} characters (limit {limit:,})",
                                [_problem(name, f"longer than {limit:,} characters")])
    bad = unsafe_characters(text)
    if bad:
        raise InvalidCorrection(f"{name}: the value contains control characters ({', '.join(bad[:5])})",
                                [_problem(name, "contains control characters")])


def _span_evidence(name: str, c: Correction, text: str, spec: FieldSpec, doc: Document | None) -> Evidence | None:
    if c.start is None and c.end is None:
        return None
    if c.start is None or c.end is None or doc is None:
        raise InvalidCorrection(f"{name}: a selection needs both start and end", [_problem(name, "incomplete span")])
    if spec.type == "list" and isinstance(spec.items, dict):
        raise InvalidCorrection(f"{name}: a list of items is typed as JSON, not selected",
                                [_problem(name, "cannot select a list of items")])
    start, end = c.start, c.end
    if (isinstance(start, bool) or isinstance(end, bool) or not isinstance(start, int) or not isinstance(end, int)
            or not 0 <= start < end <= len(doc.text)):
        raise InvalidCorrection(f"{name}: span {start}:{end} is outside the document text (0:{len(doc.text)})",
                                [_problem(name, "span outside the document")])
    if end - start > MAX_VALUE_CHARS:
        raise InvalidCorrection(f"{name}: the selection is {end - start:,} characters (limit {MAX_VALUE_CHARS:,})",
                                [_problem(name, f"selection longer than {MAX_VALUE_CHARS:,} characters")])
    selected = doc.text[start:end]
    # A browser may render line breaks in a selection as spaces: compare the words; a typed
    # value may also be the selection's normalised form ("2026-02-15" for "15.02.2026") or
    # complete what is printed ("GB806718925" for "806 7189 25").
    if text.strip() and text.split() != selected.split() and not _same_value(text, selected, spec):
        raise InvalidCorrection(
            f"{name}: the selected text {_clip(text)!r} is not the document text at {start}:{end} ({_clip(selected)!r})",
            [_problem(name, "selection does not match the document")])
    return Evidence(doc.id, start, end, selected, doc.page_at(start))


def _same_value(typed: str, selected: str, spec: FieldSpec) -> bool:
    try:
        if convert(typed, spec, None) == convert(selected, spec, None):
            return True
    except (ValueError, TypeError, ArithmeticError):
        pass
    digits = re.sub(r"\W", "", selected)
    return len(digits) >= 4 and re.sub(r"\W", "", typed).upper().endswith(digits.upper())


def apply_after(record: Record, schema: Schema, decision: Decision) -> None:
    """Set the record's fields to the values a person's decision left them with. A field whose
    value differs gets reviewer provenance (with the correction's evidence when it had one);
    a field the record already has right keeps its own provenance."""
    after = decision.after or {}
    spans = {c.get("field"): c for c in decision.corrections if c.get("start") is not None}
    for name, value in after.items():
        spec = schema.fields.get(name)
        if spec is None:
            continue
        if value is None:
            record.fields.pop(name, None)
            continue
        old = record.fields.get(name)
        if old is not None and to_jsonable(old.value) == value:
            continue
        c = spans.get(name)
        ev = Evidence(decision.document_id, int(c["start"]), int(c["end"]), c.get("text") or "", c.get("page")) \
            if c else (old.evidence if old else None)
        record.fields[name] = FieldValue(decode_value(value, spec), REVIEWER_METHOD, 1.0, f"reviewer:{decision.reviewer}", ev)


def _problem(name: str, message: str) -> dict[str, Any]:
    return {"code": "invalid_value", "field": name, "message": message}


def _clip(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[:n] + "..."
