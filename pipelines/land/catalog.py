"""The documents catalog and the review queue: two KB tables beside the record tables.

`<kb>/documents` has one row per input document (top-level files and attachments) saying
what happened to it: landed records, went to review, was quarantined, or yielded nothing.
It is upserted by (document_id, source_path): a document's latest processing wins.

`<kb>/review` has one row per record that needs a human: why (`reasons`) and the proposed
record as JSON with its provenance. It is upserted by `review_id`, derived from the schema
and record_id; `delete_review_for_documents` (or `supersede_documents=`) takes a document's
rows out of the queue when it is re-processed, e.g. because it now lands.

Delta tables like the record tables (kb.py): every write is one atomic commit.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timezone
from decimal import Decimal
from email.utils import parsedate_to_datetime
from enum import Enum
from pathlib import Path, PurePosixPath
from typing import Any

import pyarrow as pa

from pipelines.model.document import Document, Status
from pipelines.land.kb import DEFAULT_ROOT, KnowledgeBase, TableNotFoundError, WriteResult, build_table
from pipelines.land.tables import DOCUMENTS_SCHEMA, DOCUMENTS_TABLE, REVIEW_SCHEMA, REVIEW_TABLE

OUTCOMES = ("landed", "review", "quarantined", "no_records")
REVIEW_STATUSES = ("open",)


# ---- row builders -------------------------------------------------------------------------


def document_row(
    doc: Document,
    *,
    outcome: str,
    schema: str | None = None,
    n_records: int = 0,
    reason_code: str | None = None,
    reason: str | None = None,
    processed_at: datetime | None = None,
) -> dict[str, Any]:
    """The catalog row of one document (call it for each of `doc.walk()`).

    `reason_code`/`reason` default to the document's quarantine reason. Email headers come
    from `doc.metadata["email"]` (keys matched case-insensitively; '-' and '_' alike).
    `batch_id` is filled in by `Catalog.write_documents`.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome {outcome!r} is not one of {OUTCOMES}")
    headers = _email_headers(doc.metadata.get("email"))
    return {
        "document_id": doc.id,
        "parent_id": doc.parent_id,
        "source_path": doc.source_path,
        "name": doc.name or PurePosixPath(doc.source_path.replace("\\", "/")).name or None,
        "media_type": doc.media_type,
        "size": doc.size,
        "status": str(doc.status.value if isinstance(doc.status, Enum) else doc.status),
        "outcome": outcome,
        "reason_code": reason_code if reason_code is not None else (doc.reason.value if doc.reason else None),
        "reason": reason if reason is not None else doc.reason_text,
        "schema": schema,
        "n_records": n_records,
        "email_from": _addresses(headers.get("from")),
        "email_to": _addresses(headers.get("to")),
        "email_cc": _addresses(headers.get("cc")),
        "email_subject": _text(headers.get("subject")),
        "email_date": _email_date(headers.get("date")),
        "email_message_id": _text(headers.get("message_id")),
        "warnings": [str(w) for w in doc.warnings],
        "processed_at": processed_at,
    }


def review_id_for(schema: str, record_id: str) -> str:
    return hashlib.sha256(f"review\x1f{schema}\x1f{record_id}".encode()).hexdigest()[:32]


def review_row(
    record: Mapping[str, Any],
    *,
    schema: str,
    reasons: Iterable[Any],
    created_at: datetime | None = None,
) -> dict[str, Any]:
    """The review-queue row of one proposed record.

    `record` is the proposed record (with record_id, document_id, source_path and provenance);
    `reasons` are dicts/objects with `code`, `field`, `message` or (code, field, message) tuples.
    """
    record_id = record.get("record_id")
    if not record_id:
        raise ValueError("a record for review needs a record_id")
    return {
        "review_id": review_id_for(schema, str(record_id)),
        "record_id": str(record_id),
        "document_id": record.get("document_id"),
        "source_path": record.get("source_path"),
        "schema": schema,
        "reasons": [_reason(r) for r in reasons],
        "proposed": to_json(record),
        "status": "open",
        "created_at": created_at,
    }


def to_json(value: Any) -> str:
    """Deterministic JSON; Decimals as strings (exact), dates/times in ISO 8601."""
    if isinstance(value, str):
        return value
    return json.dumps(value, default=_json_default, sort_keys=True, ensure_ascii=False)


# ---- the tables ---------------------------------------------------------------------------


class Catalog:
    """Writes and reads `<kb>/documents` and `<kb>/review`."""

    def __init__(self, kb: KnowledgeBase | str | Path = DEFAULT_ROOT) -> None:
        self.kb = kb if isinstance(kb, KnowledgeBase) else KnowledgeBase(kb)

    def write_documents(self, rows: Sequence[Mapping[str, Any]], batch_id: str, *,
                        supersede_paths: Iterable[str] | None = None) -> WriteResult:
        """Upsert catalog rows keyed by (document_id, source_path); the latest write wins.

        `supersede_paths`: in the same commit, drop other rows of these paths (a file whose
        bytes changed is a new document at an old path)."""
        now = _now()
        prepared = []
        for row in rows:
            row = dict(row)
            if row.get("outcome") not in OUTCOMES:
                raise ValueError(f"documents: outcome {row.get('outcome')!r} is not one of {OUTCOMES}")
            if row.get("status") not in tuple(s.value for s in Status):
                raise ValueError(f"documents: status {row.get('status')!r} is not one of {[s.value for s in Status]}")
            row["batch_id"] = batch_id
            row["processed_at"] = row.get("processed_at") or now
            prepared.append(row)
        table = build_table(prepared, DOCUMENTS_SCHEMA, table=DOCUMENTS_TABLE)
        return self.kb.upsert(DOCUMENTS_TABLE, table, key=("document_id", "source_path"), batch_id=batch_id,
                              supersede_column="source_path", supersede_values=supersede_paths)

    def write_review(
        self,
        rows: Sequence[Mapping[str, Any]],
        batch_id: str,
        *,
        supersede_documents: Iterable[str] | None = None,
    ) -> WriteResult:
        """Upsert review rows keyed by review_id. `supersede_documents`: also drop, in the same
        atomic write, every existing queue row of these documents (those re-processed now)."""
        now = _now()
        prepared = []
        for row in rows:
            row = dict(row)
            row.setdefault("status", "open")
            row["batch_id"] = batch_id
            row["created_at"] = row.get("created_at") or now
            prepared.append(row)
        table = build_table(prepared, REVIEW_SCHEMA, table=REVIEW_TABLE)
        return self.kb.upsert(REVIEW_TABLE, table, key=("review_id",), batch_id=batch_id,
                              supersede_column="document_id", supersede_values=supersede_documents)

    def delete_review_for_documents(self, document_ids: Iterable[str]) -> WriteResult:
        return self.kb.upsert(REVIEW_TABLE, None, key=("review_id",), batch_id=None,
                              supersede_column="document_id", supersede_values=document_ids)

    def read_documents(self) -> pa.Table:
        return self._read(DOCUMENTS_TABLE, DOCUMENTS_SCHEMA)

    def read_review(self) -> pa.Table:
        return self._read(REVIEW_TABLE, REVIEW_SCHEMA)

    def _read(self, name: str, schema: pa.Schema) -> pa.Table:
        try:
            return self.kb.read(name)
        except TableNotFoundError:
            return schema.empty_table()


# ---- helpers -------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _email_headers(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        return {}
    return {str(k).strip().lower().replace("-", "_"): v for k, v in raw.items()}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        value = " ".join(str(v) for v in value)
    return str(value).strip() or None


def _addresses(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple, set)):
        value = ", ".join(str(v).strip() for v in value if str(v).strip())
    return str(value).strip() or None


def _email_date(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime.combine(value, time())
    else:
        text = str(value).strip()
        try:
            dt = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            try:
                dt = datetime.fromisoformat(text)
            except ValueError:
                return None  # unparseable: the raw header is still in the document metadata
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def _reason(value: Any) -> dict[str, str | None]:
    if isinstance(value, Mapping):
        get = value.get
    elif isinstance(value, (tuple, list)):
        padded = (list(value) + [None, None, None])[:3]
        get = dict(zip(("code", "field", "message"), padded)).get
    else:
        def get(name: str) -> Any:
            return getattr(value, name, None)
    code = get("code")
    if code is None:
        raise ValueError(f"review reason without a code: {value!r}")
    field, message = get("field"), get("message")
    return {
        "code": str(code.value if isinstance(code, Enum) else code),
        "field": None if field is None else str(field),
        "message": None if message is None else str(message),
    }


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if isinstance(value, bytes):
        return value.hex()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if hasattr(value, "model_dump"):  # Pydantic models
        return value.model_dump(mode="json")
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")
