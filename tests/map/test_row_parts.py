"""Records in SQL dumps (MySQL, PostgreSQL, SQLite), JSON and CSV exports and a Python fixture whose
names and addresses are split over columns, from several countries (tests/fixtures/code_records)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.code_records import overall, run
from pipelines.map.row_parts import country_code
from pipelines.map.rows import extract_rows
from pipelines.model.schema import load_schemas
from pipelines.parse.dispatch import parse_bytes
from pipelines.run.mapper import Mapper
from pipelines.validate.validator import validate
from tests.support.shipped import MAPPINGS

ROOT = Path(__file__).resolve().parents[2]
DUMPS = ROOT / "tests" / "fixtures" / "code_records"
CUSTOMER = load_schemas(ROOT / "schemas")["customer"]


def _rows(name: str, text: str | None = None) -> dict[str, dict]:
    data = text.encode() if text is not None else (DUMPS / name).read_bytes()
    doc = parse_bytes(data, name=name)
    assert doc.status == "parsed", doc.reason_text
    recs = extract_rows(doc, CUSTOMER)
    for r in recs:
        assert validate(r, CUSTOMER, doc) == [], (r.values(), r.issues)  # every row lands
        for fv in r.fields.values():
            assert doc.text[fv.evidence.start:fv.evidence.end] == fv.evidence.text
    return {str(r.values()["account_number"]): r.values() for r in recs}


def test_mysql_dump_person_name_joined_employer_not_taken_row_country_reads_phone() -> None:
    rows = _rows("mysql_storefront_customers.sql")
    assert rows["1"]["name"] == "Ingrid Solberg"  # not "Fjordlys Software AS" from the Company column
    assert rows["1"]["address"] == "Kirkegata 17, Bergen, Norway"
    assert rows["1"]["phone"] == "+4755314287"  # read as Norwegian, not with the GB default
    assert rows["3"]["address"] == "2210 Lamar Blvd, Austin, TX, USA" and rows["3"]["postcode"] == "78705"
    assert rows["4"]["phone"] == "+15145550178" and rows["4"]["postcode"] == "H2Y 1G6"
    assert "phone" not in rows["7"] and rows["7"]["postcode"] == "9008"  # "n/a" dropped, the row still lands


def test_postgres_dump_country_codes_and_a_mistyped_postcode() -> None:
    rows = _rows("postgres_crm_contacts.sql")
    assert rows["ACC-30431"]["name"] == "Pieter van Dijk"
    assert rows["ACC-30431"]["postcode"] == "1016 GV" and rows["ACC-30431"]["phone"] == "+31205551234"
    assert rows["ACC-30422"]["address"] == "17 Rue de Provence, Paris, Île-de-France, FR"
    assert "postcode" not in rows["ACC-30480"]  # "8O802" is no German postcode: dropped, not a review
    assert rows["ACC-30480"]["phone"] == "+498921804417"


def test_sqlite_dump_json_export_and_python_fixture() -> None:
    assert _rows("sqlite_club_members.sql")["M-0130"]["phone"] == "+4773552014"
    export = _rows("helpdesk_customers_export.json")  # nested contact/address objects, a bare "id"
    assert export["HD-5530"]["name"] == "Aino Virtanen" and export["HD-5530"]["phone"] == "+358942573300"
    assert export["HD-5521"]["address"] == "Rua do Ouro 130, Lisboa, Portugal"
    assert _rows("legacy_signup_fixtures.py")["W-7784"]["phone"] == "+3232315478"


def test_csv_headers_naming_a_column_two_ways() -> None:
    rows = _rows("crm_contacts_export.csv")  # "Zip/Postal Code", "Country/Region", "State/Province"
    assert rows["K-2201"]["phone"] == "+64215550142" and rows["K-2201"]["postcode"] == "6011"
    assert rows["K-2203"]["address"] == "ul. Marszałkowska 84, Warszawa, mazowieckie, Poland"


def test_country_column_is_understood_by_content() -> None:
    sql = ("CREATE TABLE customers (account_no TEXT, name TEXT, phone TEXT, country TEXT);\n"
           "INSERT INTO customers VALUES ('A-1', 'Harbour Foods Ltd', '020 7946 0001', 'see notes');\n"
           "INSERT INTO customers VALUES ('A-2', 'Fjell Bakeri AS', '22 44 63 11', 'NOR');\n")
    rows = _rows("customers.sql", sql)
    assert rows["A-1"]["phone"] == "+442079460001"  # no country in the column: the default region
    assert rows["A-2"]["phone"] == "+4722446311"
    assert rows["A-1"]["name"] == "Harbour Foods Ltd"  # no person columns: the name column stays
    assert country_code("United Kingdom") == "GB" and country_code("UK") == "GB" and country_code("see notes") is None


def test_benchmark_landed_f1_over_the_floor() -> None:
    res = run([DUMPS], Mapper.from_dirs(ROOT / "schemas", MAPPINGS))
    assert overall(res["landed"]).prf()[2] >= 0.9
    assert res["rows_landed"] == res["rows"] == 35
