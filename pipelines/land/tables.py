"""Every KB table's Arrow schema, in one place: the record tables (one per schema), the documents
catalog, the review queue, the reviewers' decisions and the LLM audit log.

The modules that write a table (catalog.py, review/store.py, llm/audit.py, the run's writer)
and the query layer that registers the tables (query.py) all take its schema from here.
"""

from __future__ import annotations

import pyarrow as pa

from pipelines.model.schema import FieldSpec, Schema

_TS = pa.timestamp("us", tz="UTC")

# ---- records ------------------------------------------------------------------------------

PROVENANCE_TYPE = pa.list_(pa.struct([
    ("field", pa.string()), ("method", pa.string()), ("rule_id", pa.string()), ("page", pa.int32()),
    ("start", pa.int64()), ("end", pa.int64()), ("evidence", pa.string()), ("confidence", pa.float64()),
    # set when the evidence lies in another document than the record's (a hybrid PDF's embedded
    # XML), and for XML the element's path: start/end are offsets into that document's text
    ("document_id", pa.string()), ("path", pa.string()),
]))
STANDARD_COLUMNS_HEAD = [
    pa.field("record_id", pa.string(), nullable=False),
    pa.field("document_id", pa.string(), nullable=False),
    pa.field("source_path", pa.string()),
]
STANDARD_COLUMNS_TAIL = [
    pa.field("schema_version", pa.int32()),
    pa.field("extracted_at", pa.timestamp("us", tz="UTC")),
    pa.field("batch_id", pa.string()),
    pa.field("provenance", PROVENANCE_TYPE),
]


def record_schema(schema: Schema) -> pa.Schema:
    """The table of a schema's records: the standard columns around one column per field."""
    cols = [pa.field(name, _arrow_type(spec)) for name, spec in schema.fields.items()]
    return pa.schema(STANDARD_COLUMNS_HEAD + cols + STANDARD_COLUMNS_TAIL,
                     metadata={"schema": schema.name, "schema_version": str(schema.version)})


def _arrow_scalar(type_name: str, spec: FieldSpec | None = None) -> pa.DataType:
    if type_name in ("decimal", "amount"):
        return pa.decimal128(18, spec.scale if spec else 2)
    return {
        "integer": pa.int64(), "months": pa.int32(), "date": pa.date32(),
        "datetime": pa.timestamp("us", tz="UTC"), "boolean": pa.bool_(),
    }.get(type_name, pa.string())


def _arrow_type(spec: FieldSpec) -> pa.DataType:
    if spec.type == "list":
        if isinstance(spec.items, str):
            return pa.list_(_arrow_scalar(spec.items))
        assert isinstance(spec.items, dict)
        return pa.list_(pa.struct([(n, _arrow_type(s)) for n, s in spec.items.items()]))
    return _arrow_scalar(spec.type, spec)


# ---- the documents catalog and the review queue (catalog.py) -------------------------------

DOCUMENTS_TABLE = "documents"
REVIEW_TABLE = "review"

DOCUMENTS_SCHEMA = pa.schema([
    pa.field("document_id", pa.string(), nullable=False),
    pa.field("parent_id", pa.string()),
    pa.field("source_path", pa.string(), nullable=False),
    pa.field("name", pa.string()),
    pa.field("media_type", pa.string()),
    pa.field("size", pa.int64()),
    pa.field("status", pa.string()),  # parsed | quarantined
    pa.field("outcome", pa.string()),  # landed | review | quarantined | no_records
    pa.field("reason_code", pa.string()),
    pa.field("reason", pa.string()),
    pa.field("schema", pa.string()),
    pa.field("n_records", pa.int64()),
    pa.field("email_from", pa.string()),
    pa.field("email_to", pa.string()),  # addresses joined with ", "
    pa.field("email_cc", pa.string()),
    pa.field("email_subject", pa.string()),
    pa.field("email_date", _TS),
    pa.field("email_message_id", pa.string()),
    pa.field("warnings", pa.list_(pa.string())),
    pa.field("batch_id", pa.string()),
    pa.field("processed_at", _TS),
], metadata={"table": DOCUMENTS_TABLE})

REASON_TYPE = pa.struct([("code", pa.string()), ("field", pa.string()), ("message", pa.string())])

REVIEW_SCHEMA = pa.schema([
    pa.field("review_id", pa.string(), nullable=False),
    pa.field("record_id", pa.string()),
    pa.field("document_id", pa.string()),
    pa.field("source_path", pa.string()),
    pa.field("schema", pa.string()),
    pa.field("reasons", pa.list_(REASON_TYPE)),
    pa.field("proposed", pa.string()),  # JSON of the proposed record, provenance included
    pa.field("status", pa.string()),
    pa.field("batch_id", pa.string()),
    pa.field("created_at", _TS),
], metadata={"table": REVIEW_TABLE})


# ---- reviewers' decisions (review/store.py) -------------------------------------------------

DECISIONS_TABLE = "review_decisions"

CORRECTION_TYPE = pa.struct([
    ("field", pa.string()),
    ("old", pa.string()),  # JSON of the value before (null: the field was empty)
    ("new", pa.string()),  # JSON of the normalised value after (null: the field was cleared)
    ("text", pa.string()),  # what the reviewer typed or selected, before normalisation
    ("start", pa.int64()),  # span in the document text when selected, else null
    ("end", pa.int64()),
    ("page", pa.int32()),
])

DECISIONS_SCHEMA = pa.schema([
    pa.field("decision_id", pa.string(), nullable=False),
    pa.field("review_id", pa.string(), nullable=False),
    pa.field("record_id", pa.string()),
    pa.field("document_id", pa.string()),
    pa.field("schema", pa.string()),
    pa.field("reviewer", pa.string(), nullable=False),
    pa.field("action", pa.string(), nullable=False),  # accept | correct | reject
    pa.field("status", pa.string()),  # the queue status this decision set
    pa.field("before", pa.string()),  # JSON {field: value} as proposed
    pa.field("after", pa.string()),  # JSON {field: value} as landed; null for a rejection
    pa.field("corrections", pa.list_(CORRECTION_TYPE)),
    pa.field("reason", pa.string()),
    pa.field("decided_at", _TS, nullable=False),
    pa.field("version", pa.int64(), nullable=False),
], metadata={"table": DECISIONS_TABLE})


# ---- the LLM audit log (llm/audit.py) -----------------------------------------------------

LLM_CALLS_TABLE = "llm_calls"
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
