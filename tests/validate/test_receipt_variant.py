"""A till receipt that prints no document number (schemas/invoice.yaml `variants: receipt`): it lands
without one (nothing is invented), its identity is the shop, the date and the total, and a re-run
does not duplicate it; an invoice without a number still goes to a person."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from deltalake import DeltaTable

from pipelines.config import Settings
from pipelines.model.schema import Schema, SchemaError, load_schema, load_schemas
from pipelines.run.direct import run

ROOT = Path(__file__).resolve().parents[2]

# An invented till receipt: a letterhead with its legal form and address, a labelled date, and a
# total that cash - change backs; no receipt, bill or document number anywhere.
NO_NUMBER = """ORCHID LANE STATIONERY SDN BHD
(CO. REG 551902-W)
LOT 7, JALAN PERDANA 3,
TAMAN BUKIT MAWAR,
81300 SKUDAI, JOHOR
TEL: 07-556 1200
TAX INVOICE
DATE : 03/09/2019 16:05
A4 PAPER 80GSM 1 X 18.90
18.90
TOTAL
RM 18.90
CASH
RM 50.00
CHANGE
RM 31.10
THANK YOU, PLEASE COME AGAIN
"""

# An invented supplier invoice: no till lines, a due date, and no invoice number printed.
INVOICE = """Marlow Kiln Works Ltd
14 Quarry Lane, Marlow SL7 2QT
VAT Reg No: GB 482 7719 05

Invoice
Invoice Date: 12/03/2026
Due Date: 11/04/2026
Bill To: Harbour Pottery Supplies Ltd, 3 Dock Road, Poole BH15 1AA

Kiln shelf 40x40   4 x 38.00   152.00
Subtotal 152.00
VAT 20% 30.40
Total 182.40
"""


def _settings(tmp: Path) -> Settings:
    empty = tmp / "mappings"
    empty.mkdir(exist_ok=True)
    return Settings(kb_root=tmp / "kb", schemas_dir=ROOT / "schemas", mappings_dir=empty, workers=0)


def _inbox(tmp: Path, name: str, text: str) -> tuple[Path, Settings]:
    """An inbox holding one text file, and settings for a fresh KB with no vendor rules."""
    inbox = tmp / "inbox"
    inbox.mkdir()
    (inbox / name).write_text(text, encoding="utf-8")
    return inbox, _settings(tmp)


def _rows(kb: Path, table: str) -> list[dict]:
    return DeltaTable(str(kb / table)).to_pyarrow_table().to_pylist()


def test_a_receipt_without_a_number_lands_once_and_a_rerun_does_not_duplicate_it(tmp_path: Path) -> None:
    inbox, settings = _inbox(tmp_path, "till.txt", NO_NUMBER)
    first = run([inbox], settings, batch_id="b1")
    assert first.outcomes.get("landed") == 1, first.as_dict()
    rows = _rows(settings.kb_root, "invoice")
    assert len(rows) == 1
    row = rows[0]
    assert row["invoice_number"] is None  # not printed: not invented
    assert (row["issuer_name"], row["issue_date"], row["total_amount"]) == (
        "ORCHID LANE STATIONERY SDN BHD", date(2019, 9, 3), Decimal("18.90"))
    from pipelines.run.checks import check_required_fields
    from pipelines.run.mapper import Mapper

    mapper = Mapper.from_dirs(settings.schemas_dir, settings.mappings_dir)
    assert check_required_fields(settings.kb_root, "b1", mapper).passed  # its identity is complete
    again = run([inbox], settings, batch_id="b2")
    assert again.outcomes.get("landed") == 1
    assert len(_rows(settings.kb_root, "invoice")) == 1


def test_an_invoice_without_a_number_still_goes_to_review(tmp_path: Path) -> None:
    inbox, settings = _inbox(tmp_path, "invoice.txt", INVOICE)
    out = run([inbox], settings, batch_id="b1")
    assert out.outcomes.get("review") == 1 and not out.outcomes.get("landed"), out.as_dict()
    reasons = [r for row in _rows(settings.kb_root, "review") for r in row["reasons"]]
    assert {"code": "missing_required", "field": "invoice_number"} in [{"code": r["code"], "field": r["field"]} for r in reasons]


def test_the_receipt_variant_and_the_identity_it_falls_back_to() -> None:
    schema = load_schemas(ROOT / "schemas")["invoice"]
    values = {"issuer_name": "A SDN BHD", "issue_date": date(2019, 9, 3), "total_amount": Decimal("1.00")}
    receipt = schema.variant_of(values, "TOTAL 1.00\nCash 5.00\nChange 4.00\n")
    assert receipt is not None and receipt.name == "receipt"
    assert "invoice_number" not in schema.required_fields(receipt)
    assert schema.identity(values, receipt) == ["issuer_name", "issue_date", "total_amount"]
    assert schema.identity({**values, "invoice_number": "R-1"}, receipt) == ["issuer_name", "invoice_number"]
    # a till word inside a sentence is no till line; a due date says the bill is paid later
    assert schema.variant_of(values, "Prices are subject to change without notice.\nChange of address: see below\n") is None
    assert schema.variant_of({**values, "due_date": date(2019, 10, 3)}, "CASH 5.00\n") is None


def test_a_variant_must_keep_a_complete_identity(tmp_path: Path) -> None:
    text = (ROOT / "schemas" / "invoice.yaml").read_text(encoding="utf-8")
    bad = text.replace("key: [issuer_name, issue_date, total_amount]", "key: [issuer_name, currency]", 1)
    assert bad != text
    (tmp_path / "invoice.yaml").write_text(bad, encoding="utf-8")
    with pytest.raises(SchemaError, match="not required"):
        load_schema(tmp_path / "invoice.yaml")
    assert isinstance(load_schema(ROOT / "schemas" / "invoice.yaml"), Schema)


def test_a_billed_customer_makes_it_an_invoice_even_with_a_cash_line(tmp_path: Path) -> None:
    """A 'CASH' line added to an invoice without number or due date does not make it a receipt:
    a bill to a named customer is an invoice, and its number is required."""
    text = INVOICE.replace("Due Date: 11/04/2026\n", "").replace("Total 182.40\n", "Total 182.40\nCASH\n")
    inbox, settings = _inbox(tmp_path, "invoice.txt", text)
    out = run([inbox], settings, batch_id="b1")
    assert out.outcomes.get("review") == 1 and not out.outcomes.get("landed"), out.as_dict()
    reasons = [r for row in _rows(settings.kb_root, "review") for r in row["reasons"]]
    assert {"code": "missing_required", "field": "invoice_number"} in [{"code": r["code"], "field": r["field"]} for r in reasons]
