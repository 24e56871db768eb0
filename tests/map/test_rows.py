"""Records living in data: SQL rows, Python literals, CSV and JSON, mapped by key names."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from pipelines.model.document import Document
from pipelines.model.records import Record
from pipelines.map.row_keys import norm_key
from pipelines.map.rows import extract_rows
from pipelines.model.schema import Schema, load_schema
from pipelines.parse.dispatch import parse_bytes

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "schemas"


@pytest.fixture(scope="module")
def customer() -> Schema:
    return load_schema(SCHEMAS / "customer.yaml")


@pytest.fixture(scope="module")
def tariff() -> Schema:
    return load_schema(SCHEMAS / "tariff.yaml")


def _parse(data: bytes, name: str) -> Document:
    doc = parse_bytes(data, name=name)
    assert doc.status == "parsed", doc.reason_text
    return doc


def grounded(doc: Document, recs: list[Record]) -> list[Record]:
    for rec in recs:
        assert rec.document_id == doc.id
        for name, fv in rec.fields.items():
            assert fv.method == "generic" and fv.rule_id is None
            assert fv.evidence is not None, name
            ev = fv.evidence
            assert doc.text[ev.start:ev.end] == ev.text, (name, ev)
    return recs


SQL = b"""\
CREATE TABLE bill_acct (cust_no CHAR(10), cust_name VARCHAR(100), tel VARCHAR(20), e_mail VARCHAR(100),
  addr_1 VARCHAR(60), addr_2 VARCHAR(60), town VARCHAR(40), post_cd VARCHAR(8), start_dt DATE);
INSERT INTO bill_acct (cust_no, cust_name, tel, e_mail, addr_1, addr_2, town, post_cd, start_dt)
  VALUES ('C-100', 'Acme Widgets Ltd', '01632 960100', 'ops@acme.example.com', 'Unit 4', 'Mill Lane', 'Stroud', 'GL5 1AA',
          TO_DATE('15/03/2010', 'DD/MM/YYYY'));
INSERT INTO bill_acct (cust_no, cust_name, tel, e_mail, addr_1, addr_2, town, post_cd, start_dt)
  VALUES ('C-101', 'Beta Bakery', 'not a phone', 'info@beta.example.com', '2 High St', NULL, 'Ledbury', 'HR8 1AA',
          DATE '2021-02-01');
INSERT INTO audit_log (event, at) VALUES ('login', '2024-01-01');
"""


def test_sql_rows(customer: Schema) -> None:
    doc = _parse(SQL, "accounts.sql")
    recs = grounded(doc, extract_rows(doc, customer))
    assert [r.index for r in recs] == [0, 1]  # the audit row is not a customer and is skipped
    a = recs[0].values()
    assert a == {
        "account_number": "C-100", "name": "Acme Widgets Ltd", "phone": "+441632960100", "email": "ops@acme.example.com",
        "address": "Unit 4, Mill Lane, Stroud", "postcode": "GL5 1AA", "customer_since": date(2010, 3, 15),
    }
    # one CODE_DATA element per SQL row: the row's element is the evidence
    ev = recs[0].fields["account_number"].evidence
    assert ev is not None and "C-100" in ev.text and "C-101" not in ev.text
    b = recs[1]
    assert b.values()["customer_since"] == date(2021, 2, 1)
    assert "phone" not in b.fields
    assert b.issues == []  # the schema drops an unreadable phone (on_invalid: drop): the row can land
    strict = customer.model_copy(update={"fields": {**customer.fields, "phone": customer.fields["phone"].model_copy(
        update={"on_invalid": "review"})}})
    b = grounded(doc, extract_rows(doc, strict))[1]
    assert [(i.code, i.field) for i in b.issues] == [("invalid_value", "phone")]
    assert "not a phone" in b.issues[0].message


PY = b'''\
"""Customer records from the old billing scripts."""

CUSTOMERS = [
    {"acct_no": "SV-1", "Name": "Hereford Market Ltd", "tel": "01632 960044", "customer_since": "1998-04-01",
     "Post Code": "hr4 9an"},
    {"acct_no": "SV-2", "Name": "Docks Brasserie", "tel": "01632 960271", "customer_since": "2004-06-14"},
    {"colour": "blue", "size": 3},
]

TARIFFS = {
    "NHH-STD": {"name": "Non-household standard", "standing_charge_gbp_per_day": 0.82, "Rate": 1.55},
    "NHH-LV": {"name": "Large volume", "standing_charge_gbp_per_day": 3.40, "Rate": 1.21},
}
'''


def test_python_literals(customer: Schema, tariff: Schema) -> None:
    doc = _parse(PY, "legacy.py")
    recs = grounded(doc, extract_rows(doc, customer))
    assert [r.values()["account_number"] for r in recs] == ["SV-1", "SV-2"]
    assert recs[0].values()["postcode"] == "HR4 9AN"
    assert recs[0].values()["customer_since"] == date(1998, 4, 1)
    # each value points at its own literal in the list, not at the whole assignment
    ev = recs[1].fields["name"].evidence
    assert ev is not None and ev.text == "Docks Brasserie"
    assert recs[0].index < recs[1].index
    # a dict of dicts: the key of each entry is the record's key field
    tariffs = grounded(doc, extract_rows(doc, tariff))
    assert [t.values() for t in tariffs] == [
        {"tariff_code": "NHH-STD", "name": "Non-household standard", "standing_charge": Decimal("0.82"), "volumetric_rate": Decimal("1.55")},
        {"tariff_code": "NHH-LV", "name": "Large volume", "standing_charge": Decimal("3.4"), "volumetric_rate": Decimal("1.21")},
    ]
    assert tariffs[0].fields["tariff_code"].confidence < tariffs[0].fields["name"].confidence


CSV = b"""Cust No,Customer Name,TEL,e_mail,customer_since,notes
A-1,Acme Ltd,01632 960001,a@x.example.com,2020-01-02,first
A-2,Beta,01632 960002,b@x.example.com,notadate,
,,,,,
"""


def test_csv_rows(customer: Schema) -> None:
    doc = _parse(CSV, "customers.csv")
    recs = grounded(doc, extract_rows(doc, customer))
    assert [r.values()["account_number"] for r in recs] == ["A-1", "A-2"]
    first = recs[0]
    assert first.values() == {"account_number": "A-1", "name": "Acme Ltd", "phone": "+441632960001",
                              "email": "a@x.example.com", "customer_since": date(2020, 1, 2)}
    # CSV cells carry their own spans
    assert first.fields["name"].evidence.text == "Acme Ltd"  # type: ignore[union-attr]
    assert recs[1].issues[0].field == "customer_since"


def test_key_map_wins(customer: Schema) -> None:
    doc = _parse(b"ref,label,phone_no\nX1,Gamma Ltd,01632 960003\n", "k.csv")
    assert extract_rows(doc, customer) == []  # "ref" and "label" mean nothing to this schema
    recs = grounded(doc, extract_rows(doc, customer, key_map={"ref": "account_number", "label": "name"}))
    assert recs[0].values() == {"account_number": "X1", "name": "Gamma Ltd", "phone": "+441632960003"}
    assert recs[0].fields["account_number"].confidence > recs[0].fields["phone"].confidence


def test_json_records(customer: Schema) -> None:
    doc = _parse(b'[{"accountNumber": "J-1", "customerName": "Delta Ltd", "email": "d@x.example.com"},'
                 b' {"accountNumber": "J-2", "customerName": "Echo Ltd"}]', "c.json")
    recs = grounded(doc, extract_rows(doc, customer))
    assert [r.values()["account_number"] for r in recs] == ["J-1", "J-2"]
    assert recs[1].values()["name"] == "Echo Ltd"


def test_norm_key() -> None:
    assert norm_key("cust_no") == norm_key("Cust No") == norm_key("CustNo") == norm_key("cust-no") == "cust no"
    assert norm_key("customerSince") == "customer since"
    assert norm_key("e_mail") == norm_key("E-mail")


def test_not_parsed_document(customer: Schema) -> None:
    doc = parse_bytes(b"", name="empty.csv")
    assert extract_rows(doc, customer) == []
