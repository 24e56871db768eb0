"""A person's decision outlives re-runs: when a document comes back with the same record
(same bytes, same record id) and it would go to review again, the latest accept/correct
is applied again and the record lands with `reviewer:` provenance; a rejection stays rejected.
A document whose bytes changed is a new document and is reviewed afresh."""

from __future__ import annotations

from pathlib import Path

from pipelines.model.records import Issue, Record
from pipelines.model.schema import Schema
from pipelines.review.actions import OVERRIDABLE
from pipelines.review.corrections import apply_after
from pipelines.review.store import PAST, Decision, ReviewStore
from pipelines.validate.validator import validate

FINAL = {"accepted", "corrected", "rejected"}
REJECTED = "rejected_by_reviewer"


def final_decisions(kb_root: str | Path) -> dict[str, Decision]:
    """review_id -> the latest decision that closed the item (none when it was re-opened)."""
    latest: dict[str, Decision] = {}
    for d in ReviewStore(kb_root).decisions():
        latest[d.review_id] = d  # in decision order: the last one wins
    return {rid: d for rid, d in latest.items() if status_of(d) in FINAL}


def status_of(decision: Decision) -> str:
    return decision.status or PAST.get(decision.action, "open")


def rejected_issue(decision: Decision) -> Issue:
    return Issue(REJECTED, None, f"rejected by {decision.reviewer}: {decision.reason or ''}".strip())


def reapply(record: Record, schema: Schema, decision: Decision) -> list[Issue]:
    """Apply the person's decision to a record that would go to review; the issues left."""
    if decision.action == "reject":
        return [rejected_issue(decision)]
    apply_after(record, schema, decision)
    record.issues = []  # what the machine flagged is what the person looked at
    return [i for i in validate(record, schema) if i.code not in OVERRIDABLE]
