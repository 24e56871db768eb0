"""The typed JSON codec and the stage hand-off: exact round trips, and nothing foreign is built."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pipelines.run import handoff
from pipelines.codec import CodecError
from pipelines.model.document import BBox, Document, Element, Kind, Page, Reason, Word
from pipelines.map.classify import Classification
from pipelines.model.records import Evidence, FieldValue, Issue, Record
from pipelines.map.mapper import MapResult
from pipelines.parse.cache import DOCUMENT_CODEC
from pipelines.parse.dispatch import parse_bytes
from pipelines.run.outcome import DocOutcome

ROOT = Path(__file__).resolve().parents[1]


def tree() -> Document:
    words = [Word("Total", 0, 5, BBox(1.0, 2.0, 3.5, 4.0)), Word("12.50", 6, 11, BBox(4, 2, 8, 4))]
    child = Document("c" * 64, "mail.eml#a.pdf", "application/pdf", 3, parent_id="p" * 64, name="a.pdf")
    child.quarantine(Reason.CORRUPT, "broken")
    return Document("p" * 64, "mail.eml", "message/rfc822", 10, text="Total 12.50",
                    elements=[Element(Kind.LINE, "Total 12.50", 0, 11, page=1, bbox=BBox(1, 2, 8, 4),
                                      attrs={"source": "ocr", "ocr_confidence": 0.9, "$odd": ("t", 1)}, words=words)],
                    pages=[Page(1, 595.0, 842.0)], children=[child],
                    metadata={"date": datetime(2026, 1, 2, 3, 4, tzinfo=UTC), "sizes": {1, 2}, "raw": b"\x00\xff",
                              "odd": {7: "int key"}})


def test_document_round_trip_keeps_every_type():
    doc = tree()
    back = DOCUMENT_CODEC.decode(json.loads(json.dumps(DOCUMENT_CODEC.encode(doc, Document))), Document)
    assert back == doc
    assert back.status.value == "parsed" and back.children[0].reason is Reason.CORRUPT
    assert isinstance(back.metadata["date"], datetime) and back.metadata["odd"][7] == "int key"


def test_real_parses_round_trip():
    for path in ("invoices/brunel_24190.pdf", "emails/2026-01-19_old-bell_bill-query.eml",
                 "contracts/chemical_supply_hartwell.docx", "code/billing_accounts.sql"):
        doc = parse_bytes((ROOT / "data_samples" / path).read_bytes(), name=Path(path).name)
        assert DOCUMENT_CODEC.decode(json.loads(json.dumps(DOCUMENT_CODEC.encode(doc, Document))), Document) == doc, path


def test_stage_items_round_trip_with_identity():
    doc = tree()
    child = doc.children[0]
    ev = Evidence(doc.id, 6, 11, "12.50", page=1)
    rec = Record("invoice", doc.id, doc.source_path, fields={
        "total": FieldValue(Decimal("12.50"), "rule", 0.97, "r1", ev, "12.50"),
        "date": FieldValue(date(2026, 1, 2), "generic", 0.6),
        "lines": FieldValue([{"amount": Decimal("1.00"), "qty": 2}], "generic", 0.5)},
        issues=[Issue("low_confidence", "date", "unsure")], rule_set="rs", classifier="rule_set:rs")
    ex = handoff.Extracted(doc, [(doc, MapResult(doc, Classification("invoice", "one", "rule_set:rs"), [rec])),
                                 (child, None)])
    back = handoff.loads(handoff.dumps(ex))
    (d0, r0), (d1, r1) = back.results
    assert d0 is back.document and d1 is back.document.children[0] and r1 is None and r0.document is d0
    assert r0.records == [rec] and r0.classification == Classification("invoice", "one", "rule_set:rs")

    outcomes = [DocOutcome(doc, "review", [rec], {rec.record_id: [Issue("failed_check", None, "sum")]}, "invoice"),
                DocOutcome(child, "quarantined")]
    got = handoff.loads(handoff.dumps(outcomes))
    assert got[1].document is got[0].document.children[0]
    assert [(o.outcome, o.records, o.issues, o.schema) for o in got] == \
        [(o.outcome, o.records, o.issues, o.schema) for o in outcomes]


@pytest.mark.parametrize("line", [
    '{"kind": "document", "v": {"$dc": "Popen", "v": {"args": "touch x"}}}',
    '{"kind": "os.system", "v": {}}',
    '{"kind": "document", "v": {"id": "x", "source_path": "a", "media_type": "t", "size": "10"}}',
    '{"kind": "document", "v": {"id": "x", "source_path": "a", "media_type": "t", "size": 1, "status": "pwned"}}',
    '{"kind": "document", "v": {"id": "x", "source_path": "a", "media_type": "t", "size": 1, "__class__": 1}}',
    '{"kind": "document", "v": {"id": "x", "source_path": "a", "media_type": "t", "size": 1, '
    '"metadata": {"k": {"$dc": "Settings", "v": {}}}}}',
    '{"kind": "extracted", "v": {"document": {"id": "x", "source_path": "a", "media_type": "t", "size": 1}, '
    '"results": [[5, null]]}}',
    "not json",
])
def test_foreign_lines_are_refused(line: str):
    with pytest.raises(handoff.HandoffError):
        handoff.loads(line)


def test_values_the_codec_does_not_know_are_not_written():
    doc = tree()
    doc.metadata["path"] = Path("/etc")
    with pytest.raises(CodecError, match="PosixPath"):
        DOCUMENT_CODEC.encode(doc, Document)


def test_json_bytes_round_trip_and_keep_non_finite_numbers():
    doc = tree()
    doc.metadata["limits"] = [float("inf"), float("-inf")]
    data = DOCUMENT_CODEC.to_json(doc, Document, under="document", format="f", key={"a": 1})
    entry = DOCUMENT_CODEC.load_json(data)
    assert (entry["format"], entry["key"]) == ("f", {"a": 1})
    assert DOCUMENT_CODEC.decode(entry["document"], Document) == doc
    nan = DOCUMENT_CODEC.decode(DOCUMENT_CODEC.load_json(DOCUMENT_CODEC.to_json({"x": float("nan")})), Any)["value"]["x"]
    assert nan != nan


@pytest.mark.parametrize("value", [2 ** 70, "lone \ud800 surrogate"])
def test_json_bytes_refuse_what_json_cannot_hold(value):
    doc = tree()
    doc.metadata["odd value"] = value
    assert DOCUMENT_CODEC.to_json(doc, Document) is None


def test_json_bytes_that_are_not_json_are_a_codec_error():
    with pytest.raises(CodecError):
        DOCUMENT_CODEC.load_json(b'{"value": NaN}')
