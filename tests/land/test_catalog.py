"""The documents catalog and the review queue."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

import pyarrow as pa
import pytest

from pipelines.model.document import Document, Reason
from pipelines.land.catalog import Catalog, document_row, review_id_for, review_row
from pipelines.land.kb import KnowledgeBase
from pipelines.land.query import run_query
from pipelines.land.tables import DOCUMENTS_SCHEMA, REVIEW_SCHEMA

WHEN = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


def email_with_attachment() -> tuple[Document, Document]:
    mail = Document(
        id="m" * 64, source_path="inbox/2025/bill.eml", media_type="message/rfc822", size=2048,
        metadata={"email": {
            "From": "Severn Vale Water <billing@severnvale.example>",
            "To": ["ann@example.com", "bob@example.com"],
            "Cc": "ops@example.com",
            "Subject": "Your bill",
            "Date": "Tue, 04 Feb 2025 10:15:00 +0100",
            "Message-ID": "<abc@severnvale.example>",
        }},
        warnings=["html body only"],
    )
    pdf = Document(id="p" * 64, source_path="inbox/2025/bill.eml!/bill.pdf", media_type="application/pdf",
                   size=1024, parent_id=mail.id, name="bill.pdf")
    mail.children.append(pdf)
    return mail, pdf


def test_document_row_from_document():
    mail, pdf = email_with_attachment()
    row = document_row(mail, outcome="no_records", reason_code="no_schema", reason="no schema matched")
    assert row["email_from"] == "Severn Vale Water <billing@severnvale.example>"
    assert row["email_to"] == "ann@example.com, bob@example.com"
    assert row["email_cc"] == "ops@example.com"
    assert row["email_subject"] == "Your bill"
    assert row["email_date"] == datetime(2025, 2, 4, 9, 15, tzinfo=timezone.utc)
    assert row["email_message_id"] == "<abc@severnvale.example>"
    assert row["name"] == "bill.eml"  # from the path when the document has no name
    assert row["warnings"] == ["html body only"] and row["status"] == "parsed"

    child = document_row(pdf, outcome="landed", schema="invoice", n_records=1)
    assert child["parent_id"] == mail.id and child["name"] == "bill.pdf"
    assert child["email_from"] is None and child["reason_code"] is None

    bad = Document(id="q" * 64, source_path="x.pdf", media_type="application/pdf", size=9)
    bad.quarantine(Reason.ENCRYPTED, "password protected")
    qrow = document_row(bad, outcome="quarantined")
    assert (qrow["status"], qrow["reason_code"], qrow["reason"]) == ("quarantined", "encrypted", "password protected")

    with pytest.raises(ValueError, match="outcome"):
        document_row(bad, outcome="exploded")


def test_write_documents_upserts_latest_wins(tmp_path):
    catalog = Catalog(tmp_path / "kb")
    mail, pdf = email_with_attachment()
    rows = [document_row(d, outcome="review", schema="invoice", n_records=1, processed_at=WHEN) for d in mail.walk()]
    catalog.write_documents(rows, "b1")
    catalog.write_documents(rows, "b1")  # same batch again
    assert catalog.read_documents().num_rows == 2

    # Re-processed in a later batch: the attachment now lands.
    catalog.write_documents([document_row(pdf, outcome="landed", schema="invoice", n_records=1)], "b2")
    docs = {r["document_id"]: r for r in catalog.read_documents().to_pylist()}
    assert len(docs) == 2
    assert docs[pdf.id]["outcome"] == "landed" and docs[pdf.id]["batch_id"] == "b2"
    assert docs[pdf.id]["processed_at"] > WHEN  # filled in with the write time
    assert docs[mail.id]["outcome"] == "review" and docs[mail.id]["batch_id"] == "b1"

    # Same bytes at another path is another catalog row.
    copy = Document(id=pdf.id, source_path="elsewhere/bill.pdf", media_type=pdf.media_type, size=pdf.size)
    catalog.write_documents([document_row(copy, outcome="landed", schema="invoice", n_records=1)], "b3")
    assert catalog.read_documents().num_rows == 3

    table = catalog.read_documents()
    assert table.schema.field("email_date").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("warnings").type == pa.list_(pa.string())

    df = run_query(catalog.kb.root, "SELECT outcome, count(*) AS n FROM documents GROUP BY 1 ORDER BY 1")
    assert df.to_dict("records") == [{"outcome": "landed", "n": 2}, {"outcome": "review", "n": 1}]
    df = run_query(catalog.kb.root, "SELECT warnings, email_to FROM documents WHERE email_subject = 'Your bill'")
    assert list(df["warnings"][0]) == ["html body only"]
    from deltalake import DeltaTable  # a plain reader, without this tool

    assert len(DeltaTable(f"{catalog.kb.root}/documents").to_pandas()) == 3


def test_write_documents_rejects_bad_rows(tmp_path):
    catalog = Catalog(tmp_path / "kb")
    mail, _ = email_with_attachment()
    row = document_row(mail, outcome="landed")
    with pytest.raises(ValueError, match="outcome"):
        catalog.write_documents([{**row, "outcome": "maybe"}], "b1")
    with pytest.raises(ValueError, match="status"):
        catalog.write_documents([{**row, "status": "lost"}], "b1")
    assert catalog.read_documents().num_rows == 0
    assert catalog.read_documents().schema == DOCUMENTS_SCHEMA


@dataclass
class Issue:
    code: str
    field: str | None
    message: str


def proposed(n: int, doc: str = "doc-a") -> dict:
    return {
        "record_id": f"{doc}:{n}", "document_id": doc, "source_path": f"in/{doc}.pdf",
        "total": Decimal("10.50"), "invoice_date": date(2025, 1, 31),
        "extracted_at": WHEN,
        "provenance": [{"field": "total", "method": "llm", "page": 1, "start": 5, "end": 10,
                        "evidence": "10.50", "confidence": 0.41}],
    }


def test_review_rows_and_upsert(tmp_path):
    catalog = Catalog(tmp_path / "kb")
    row = review_row(proposed(1), schema="invoice",
                     reasons=[{"code": "low_confidence", "field": "total", "message": "0.41 < 0.6"},
                              ("check_failed", None, "lines do not add up"),
                              Issue("missing_required", "invoice_number", "not found")])
    assert row["review_id"] == review_id_for("invoice", "doc-a:1")
    assert row["status"] == "open"
    payload = json.loads(row["proposed"])
    assert payload["total"] == "10.50" and payload["invoice_date"] == "2025-01-31"
    assert payload["provenance"][0]["confidence"] == 0.41

    catalog.write_review([row, review_row(proposed(2), schema="invoice", reasons=[("low_confidence",)])], "b1")
    catalog.write_review([row], "b2")  # same record again, later batch
    queue = catalog.read_review()
    assert queue.num_rows == 2
    assert queue.schema.equals(REVIEW_SCHEMA, check_metadata=False)
    rows = {r["record_id"]: r for r in queue.to_pylist()}
    assert rows["doc-a:1"]["batch_id"] == "b2"
    assert rows["doc-a:1"]["reasons"][1] == {"code": "check_failed", "field": None, "message": "lines do not add up"}

    df = run_query(catalog.kb.root, "SELECT r.code, r.field FROM review, unnest(reasons) AS u(r) "
                                    "WHERE record_id = 'doc-a:1' ORDER BY 1")
    assert df["code"].tolist() == ["check_failed", "low_confidence", "missing_required"]


def test_review_deleted_when_document_lands(tmp_path):
    kb = KnowledgeBase(tmp_path / "kb")
    catalog = Catalog(kb)
    catalog.write_review([review_row(proposed(1), schema="invoice", reasons=[("low_confidence",)]),
                          review_row(proposed(2), schema="invoice", reasons=[("low_confidence",)]),
                          review_row(proposed(3, doc="doc-b"), schema="invoice", reasons=[("x",)])], "b1")

    result = catalog.delete_review_for_documents(["doc-a"])
    assert result.rows_superseded == 2
    assert catalog.read_review().column("document_id").to_pylist() == ["doc-b"]

    # Re-processing doc-b yields one different record for review: the old one goes in the same write.
    catalog.write_review([review_row(proposed(7, doc="doc-b"), schema="invoice", reasons=[("y",)])], "b2",
                         supersede_documents=["doc-b"])
    assert catalog.read_review().column("record_id").to_pylist() == ["doc-b:7"]

    catalog.delete_review_for_documents(["doc-b"])
    assert catalog.read_review().num_rows == 0
    assert run_query(kb.root, "SELECT count(*) AS n FROM review")["n"].tolist() == [0]
    assert kb.schemas() == []  # catalog tables are not record schemas
    assert kb.tables() == ["review"]


def test_document_row_reads_the_email_parser_metadata_shape():
    # the shape pipelines/parse/email_headers.add_headers produces: lists, ISO date, empty cc
    doc = Document(id="e" * 64, source_path="a.msg", media_type="application/vnd.ms-outlook", size=5, metadata={
        "email": {"from": "Ann <ann@example.com>", "from_address": "ann@example.com", "to": ["Bob <bob@example.com>"],
                  "cc": [], "date": "2025-02-04T09:15:00+00:00", "date_raw": "Tue, 4 Feb 2025 09:15:00 +0000",
                  "subject": "Hi", "message_id": "<1@x>", "in_reply_to": None}})
    row = document_row(doc, outcome="no_records")
    assert (row["email_from"], row["email_to"], row["email_cc"]) == ("Ann <ann@example.com>", "Bob <bob@example.com>", None)
    assert row["email_date"] == datetime(2025, 2, 4, 9, 15, tzinfo=timezone.utc)
    assert row["email_message_id"] == "<1@x>"
