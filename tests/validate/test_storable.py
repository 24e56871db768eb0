"""A value its KB column cannot hold (an amount of 17+ digits before the point in decimal128(18, 2))
sends its record to a person instead of failing the landing of the whole batch."""

from __future__ import annotations

from pathlib import Path

from deltalake import DeltaTable

from pipelines.config import Settings
from pipelines.run.direct import run

ROOT = Path(__file__).resolve().parents[2]

# An invented invoice whose amounts a run of digits made too long (the sum check still holds).
LONG = """Larkspur Glazing Ltd
4 Kiln Street, Stoke-on-Trent ST1 3AA

INVOICE
Invoice No: LG-2207
Invoice Date: 04/03/2026
Due Date: 04/04/2026
Bill To: Tarnside Builders Ltd, 9 Quarry Lane, Leek ST13 5BB

Glazing bars 10 x 9.00   90.00
Subtotal 90.00
VAT 20% 123456789012345678800.00
Total 123456789012345678890.00
"""


def test_an_amount_too_long_for_its_column_goes_to_review_and_the_batch_lands(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "long.txt").write_text(LONG, encoding="utf-8")
    (inbox / "customers.sql").write_bytes((ROOT / "data_samples" / "code" / "customers.sql").read_bytes())
    empty = tmp_path / "mappings"
    empty.mkdir()
    settings = Settings(kb_root=tmp_path / "kb", schemas_dir=ROOT / "schemas", mappings_dir=empty, workers=0)
    summary = run([inbox], settings, batch_id="b")
    assert summary.reconciles
    docs = {r["name"]: r for r in DeltaTable(str(tmp_path / "kb" / "documents")).to_pyarrow_table().to_pylist()}
    assert docs["long.txt"]["outcome"] == "review" and "invalid_value:total_amount" in docs["long.txt"]["reason"]
    review = DeltaTable(str(tmp_path / "kb" / "review")).to_pyarrow_table().to_pylist()
    assert any("cannot be stored" in r["message"] for row in review for r in row["reasons"] if r["field"] == "total_amount")
    assert docs["customers.sql"]["outcome"] != "quarantined"
