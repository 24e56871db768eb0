"""Only the relevant passages of long documents are sent; short ones go whole."""

from __future__ import annotations

import io
import json
from functools import lru_cache
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from pipelines.model.document import Document, Kind
from pipelines.llm.chunk import SEP, relevant_text
from pipelines.model.schema import Schema, load_schemas
from pipelines.parse.builder import TextBuilder
from pipelines.parse.dispatch import parse_bytes

ROOT = Path(__file__).resolve().parents[2]
FIELDS = ["invoice_number", "issue_date", "total_amount", "iban"]


@lru_cache(maxsize=None)
def _schemas() -> dict[str, Schema]:
    return load_schemas(ROOT / "schemas")


@lru_cache(maxsize=None)
def _long_invoice() -> Document:
    """A 20-page-ish PDF: letterhead, many pages of unrelated clauses, then the totals."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    y = 800

    def line(text: str) -> None:
        nonlocal y
        if y < 60:
            c.showPage()
            y = 800
        c.setFont("Helvetica", 10)
        c.drawString(50, y, text)
        y -= 14

    for t in ("Northwind Valve Company Ltd", "4 Harbour Road, Bristol BS1 4DJ", "INVOICE",
              "Invoice No.: NV-2026-0912", "Invoice Date: 04/03/2026", ""):
        line(t)
    topics = ("pressure testing of valves", "delivery schedules", "warranty claims", "site access rules",
              "health and safety induction", "insurance obligations", "confidentiality", "force majeure")
    for i in range(120):
        line(f"Clause {i + 1}. Provisions about {topics[i % len(topics)]} apply to every order under this agreement;")
        line("the supplier shall keep records and make them available on reasonable notice to the customer.")
        line("")
    for t in ("Item   Description   Qty   Unit Price   Line Total", "GV-100   Gate valve DN100   4   220.00   880.00",
              "Subtotal   £880.00", "VAT @ 20%   £176.00", "Total Due   £1,056.00", "IBAN: GB82 WEST 1234 5698 7654 32"):
        line(t)
    c.save()
    doc = parse_bytes(buf.getvalue(), name="long_invoice.pdf")
    assert doc.status.value == "parsed" and len(doc.text) > 20_000
    return doc


def _check_spans(doc: Document, p) -> None:  # type: ignore[no-untyped-def]
    assert p.text == SEP.join(doc.text[s:e] for s, e in p.spans)
    assert p.spans == sorted(p.spans) and all(a[1] < b[0] for a, b in zip(p.spans, p.spans[1:]))
    assert p.sent_chars == len(p.text) and p.full_chars == len(doc.text)


def test_short_document_goes_whole() -> None:
    path = ROOT / "data_samples" / "invoices" / "aquaflow_0142.pdf"
    doc = parse_bytes(path.read_bytes(), name=str(path))
    p = relevant_text(doc, _schemas()["invoice"], FIELDS, 5_000)
    assert p.text == doc.text and p.spans == [(0, len(doc.text))] and p.sent_chars == p.full_chars


def test_long_document_sends_header_and_the_fields_blocks_only() -> None:
    doc = _long_invoice()
    p = relevant_text(doc, _schemas()["invoice"], FIELDS, 3_000)
    _check_spans(doc, p)
    assert p.sent_chars <= 3_000 and p.sent_chars * 5 < p.full_chars
    assert p.spans[0][0] == 0 and "Invoice No.: NV-2026-0912" in p.text  # the first block always goes
    assert "Total Due £1,056.00" in p.text and "GB82 WEST 1234 5698 7654 32" in p.text
    assert "Clause 60." not in p.text  # the middle of the terms is left out
    assert relevant_text(doc, _schemas()["invoice"], FIELDS, 3_000) == p  # deterministic


def test_fields_steer_the_choice() -> None:
    doc = _long_invoice()
    p = relevant_text(doc, _schemas()["invoice"], ["iban"], 1_200)
    _check_spans(doc, p)
    assert p.sent_chars <= 1_200 and "IBAN: GB82" in p.text


def test_tiny_budget_sends_the_beginning_only() -> None:
    doc = _long_invoice()
    p = relevant_text(doc, _schemas()["invoice"], FIELDS, 80)
    assert p.sent_chars <= 80 and doc.text.startswith(p.text) and p.spans == [(0, len(p.text))]


def test_tables_stay_whole_and_unrelated_text_is_dropped() -> None:
    doc = Document(id="t", source_path="t.txt", media_type="text/plain", size=0)
    b = TextBuilder(doc)
    b.add(Kind.TITLE, "Quarterly meter readings")
    for i in range(40):
        b.add(Kind.PARAGRAPH, f"Paragraph {i}: background on the catchment, rainfall and reservoir levels. " * 4)
    rows = "\n".join(f"SVW-{100000 + i}\t{1000 + i}\t2026-01-{(i % 28) + 1:02d}\tActual" for i in range(60))
    table = b.add(Kind.TABLE, "Account\tReading\tDate\tType\n" + rows)
    for i in range(10):
        b.add(Kind.PARAGRAPH, f"Footnote {i}: readings are rounded to whole cubic metres for billing. " * 3)
    b.finish()
    assert table is not None and table.end - table.start > 1_500
    schema = Schema.model_validate({"name": "reading", "version": 1, "fields": {
        "account_number": {"type": "string", "aliases": ["Account"]},
        "reading": {"type": "integer", "aliases": ["Reading", "Meter reading"]},
        "read_date": {"type": "date", "aliases": ["Date"]}}})
    p = relevant_text(doc, schema, ["account_number", "reading", "read_date"], 4_000)
    _check_spans(doc, p)
    assert p.sent_chars <= 4_000
    assert doc.text[table.start:table.end] in p.text  # the whole table, not a slice of it
    assert "Quarterly meter readings" in p.text and "Paragraph 20:" not in p.text


@pytest.mark.parametrize("path", sorted((ROOT / "data_samples" / "contracts").glob("*.docx")), ids=lambda p: p.name)
def test_real_contracts_keep_the_clauses_holding_the_requested_values(path: Path) -> None:
    doc = parse_bytes(path.read_bytes(), name=str(path))
    expected = json.loads(Path(f"{path}.expected.json").read_text())["records"][0]["fields"]
    p = relevant_text(doc, _schemas()["contract"], ["governing_law", "contract_value", "effective_date", "term"], 1_800)
    _check_spans(doc, p)
    assert p.sent_chars <= 1_800 < p.full_chars
    assert expected["governing_law"] in p.text
    assert f"{int(expected['contract_value']):,}" in p.text  # "1,180,000" / "£4,250,000.00" ...
