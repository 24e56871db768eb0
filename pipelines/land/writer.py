"""The one writer of records into the KB: a batch's results (record tables, review queue and
catalog) and the records a person accepted, corrected or rejected in review.

`mapper run --direct`, the Dagster `land` asset (BatchWriter) and the review app
(`land_reviewed`, `withdraw`) all land through here.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any, Protocol

from pipelines.land import rows as land_rows
from pipelines.land.catalog import Catalog, document_row, review_id_for
from pipelines.land.kb import KnowledgeBase
from pipelines.land.tables import record_schema
from pipelines.model.document import Document
from pipelines.model.records import Issue, Record
from pipelines.model.schema import Schema

FLUSH_EVERY = 2000  # records buffered before a write
QUARANTINED = "quarantined"


class DocOutcome(Protocol):
    """Where one document ended (pipelines/run/outcome.py decides it)."""

    document: Document
    outcome: str
    records: list[Record]
    issues: dict[str, list[Issue]]
    schema: str | None
    kept: dict[str, str]

    @property
    def reason(self) -> str | None: ...


def land_reviewed(kb: KnowledgeBase, schema: Schema, row: dict[str, Any], batch_id: str) -> None:
    """Land one record a person accepted or corrected (a row of `land.rows.record_row`)."""
    kb.write_records(schema.name, [row], record_schema(schema), batch_id)


def withdraw(kb: KnowledgeBase, schema_name: str, record_id: str) -> None:
    """Take a record out of its table (a person rejected it after an earlier accept landed it)."""
    if schema_name in kb.schemas():
        kb.upsert(schema_name, None, key=("record_id",), batch_id=None,
                  supersede_column="record_id", supersede_values=[record_id])


def _review_code(oc: DocOutcome) -> str | None:
    codes = sorted({i.code for iss in oc.issues.values() for i in iss})
    return ",".join(codes) or None


class BatchWriter:
    """Buffers KB, review and catalog rows; a document's previous results are superseded."""

    def __init__(self, kb: KnowledgeBase, catalog: Catalog, schemas: dict[str, Schema], batch_id: str) -> None:
        self.kb, self.catalog, self.schemas, self.batch_id = kb, catalog, schemas, batch_id
        self.now = datetime.now(UTC)
        self.records: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.review: list[dict[str, Any]] = []
        self.documents: list[dict[str, Any]] = []
        self.doc_ids: set[str] = set()
        self.paths: set[str] = set()
        self.pending = 0

    def add(self, oc: DocOutcome) -> None:
        doc = oc.document
        self.doc_ids.add(doc.id)
        self.paths.add(doc.source_path)
        n_records = 0
        for rec in oc.records:
            issues = oc.issues.get(rec.record_id, [])
            schema = self.schemas.get(rec.schema)
            kept = oc.kept.get(rec.record_id)
            if issues or schema is None or kept:
                # A record a person closed keeps its queue entry (and status) as history.
                self.review.append({
                    "review_id": review_id_for(rec.schema, rec.record_id), "record_id": rec.record_id,
                    "document_id": doc.id, "source_path": doc.source_path, "schema": rec.schema,
                    "reasons": land_rows.reasons(issues), "proposed": land_rows.proposed_json(rec),
                    "status": kept or "open", "batch_id": self.batch_id, "created_at": self.now,
                })
            if not (issues or schema is None):
                self.records[rec.schema].append(land_rows.record_row(rec, schema, self.batch_id, self.now))
                n_records += 1
        self.documents.append(document_row(
            doc, outcome=oc.outcome, schema=oc.schema, n_records=n_records, processed_at=self.now,
            reason_code=str(doc.reason) if oc.outcome == QUARANTINED else _review_code(oc), reason=oc.reason))
        self.pending += max(1, len(oc.records))
        if self.pending >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        """Land what is buffered in an order that never loses a landed row on a crash.

        Each step is one commit per table. (1) New rows are upserted by key everywhere, without
        deleting anything: a record that moves (landed -> review, or to another schema) exists
        in its new place before it leaves the old one. (2) The catalog gets each path's latest
        outcome; its old rows for these paths go in the same commit. (3) Rows of these paths
        that this run no longer produced are deleted. A crash between commits leaves every table
        readable, with at worst a superseded row still present; a re-run completes the job.
        A path is the identity of an occurrence: the same bytes at two paths are two documents
        in the catalog, and the record ids include the path, so neither copy's rows touch the other's.
        """
        if not self.doc_ids:
            return
        paths = sorted(self.paths)
        for name, rows in self.records.items():
            self.kb.write_records(name, rows, record_schema(self.schemas[name]), self.batch_id)
        self.catalog.write_review(self.review, self.batch_id)
        self.catalog.write_documents(self.documents, self.batch_id, supersede_paths=paths)
        kept = {name: [r["record_id"] for r in rows] for name, rows in self.records.items()}
        for name in self.kb.schemas():
            self.kb.delete_where(name, "source_path", paths, keep_column="record_id", keep_values=kept.get(name, ()))
        self.kb.delete_where("review", "source_path", paths, keep_column="review_id",
                             keep_values=[r["review_id"] for r in self.review])
        self.records.clear()
        self.review.clear()
        self.documents.clear()
        self.doc_ids.clear()
        self.paths.clear()
        self.pending = 0
