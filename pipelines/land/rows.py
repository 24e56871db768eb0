"""Turns mapped records into KB rows: schema columns, standard columns and provenance."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from pipelines.model.records import Evidence, Issue, Record
from pipelines.model.schema import Schema


def provenance_rows(record: Record) -> list[dict[str, Any]]:
    out = []
    for name, fv in record.fields.items():
        ev = fv.evidence
        out.append({
            "field": name, "method": fv.method, "rule_id": fv.rule_id,
            "page": ev.page if ev else None, "start": ev.start if ev else None, "end": ev.end if ev else None,
            "evidence": ev.text if ev else None, "confidence": float(fv.confidence),
            "document_id": ev.document_id if ev and ev.document_id != record.document_id else None,
            "path": ev.path if ev else None,
        })
    return out


def _quantize(value: Any, scale: int) -> Any:
    if isinstance(value, Decimal):
        return value.quantize(Decimal(1).scaleb(-scale))
    return value


def record_row(record: Record, schema: Schema, batch_id: str, extracted_at: datetime) -> dict[str, Any]:
    row: dict[str, Any] = {
        "record_id": record.record_id, "document_id": record.document_id, "source_path": record.source_path,
        "schema_version": schema.version, "extracted_at": extracted_at, "batch_id": batch_id,
        "provenance": provenance_rows(record),
    }
    for name, spec in schema.fields.items():
        fv = record.fields.get(name)
        value = fv.value if fv else None
        if spec.type == "list" and isinstance(spec.items, dict) and value:
            value = [{k: _quantize(item.get(k), s.scale) for k, s in spec.items.items()} for item in value]
        else:
            value = _quantize(value, spec.scale)
        row[name] = value
    return row


def _jsonable(v: Any) -> Any:
    if isinstance(v, Decimal):
        return str(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    return v


def _evidence_json(ev: Evidence, document_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {"page": ev.page, "start": ev.start, "end": ev.end, "text": ev.text}
    if ev.document_id != document_id:  # read from another document: a hybrid PDF's embedded XML
        out["document_id"] = ev.document_id
    if ev.path:
        out["path"] = ev.path  # the XML element the value came from
    return out


def proposed_json(record: Record) -> str:
    """The proposed record with each field's provenance, as reviewers will see it."""
    return json.dumps({
        "schema": record.schema, "record_id": record.record_id, "rule_set": record.rule_set,
        "classifier": record.classifier,
        "fields": {name: {"value": _jsonable(fv.value), "method": fv.method, "rule_id": fv.rule_id,
                          "confidence": fv.confidence,
                          "evidence": None if fv.evidence is None else _evidence_json(fv.evidence, record.document_id)}
                   for name, fv in record.fields.items()},
    }, ensure_ascii=False, sort_keys=True)


def reasons(issues: list[Issue]) -> list[dict[str, Any]]:
    return [{"code": i.code, "field": i.field, "message": i.message} for i in issues]
