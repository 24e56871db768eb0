"""The audit trail: one row per LLM call (or cache hit, or refusal) in the KB table `llm_calls`."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from pipelines.land.kb import KnowledgeBase

TABLE = "llm_calls"
AUDIT_SCHEMA = pa.schema([
    ("call_id", pa.string()), ("batch_id", pa.string()), ("document_id", pa.string()), ("source_path", pa.string()),
    ("schema", pa.string()), ("purpose", pa.string()),  # classify | extract
    ("endpoint", pa.string()), ("model", pa.string()), ("mode", pa.string()),
    ("fields_requested", pa.list_(pa.string())), ("fields_grounded", pa.list_(pa.string())),
    ("fields_rejected", pa.list_(pa.string())),
    ("prompt_tokens", pa.int64()), ("completion_tokens", pa.int64()), ("latency_ms", pa.float64()),
    ("estimated_cost", pa.float64()), ("cache_hit", pa.bool_()), ("attempts", pa.int64()),
    ("chars_sent", pa.int64()), ("chars_in_document", pa.int64()),
    ("redactions", pa.string()),  # JSON: kind -> count (never the values)
    ("outcome", pa.string()),  # ok | cached | failed | budget | no_answer
    ("error", pa.string()), ("called_at", pa.timestamp("us", tz="UTC")),
])


@dataclass
class AuditLog:
    """Collects call rows during a run; `flush` appends them to the KB."""

    batch_id: str
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, **row: Any) -> dict[str, Any]:
        row.setdefault("call_id", uuid.uuid4().hex)
        row.setdefault("batch_id", self.batch_id)
        row.setdefault("called_at", datetime.now(UTC))
        if isinstance(row.get("redactions"), dict):
            row["redactions"] = json.dumps(row["redactions"], sort_keys=True)
        full = {name: row.get(name) for name in AUDIT_SCHEMA.names}
        self.rows.append(full)
        return full

    def flush(self, kb: KnowledgeBase) -> int:
        if not self.rows:
            return 0
        table = pa.Table.from_pylist(self.rows, schema=AUDIT_SCHEMA)
        kb.upsert(TABLE, table, key=["call_id"], batch_id=self.batch_id)
        n = len(self.rows)
        self.rows = []
        return n
