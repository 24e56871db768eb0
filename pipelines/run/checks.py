"""Checks on the knowledge base after a batch landed (the Dagster asset checks call these)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.land.tables import record_schema
from pipelines.run.files import read_json, work_dir
from pipelines.run.hold import LANDED_FILE, SUMMARY_FILE, scope
from pipelines.run.mapper import Mapper

@dataclass
class CheckOutcome:
    passed: bool
    metadata: dict[str, Any] = field(default_factory=dict)


def _table_or_none(kb_root: str | Path, name: str, columns: list[str] | None = None) -> pa.Table | None:
    from pipelines.land.kb import KnowledgeBase, TableNotFoundError

    try:
        return KnowledgeBase(kb_root).read(name, columns)
    except TableNotFoundError:
        return None


def check_reconciles(kb_root: str | Path, batch_id: str) -> CheckOutcome:
    """Every document the batch validated has exactly one row in the catalog from this landing."""
    wd, sc = work_dir(kb_root, batch_id), scope(kb_root, batch_id)
    summary, landed = read_json(wd / SUMMARY_FILE[sc]), read_json(wd / LANDED_FILE[sc])
    if summary is None or landed is None:
        return CheckOutcome(False, {"reason": "batch not validated and landed"})
    expected = summary["inputs"] + summary["attachments"]
    got = sum(landed["documents"].values())
    return CheckOutcome(expected == got and summary["reconciles"],
                        {"documents": expected, **{k: v for k, v in landed["documents"].items()}})


def check_required_fields(kb_root: str | Path, batch_id: str, mapper: Mapper) -> CheckOutcome:
    """Landed records of this batch have every required field of their schema filled, except a
    field a variant of the schema makes optional on a row whose variant key is complete (a
    receipt without a number, identified by its shop, date and total)."""
    missing: dict[str, int] = {}
    rows: dict[str, int] = {}
    for name, schema in mapper.schemas.items():
        required = [f for f, spec in schema.fields.items() if spec.required]
        t = _table_or_none(kb_root, name, ["batch_id", *required])
        if t is None or "batch_id" not in t.column_names:
            continue
        t = t.filter(pc.equal(t.column("batch_id"), batch_id))
        rows[name] = t.num_rows
        for f in required:
            if f not in t.column_names:
                missing[f"{name}.{f}"] = t.num_rows
                continue
            absent = pc.is_null(t.column(f))
            for v in (v for v in schema.variants if f in v.optional):
                complete = [pc.is_valid(t.column(k)) for k in v.key if k in t.column_names]
                if len(complete) == len(v.key):
                    keyed = complete[0]
                    for c in complete[1:]:
                        keyed = pc.and_(keyed, c)
                    absent = pc.and_(absent, pc.invert(keyed))
            n = pc.sum(pc.cast(absent, pa.int64())).as_py() or 0
            if n:
                missing[f"{name}.{f}"] = n
    return CheckOutcome(not missing, {"rows": rows, "missing_required": missing})


def check_unique_record_ids(kb_root: str | Path, mapper: Mapper) -> CheckOutcome:
    """No record_id appears twice in any record table of the KB."""
    dups: dict[str, int] = {}
    for name in mapper.schemas:
        t = _table_or_none(kb_root, name, ["record_id"])
        if t is None:
            continue
        n = t.num_rows - len(pc.unique(t.column("record_id")))
        if n:
            dups[name] = n
    return CheckOutcome(not dups, {"duplicates": dups})


def check_conformance(kb_root: str | Path, mapper: Mapper) -> CheckOutcome:
    """Every record table has the columns and types of its schema's Arrow schema."""
    from pipelines.land.kb import KnowledgeBase

    kb = KnowledgeBase(kb_root)
    bad: dict[str, str] = {}
    tables = 0
    for name, schema in mapper.schemas.items():
        dt = kb.table(name)
        if dt is None:
            continue
        tables += 1
        want, got = record_schema(schema), kb.arrow_schema(dt)
        diff = [f"{w.name}: {w.type}" for w in want if w.name not in got.names or not _same_type(got.field(w.name).type, w.type)]
        extra = [n for n in got.names if n not in want.names]
        if diff or extra:
            bad[name] = ("; ".join(diff) or f"extra columns {extra}")[:300]
    return CheckOutcome(not bad, {"tables": tables, "nonconforming": bad})


def _same_type(got: pa.DataType, want: pa.DataType) -> bool:
    """Delta stores strings as large/view strings and drops field nullability in nested types."""
    from pipelines.land.kb import comparable_type

    return comparable_type(got).equals(comparable_type(want))
