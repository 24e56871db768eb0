"""The generic extractor restricted to some fields (what rules left empty) gives each of them
exactly what a full run gives, on real documents; fields chosen together are kept together."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.map.extract import extract_generic
from pipelines.map.extract.scope import scope
from pipelines.model.schema import Schema, load_schemas
from pipelines.parse.run import parse_file

REPO = Path(__file__).resolve().parents[2]
PEER = REPO.parent / "shared" / "peer_cases" / "invoice2data" / "compare"
SAMPLES = REPO / "data_samples"


@pytest.fixture(scope="module")
def schemas() -> dict[str, Schema]:
    return load_schemas(REPO / "schemas")


def _cases() -> list[tuple[Path, str]]:
    peer = sorted(PEER.glob("*.pdf"), key=lambda p: p.stat().st_size)[:3]  # the smallest: fast
    assert peer, f"peer cases missing under {PEER}"
    mails = sorted((SAMPLES / "emails").rglob("*.eml"))[:1]
    contracts = sorted((SAMPLES / "contracts").rglob("*.docx"))[:1]
    assert mails and contracts
    return [(p, "invoice") for p in peer] + [(mails[0], "support_case"), (contracts[0], "contract")]


@pytest.mark.parametrize("path,schema_name", _cases(), ids=lambda v: getattr(v, "name", v))
def test_restricted_run_equals_the_full_run_on_its_fields(path: Path, schema_name: str, schemas) -> None:
    schema = schemas[schema_name]
    doc = parse_file(path)
    full = extract_generic(doc, schema)
    assert full.fields, "the full run finds something on a real document"
    names = list(schema.fields)
    for wanted in [[n] for n in names] + [names[0::2], names[1::2], names[1:], names[:-1]]:
        got = extract_generic(doc, schema, only=wanted)
        assert got.fields == {k: v for k, v in full.fields.items() if k in wanted}, (path.name, wanted)
        assert got.issues == [i for i in full.issues if i.field in wanted], (path.name, wanted)


def test_nothing_wanted_reads_nothing(schemas) -> None:
    doc = parse_file(sorted(PEER.glob("*.pdf"))[0])
    got = extract_generic(doc, schemas["invoice"], only=[])
    assert got.fields == {} and got.issues == []


def test_fields_chosen_together_stay_together(schemas) -> None:
    invoice = schemas["invoice"]
    # the schema's sum check and date-order check read their fields together
    assert {"subtotal_amount", "tax_amount", "total_amount"} <= scope(invoice, ["tax_amount"])
    assert {"issue_date", "due_date"} <= scope(invoice, ["due_date"])
    assert scope(invoice, ["currency"]) == {"currency"}
    assert scope(invoice, ["not_a_field"]) == frozenset()
