"""What a reviewer can do with a queued record: accept it, correct fields, or reject it.

Accepting or correcting lands the record in its schema's KB table. The record is rebuilt
from the queue's proposed JSON and the corrections applied (corrections.py). Only the fields a person
changed get the reviewer's provenance (method "reviewer", rule_id "reviewer:<name>",
confidence 1.0); the others keep the rule or extractor that produced them, so the record
still says where each value came from (that the person vouched for them is in the decision
log). A corrected value keeps its evidence: the selection, or the one place a typed value is
printed. The record is validated again and only lands when nothing but low confidence or a
trust ramp (which the reviewer overrides) is left.

Rejecting lands nothing (and takes back a record an earlier accept landed) and keeps why.
Every decision goes through `ReviewStore.record_decision`, so a decision made against a
stale version raises `ConflictError` instead of overwriting someone else's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pipelines.config import Settings
from pipelines.land.kb import KnowledgeBase
from pipelines.land.rows import record_row
from pipelines.land.writer import land_reviewed, withdraw
from pipelines.model.document import Document
from pipelines.model.records import Issue, Record
from pipelines.model.schema import Schema, load_schemas
from pipelines.review.corrections import Correction, InvalidCorrection, apply_after, apply_corrections, rebuild_record
from pipelines.review.documents import DocumentNotFound, load_document
from pipelines.review.items import expand_item_edits
from pipelines.review.store import Decision, ReviewItem, ReviewStore, check_reviewer, check_text, to_jsonable
from pipelines.validate.validator import validate

# Issues a reviewer's word settles; anything else (missing_required, invalid_value,
# failed_check, ...) must be fixed by a correction before the record can land.
OVERRIDABLE = frozenset({"low_confidence", "conflict", "trust_ramp", "reopened", "unlearned_field"})


def accept(settings: Settings, review_id: str, reviewer: str, *, expected_version: int) -> Decision:
    """Land the proposed record as it is, vouched for by `reviewer`."""
    return _land_decision(settings, review_id, reviewer, [], "accept", expected_version, land=True)


def correct(settings: Settings, review_id: str, reviewer: str, corrections: list[Correction], *,
            expected_version: int, land: bool = True) -> Decision:
    """Apply corrections and land the record. `land=False` records the corrections (e.g. a
    partial fix, or one meant only to teach a rule) without landing or closing the item."""
    if not corrections:
        raise InvalidCorrection("no corrections given")
    return _land_decision(settings, review_id, reviewer, corrections, "correct", expected_version, land=land)


def reject(settings: Settings, review_id: str, reviewer: str, reason: str, *, expected_version: int) -> Decision:
    """Close the item without landing anything; `reason` says why (required)."""
    _check_reviewer(reviewer)
    try:
        check_text(reason, "the reason")
    except ValueError as exc:
        raise InvalidCorrection(str(exc)) from exc
    if not reason.strip():
        raise InvalidCorrection("a rejection needs a reason")
    store = ReviewStore(settings.kb_root)
    item = store.get(review_id)
    decision = Decision(
        decision_id="", review_id=item.review_id, record_id=item.record_id, document_id=item.document_id,
        schema=item.schema, reviewer=reviewer, action="reject", before=_values_of(item), after=None,
        corrections=[], reason=reason.strip(), decided_at=datetime.now(UTC), version=0,
    )

    def take_back(stored: Decision) -> None:
        # An earlier accept may have landed the record; a rejected record must not stay in the KB.
        withdraw(KnowledgeBase(settings.kb_root), item.schema, item.record_id)

    return store.record_decision(decision, expected_version, on_commit=take_back)


def _land_decision(settings: Settings, review_id: str, reviewer: str, corrections: Sequence[Correction],
                   action: str, expected_version: int, *, land: bool) -> Decision:
    _check_reviewer(reviewer)
    store = ReviewStore(settings.kb_root)
    item = store.get(review_id)
    schema = load_schemas(settings.schemas_dir).get(item.schema)
    if schema is None:
        raise InvalidCorrection(
            f"this item has no schema ({item.schema}): it can only be rejected",
            [{"code": "unsupported_document", "field": None, "message": "no schema to land the record in"}])
    for c in corrections:
        if not isinstance(c, Correction):
            raise InvalidCorrection(f"not a correction: {c!r}"[:200])
    record = rebuild_record(item, schema)
    _carry_forward(record, schema, store.decisions(item.review_id))
    corrections = expand_item_edits(record, schema, corrections)
    doc = _document_or_none(settings, item.document_id) if corrections else None
    applied = apply_corrections(record, schema, corrections, reviewer, doc)
    if land:
        blocking = [i for i in validate(record, schema) if i.code not in OVERRIDABLE]
        if blocking:
            raise InvalidCorrection(
                "the record cannot land until these are fixed: "
                + "; ".join(f"{i.code} {i.field or ''}: {i.message}".replace(" :", ":") for i in blocking),
                [_issue(i) for i in blocking])
    decision = Decision(
        decision_id="", review_id=item.review_id, record_id=item.record_id, document_id=item.document_id,
        schema=item.schema, reviewer=reviewer, action=action, before=_values_of(item),
        after={n: to_jsonable(fv.value) for n, fv in record.fields.items()}, corrections=applied,
        reason=None, decided_at=datetime.now(UTC), version=0,
        status=None if land else item.status,
    )

    def land_record(stored: Decision) -> None:
        batch_id = f"review-{stored.decision_id}"
        row = record_row(record, schema, batch_id, stored.decided_at)
        row["record_id"] = item.record_id  # the queue's id (the record's position is not in the JSON)
        land_reviewed(KnowledgeBase(settings.kb_root), schema, row, batch_id)

    return store.record_decision(decision, expected_version, on_commit=land_record if land else None)


def _carry_forward(record: Record, schema: Schema, decisions: list[Decision]) -> None:
    """A second correction starts from the first one's result, not from the machine's proposal."""
    if decisions and decisions[-1].action in ("accept", "correct"):
        apply_after(record, schema, decisions[-1])


def _document_or_none(settings: Settings, document_id: str) -> Document | None:
    """The parsed document for finding evidence; None when its bytes are gone (typed values still land)."""
    try:
        return load_document(settings, document_id)
    except (DocumentNotFound, OSError):
        return None


def _check_reviewer(reviewer: str) -> None:
    try:
        check_reviewer(reviewer)
    except ValueError as exc:
        raise InvalidCorrection(str(exc), [{"code": "invalid_reviewer", "field": None, "message": str(exc)}]) from exc


def _values_of(item: ReviewItem) -> dict[str, Any]:
    return {name: f.get("value") for name, f in item.fields.items() if isinstance(f, dict)}


def _issue(i: Issue) -> dict[str, Any]:
    return {"code": i.code, "field": i.field, "message": i.message}
