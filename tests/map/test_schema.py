from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from pydantic import ValidationError

from pipelines.land.tables import record_schema
from pipelines.model.schema import SchemaError, load_schema, load_schemas

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_schemas_load_with_required_field_names():
    schemas = load_schemas(ROOT / "schemas")
    assert {"invoice", "support_case", "contract", "customer"} <= set(schemas)
    inv = schemas["invoice"]
    assert list(inv.fields)[:3] == ["invoice_number", "issue_date", "due_date"]
    assert set(inv.fields["line_items"].items) == {"description", "quantity", "unit_price", "vat_category", "vat_rate", "amount"}
    assert schemas["support_case"].fields["category"].values == ["no_supply", "water_quality", "billing", "leak", "metering", "other"]
    assert schemas["contract"].fields["term"].type == "months"


def test_pydantic_model_validates_types_and_required():
    inv = load_schemas(ROOT / "schemas")["invoice"]
    Model = inv.pydantic_model()
    ok = Model(invoice_number="A-1", issue_date=date(2026, 1, 2), issuer_name="X Ltd", total_amount=Decimal("1.50"),
               line_items=[{"description": "pipe", "quantity": Decimal(2), "unit_price": None, "amount": Decimal(3)}])
    assert ok.line_items[0].description == "pipe"
    with pytest.raises(ValidationError) as exc:
        Model(issue_date=date(2026, 1, 2), issuer_name="X", total_amount=Decimal(1))
    assert "invoice_number" in str(exc.value)


@pytest.mark.parametrize(
    "body, message",
    [
        ("name: bad\nversion: 1\nfields:\n  x: {type: money}\n", "fields.x.type"),
        ("name: bad\nversion: 1\nfields:\n  p: {type: enum}\n", "enum field needs"),
        ("name: bad\nversion: 1\nkey: [nope]\nfields:\n  x: {type: string}\n", "key names unknown fields"),
        ("name: bad\nversion: 1\nfields:\n  x: {type: string, colour: red}\n", "fields.x.colour"),
        ("name: other\nversion: 1\nfields:\n  x: {type: string}\n", "must match the file name"),
        ("name: bad\nfields: [\n", "not valid YAML"),
        ('name: bad\nversion: 1\nfields:\n  d: {type: date, locale: {date_formats: [["%d/%m/%Y"]]}}\n', "date_formats must be"),
        ("name: bad\nversion: 1\nfields:\n  d: {type: date, locale: {dayfirst: maybe}}\n", "dayfirst must be true or false"),
        ("name: bad\nversion: 1\nfields:\n  a: {type: amount, locale: {decimal: ';'}}\n", "decimal must be"),
        ("name: bad\nversion: 1\nfields:\n  d: {type: date, locale: {day_first: true}}\n", "unknown locale hint"),
    ],
)
def test_bad_schema_files_report_file_field_and_problem(tmp_path, body, message):
    path = tmp_path / "bad.yaml"
    path.write_text(body)
    with pytest.raises(SchemaError) as exc:
        load_schema(path)
    assert str(path) in str(exc.value)
    assert message in str(exc.value)


def test_user_schema_dropped_in_directory_is_loaded(tmp_path):
    (tmp_path / "asset.yaml").write_text(
        "name: asset\nversion: 3\nkey: [tag]\nfields:\n  tag: {type: string, required: true, aliases: [Asset Tag]}\n"
        "  installed: {type: date}\n")
    schemas = load_schemas(tmp_path)
    assert schemas["asset"].version == 3
    assert record_schema(schemas["asset"]).field("installed").type == pa.date32()


def test_locale_hints_of_the_right_types_load(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("name: ok\nversion: 1\nfields:\n  d: {type: date, locale: {dayfirst: true, date_formats: '%d.%m.%Y'}}\n"
                    "  a: {type: amount, locale: {decimal: ',', default_currency: eur}}\n")
    schema = load_schema(path)
    assert schema.fields["d"].locale == {"dayfirst": True, "date_formats": ["%d.%m.%Y"]}
    assert schema.fields["a"].locale == {"decimal": ",", "default_currency": "eur"}
