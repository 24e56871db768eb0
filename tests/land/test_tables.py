"""The KB's table schemas (land/tables.py)."""

from pathlib import Path

import pyarrow as pa

from pipelines.land.tables import record_schema
from pipelines.model.schema import load_schemas

ROOT = Path(__file__).resolve().parents[2]


def test_record_table_has_fields_standard_columns_and_nested_items():
    inv = load_schemas(ROOT / "schemas")["invoice"]
    s = record_schema(inv)
    assert s.field("total_amount").type == pa.decimal128(18, 2)
    assert s.field("issue_date").type == pa.date32()
    items = s.field("line_items").type
    assert pa.types.is_list(items) and items.value_type.field("unit_price").type == pa.decimal128(18, 4)
    for col in ("record_id", "document_id", "source_path", "schema_version", "extracted_at", "provenance"):
        assert col in s.names
