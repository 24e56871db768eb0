"""JSON and JSON Lines come out as records with element spans that slice back into the text."""

from __future__ import annotations

import json

from pipelines.model.document import Kind, Reason, Status
from pipelines.parse.dispatch import parse_bytes

from .spans import check_spans


def test_json_list_of_objects_has_source_spans() -> None:
    src = '[\n  {"id": 1, "name": "O\'Brien", "tags": ["a"]},\n  {"id": 2, "name": "M\\u00fcller", "contact": {"email": "m@x.de"}}\n]\n'
    doc = parse_bytes(src.encode(), name="customers.json")
    check_spans(doc)
    assert doc.media_type == "application/json"
    rows = [e for e in doc.elements if e.kind is Kind.CODE_DATA]
    assert [e.attrs["record"] for e in rows] == [
        {"id": 1, "name": "O'Brien", "tags": ["a"]},
        {"id": 2, "name": "Müller", "contact": {"email": "m@x.de"}},
    ]
    assert rows[0].text == '{"id": 1, "name": "O\'Brien", "tags": ["a"]}'  # the object's own source
    assert all(json.loads(e.text) == e.attrs["record"] for e in rows)
    assert [e.attrs["path"] for e in rows] == ["[0]", "[1]"]
    assert [e.attrs["line"] for e in rows] == [2, 3]
    assert rows[1].attrs["flat"] == {"id": 2, "name": "Müller", "contact.email": "m@x.de"}


def test_json_nested_object() -> None:
    src = """{
  "company": {"name": "Acme", "address": {"city": "Berlin", "zip": "10115"}},
  "active": true,
  "tags": ["b2b", "energy"],
  "customers": [{"id": 1, "name": "A"}, {"id": 2, "name": "B"}],
  "matrix": [["plan", "price"], ["basic", 0.21], ["green", 0.25]],
  "nothing": null
}"""
    doc = parse_bytes(src.encode(), name="export.txt")  # sniffed as JSON by content
    check_spans(doc)
    assert doc.media_type == "application/json"
    kv = {e.attrs["key"]: e for e in doc.elements if e.kind is Kind.KEY_VALUE}
    assert {k: e.attrs["value"] for k, e in kv.items()} == {
        "company.name": "Acme",
        "company.address.city": "Berlin",
        "company.address.zip": "10115",
        "active": True,
        "tags": ["b2b", "energy"],
        "nothing": None,
    }
    assert kv["company.address.city"].text == '"city": "Berlin"'
    assert kv["tags"].text == '"tags": ["b2b", "energy"]'
    data = [e for e in doc.elements if e.kind is Kind.CODE_DATA]
    assert [(e.attrs["path"], e.attrs["record"]) for e in data] == [("customers[0]", {"id": 1, "name": "A"}), ("customers[1]", {"id": 2, "name": "B"})]
    (table,) = [e for e in doc.elements if e.kind is Kind.TABLE]
    assert table.attrs["records"] == [{"plan": "basic", "price": 0.21}, {"plan": "green", "price": 0.25}]


def test_invalid_json_is_corrupt_with_position() -> None:
    doc = parse_bytes(b'[\n  {"id": 1},\n  {"id": 2,}\n]\n', name="broken.json")
    assert doc.status is Status.QUARANTINED
    assert doc.reason is Reason.CORRUPT
    assert "line 3, column 12" in doc.reason_text


def test_json_lines() -> None:
    doc = parse_bytes(b'{"id": 1, "v": "a"}\n{"id": 2, "v": "b"}\n', name="events.jsonl")
    check_spans(doc)
    assert doc.media_type == "application/json"
    assert [e.attrs["record"] for e in doc.elements] == [{"id": 1, "v": "a"}, {"id": 2, "v": "b"}]
    assert [e.attrs["line"] for e in doc.elements] == [1, 2]


def test_json_lines_with_a_broken_line_says_which() -> None:
    doc = parse_bytes(b'{"id": 1}\n{"id": 2}\n{"id": 3,,}\n{"id": 4}\n', name="events.jsonl")
    assert doc.reason is Reason.CORRUPT
    assert doc.reason_text.startswith("invalid JSON Lines at line 3, column")


def _nested(depth: int) -> object:
    value: object = "x"
    for _ in range(depth - 1):
        value = {"k": value}
    return value


def test_json_nested_deeper_than_records_ever_are_is_quarantined_as_such(tmp_path):
    """700 levels used to parse and then fail the worker handing the document back ('internal_error')."""
    from pipelines.config import Settings
    from pipelines.run.direct import run

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "deep.json").write_text(json.dumps([{"name": "A", "nested": _nested(700)}]))
    (tmp_path / "in" / "deep.jsonl").write_text(json.dumps({"a": 1}) + "\n" + json.dumps({"b": _nested(150)}) + "\n")
    (tmp_path / "in" / "fine.json").write_text(json.dumps([{"name": "A", "nested": _nested(99)}]))  # 100 levels in all
    for name in ("deep.json", "deep.jsonl"):
        doc = parse_bytes((tmp_path / "in" / name).read_bytes(), name=name)
        assert doc.reason is Reason.NESTING and "100 levels" in doc.reason_text
    assert parse_bytes((tmp_path / "in" / "fine.json").read_bytes(), name="fine.json").status.value == "parsed"
    summary = run([str(tmp_path / "in")], Settings(kb_root=tmp_path / "kb", workers=1))
    assert summary.reconciles and summary.quarantine_reasons == {"nesting_too_deep": 2}
