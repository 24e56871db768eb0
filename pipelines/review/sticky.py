"""A person's decision outlives re-runs: when a document comes back with the same record
(same bytes, same record id) and it would go to review again, the latest accept/correct
is applied again and the record lands with `reviewer:` provenance; a rejection stays rejected.
A document whose bytes changed is a new document and is reviewed afresh."""

from __future__ import annotations

from pathlib import Path

from pipelines.map.extraction import FieldValue, Issue, Record
from pipelines.map.schema import Schema
from pipelines.review.actions import decode_value
from pipelines.review.store import Decision, ReviewStore
from pipelines.validate.validator import validate

FINAL = {"accepted", "corrected", "rejected"}
VOUCHED = {"low_confidence", "conflict", "ungrounded", "suspicious_content", "llm_failed", "llm_budget"}
REJECTED = "rejected_by_reviewer"


def final_decisions(kb_root: str | Path) -> dict[str, Decision]:
    """review_id -> the latest decision that closed the item (none when it was re-opened)."""
    latest: dict[str, Decision] = {}
    for d in ReviewStore(kb_root).decisions():
        latest[d.review_id] = d  # in decision order: the last one wins
    return {rid: d for rid, d in latest.items() if status_of(d) in FINAL}


def _status(action: str) -> str:
    return {"accept": "accepted", "correct": "corrected", "reject": "rejected"}.get(action, "open")


def status_of(decision: Decision) -> str:
    return decision.status or _status(decision.action)


def rejected_issue(decision: Decision) -> Issue:
    return Issue(REJECTED, None, f"rejected by {decision.reviewer}: {decision.reason or ''}".strip())


def reapply(record: Record, schema: Schema, decision: Decision) -> list[Issue]:
    """Apply the person's decision to a record that would go to review; the issues left."""
    if decision.action == "reject":
        return [rejected_issue(decision)]
    for name, value in (decision.after or {}).items():
        spec = schema.fields.get(name)
        if spec is None:
            continue
        old = record.fields.get(name)
        if value is None:
            record.fields.pop(name, None)
            continue
        record.fields[name] = FieldValue(decode_value(value, spec), "reviewer", 1.0, f"reviewer:{decision.reviewer}",
                                         old.evidence if old else None)
    record.issues = []
    return [i for i in validate(record, schema) if i.code not in VOUCHED]
