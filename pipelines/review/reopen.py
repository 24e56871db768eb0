"""Reopening a landed record: a mistake that landed straight-through can still be corrected.

`reopen(settings, record_id)` puts the KB record back in the review queue as an item with the
reason `reopened` (values and per-field provenance as they landed), so the same accept /
correct / reject actions, the decision log and rule learning work on it. The item's id is the
one the pipeline would give the record, so the person's decision is kept on re-runs. A record
that already has an item (it went through review) reuses it.
"""

from __future__ import annotations

from typing import Any

from pipelines.config import Settings
from pipelines.land.catalog import Catalog, review_id_for, to_json
from pipelines.land.kb import KnowledgeBase, TableNotFoundError
from pipelines.model.schema import load_schemas
from pipelines.review.store import ReviewItem, ReviewStore, to_jsonable

REOPENED = "reopened"


def find_landed(settings: Settings, record_id: str) -> tuple[str, dict[str, Any]] | None:
    """(schema, KB row) of the landed record with this id (or unique id prefix of 8+ characters)."""
    kb = KnowledgeBase(settings.kb_root)
    tables = set(kb.tables())
    hits: list[tuple[str, dict[str, Any]]] = []
    for name in load_schemas(settings.schemas_dir):
        if name not in tables:
            continue
        try:
            rows = kb.read(name).to_pylist()
        except TableNotFoundError:
            continue
        hits += [(name, r) for r in rows if r.get("record_id") == record_id
                 or (len(record_id) >= 8 and str(r.get("record_id") or "").startswith(record_id))]
    exact = [h for h in hits if h[1].get("record_id") == record_id]
    hits = exact or hits
    if len({h[1]["record_id"] for h in hits}) > 1:
        raise KeyError(f"record id prefix {record_id!r} is ambiguous; give more characters")
    return hits[0] if hits else None


def _proposed(schema: str, row: dict[str, Any], field_names: list[str]) -> dict[str, Any]:
    prov = {p.get("field"): p for p in row.get("provenance") or []}
    fields: dict[str, Any] = {}
    for name in field_names:
        value = row.get(name)
        if value is None or value == []:
            continue
        p = prov.get(name) or {}
        ev = None
        if p.get("start") is not None:
            ev = {"page": p.get("page"), "start": p["start"], "end": p["end"], "text": p.get("evidence")}
            ev |= {k: p[k] for k in ("document_id", "path") if p.get(k)}  # read from an embedded XML
        fields[name] = {"value": to_jsonable(value), "method": p.get("method") or "rule",
                        "rule_id": p.get("rule_id"), "confidence": p.get("confidence") or 0.0, "evidence": ev}
    return {"schema": schema, "record_id": row["record_id"], "rule_set": row.get("rule_set"),
            "classifier": None, "fields": fields}


def reopen(settings: Settings, record_id: str, reviewer: str) -> ReviewItem:
    """The review item for a landed record: the existing one, else a new one (reason `reopened`).
    KeyError when no record has this id."""
    store = ReviewStore(settings.kb_root)
    found = find_landed(settings, record_id)
    if found is None:
        raise KeyError(f"no review item or landed record {record_id!r} in {settings.kb_root}")
    schema, row = found
    rid = review_id_for(schema, row["record_id"])
    try:
        return store.get(rid)
    except KeyError:
        pass
    names = list(load_schemas(settings.schemas_dir)[schema].fields)
    item_row = {
        "review_id": rid, "record_id": row["record_id"], "document_id": row.get("document_id"),
        "source_path": row.get("source_path"), "schema": schema,
        "reasons": [{"code": REOPENED, "field": None, "message": f"landed record reopened by {reviewer}"}],
        "proposed": to_json(_proposed(schema, row, names)), "status": "open",
    }
    Catalog(KnowledgeBase(settings.kb_root)).write_review([item_row], batch_id=f"reopened-{rid[:12]}")
    return store.get(rid)


def item_or_reopen(settings: Settings, ident: str, reviewer: str) -> ReviewItem:
    """A review item by its id, else the landed record with this id reopened."""
    try:
        return ReviewStore(settings.kb_root).get(ident)
    except KeyError:
        return reopen(settings, ident, reviewer)


__all__ = ["REOPENED", "find_landed", "item_or_reopen", "reopen"]
