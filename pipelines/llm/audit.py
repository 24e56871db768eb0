"""The audit trail: one row per LLM call (or cache hit, or refusal) in the KB table `llm_calls`."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from pipelines.land.kb import KnowledgeBase
from pipelines.land.tables import AUDIT_SCHEMA
from pipelines.land.tables import LLM_CALLS_TABLE as TABLE

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
