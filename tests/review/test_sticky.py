"""A re-run does not undo a person's decision: the same record comes back closed."""

from __future__ import annotations

from pipelines.land.query import run_query
from pipelines.run.direct import run
from pipelines.review.actions import accept, reject
from pipelines.review.store import ReviewStore
from tests.review.conftest import REVIEW_SAMPLES, SAMPLES, item_id


def test_accepted_record_stays_landed_and_closed_after_a_rerun(review_kb):
    rid = item_id(review_kb, "meter_email")
    record_id = ReviewStore(review_kb.kb_root).get(rid).record_id
    accept(review_kb, rid, "alice", expected_version=0)
    summary = run([SAMPLES / REVIEW_SAMPLES["meter_email"]], review_kb)
    assert summary.outcomes["landed"] == 1 and summary.outcomes["review"] == 0
    df = run_query(review_kb.kb_root, f"SELECT account_number, provenance FROM support_case WHERE record_id = '{record_id}'")
    assert len(df) == 1 and df.account_number[0] == "SVW-120377"
    # accepted as proposed: each value keeps the rule that produced it (the decision log has alice)
    assert "reviewer:alice" not in {p["rule_id"] for p in df.provenance[0]}
    assert ReviewStore(review_kb.kb_root).items(status="open", source=REVIEW_SAMPLES["meter_email"], schema="support_case") == []


def test_rejected_record_stays_rejected_after_a_rerun(review_kb):
    rid = item_id(review_kb, "meter_email")
    reject(review_kb, rid, "bob", "duplicate of a phoned-in case", expected_version=0)
    summary = run([SAMPLES / REVIEW_SAMPLES["meter_email"]], review_kb)
    assert summary.outcomes["review"] == 1 and summary.review_reasons["rejected_by_reviewer"] == 1
    item = ReviewStore(review_kb.kb_root).get(rid)
    assert item.status == "rejected"
    assert ReviewStore(review_kb.kb_root).items(status="open", source=REVIEW_SAMPLES["meter_email"], schema="support_case") == []


def test_a_rejected_unclassified_document_stays_rejected_and_decided_items_stay_listed(review_kb):
    store = ReviewStore(review_kb.kb_root)
    csv_item = item_id(review_kb, "meter_csv")
    reject(review_kb, csv_item, "bob", "meter readings are not records", expected_version=0)
    rid = item_id(review_kb, "meter_email", schema="support_case")
    accept(review_kb, rid, "alice", expected_version=0)
    summary = run([SAMPLES / REVIEW_SAMPLES["meter_csv"], SAMPLES / REVIEW_SAMPLES["meter_email"]], review_kb)
    assert summary.kept_decisions == {"rejected": 1, "accepted": 1}
    assert store.get(csv_item).status == "rejected" and store.get(rid).status == "accepted"
    assert {i.review_id for i in store.items(status=None)} >= {csv_item, rid}  # history stays in the queue
    assert store.items(status="open", source=REVIEW_SAMPLES["meter_csv"]) == []
