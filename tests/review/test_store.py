"""The review queue, the decision log and optimistic concurrency; and documents.py (loading
the document behind an item from the parse cache or the raw store)."""

from __future__ import annotations

import multiprocessing
import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines.model.document import Document
from pipelines.land.query import run_query
from pipelines.parse.cache import cache_key, cache_path
from pipelines.parse.cache import entries as cache_entries
from pipelines.parse.cache import read as read_cached
from pipelines.review.documents import DocumentNotFound, load_document, stored_documents
from pipelines.review.store import ConflictError, Decision, ReviewStore, check_reviewer
from tests.review.conftest import REVIEW_SAMPLES, item_id


def _decision(review_id: str, reviewer: str, action: str = "reject", reason: str | None = "not ours") -> Decision:
    return Decision(decision_id="", review_id=review_id, record_id="", document_id="", schema="",
                    reviewer=reviewer, action=action, before={}, after=None, corrections=[], reason=reason,
                    decided_at=datetime.now(UTC), version=0)


# ---- the queue ---------------------------------------------------------------------------------


def test_items_lists_the_open_queue_with_reasons_and_proposed_fields(review_kb):
    store = ReviewStore(review_kb.kb_root)
    items = store.items()
    assert {i.status for i in items} == {"open"} and all(i.version == 0 for i in items)
    scan = store.get(item_id(review_kb, "scan_invoice"))
    assert scan.schema == "invoice" and scan.source_path.endswith(REVIEW_SAMPLES["scan_invoice"])
    # the generic extractor's values read by OCR are never sure by themselves (not calibrated on images)
    assert scan.reasons and any(r["code"] == "low_confidence" and "OCR" in r["message"] for r in scan.reasons)
    lines_off = store.get(item_id(review_kb, "lines_off_invoice"))
    assert {"code": "failed_check", "field": "lines_add_up",
            "message": "the line amounts do not add up to the subtotal"} in lines_off.reasons
    assert scan.fields["invoice_number"]["value"] == "HCS/118477"
    assert scan.fields["invoice_number"]["evidence"]["text"] == "HCS/118477"
    assert scan.created_at.tzinfo is not None


def test_items_filter_by_schema_reason_source_and_status(review_kb):
    store = ReviewStore(review_kb.kb_root)
    assert {i.schema for i in store.items(schema="invoice")} == {"invoice"}
    assert len(store.items(schema="invoice")) == 2
    # the drawn invoice's letterhead name is below the calibrated landing threshold too, and the
    # scan's values the generic extractor read by OCR are unsure (not calibrated on images)
    assert sorted(i.schema for i in store.items(reason="low_confidence")) == ["invoice", "invoice", "support_case"]
    assert [i.schema for i in store.items(reason="account_number")] == ["support_case"]  # the field a reason names
    assert {i.schema for i in store.items(source="meter-photo")} == {"support_case", "unclassified"}
    assert store.items(status="accepted") == []
    assert len(store.items(status=None)) == len(store.items())


def test_get_accepts_a_unique_prefix_and_says_when_unknown_or_ambiguous(review_kb):
    store = ReviewStore(review_kb.kb_root)
    rid = item_id(review_kb, "lines_off_invoice")
    assert store.get(rid[:8]).review_id == rid
    with pytest.raises(KeyError, match="no review item"):
        store.get("ffffffffffff")
    with pytest.raises(KeyError, match="no review item"):
        store.get(rid[:3])  # too short to be a prefix
    ids = [i.review_id for i in store.items(status=None)]
    shared = next((a[:4] for a in ids for b in ids if a != b and a[:4] == b[:4]), None)
    if shared:
        with pytest.raises(KeyError, match="ambiguous"):
            store.get(shared)


def test_store_of_an_empty_kb_is_empty(tmp_path):
    store = ReviewStore(tmp_path / "nothing")
    assert store.items(status=None) == [] and store.decisions() == []
    with pytest.raises(KeyError):
        store.get("abcd")


# ---- decisions ------------------------------------------------------------------------------------


def test_record_decision_appends_to_the_log_bumps_the_version_and_sets_the_status(review_kb):
    store = ReviewStore(review_kb.kb_root)
    rid = item_id(review_kb, "meter_csv")
    first = store.record_decision(_decision(rid[:10], "alice", reason="a meter reading export"), 0)
    assert first.version == 1 and first.review_id == rid and first.schema == "unclassified"
    assert first.record_id == store.get(rid).record_id and len(first.decision_id) == 32
    assert store.get(rid).status == "rejected" and store.get(rid).version == 1
    second = store.record_decision(_decision(rid, "bob", reason="still not ours"), 1)
    assert second.version == 2 and second.decision_id != first.decision_id
    log = store.decisions(rid)
    assert [(d.reviewer, d.version, d.reason) for d in log] == [("alice", 1, "a meter reading export"),
                                                               ("bob", 2, "still not ours")]
    assert store.decisions() == log  # the only decisions in this KB
    df = run_query(review_kb.kb_root, "SELECT reviewer, action, status, version, reason, decided_at "
                                      "FROM review_decisions ORDER BY version")
    assert df.reviewer.tolist() == ["alice", "bob"] and df.action.tolist() == ["reject", "reject"]
    assert df.status.tolist() == ["rejected", "rejected"] and df.decided_at.dt.tz is not None


def test_a_stale_version_raises_conflict_naming_who_and_when(review_kb):
    store = ReviewStore(review_kb.kb_root)
    rid = item_id(review_kb, "meter_csv")
    won = store.record_decision(_decision(rid, "alice"), 0)
    attempt = _decision(rid, "bob", reason="duplicate")
    with pytest.raises(ConflictError) as info:
        store.record_decision(attempt, 0)
    err = info.value
    assert "already rejected by alice at " in str(err) and str(err).endswith("reload and try again")
    assert err.latest == won and err.attempted.reviewer == "bob" and err.current_version == 1
    assert [d.reviewer for d in store.decisions(rid)] == ["alice"]
    assert store.record_decision(err.attempted, err.current_version).version == 2  # retried after reloading


def test_record_decision_refuses_bad_input(review_kb):
    store = ReviewStore(review_kb.kb_root)
    rid = item_id(review_kb, "meter_csv")
    for bad in ("", "a b", "x" * 65, "<script>", "ali\u202ece", "bob\n"):
        with pytest.raises(ValueError, match="reviewer name"):
            store.record_decision(_decision(rid, bad), 0)
    with pytest.raises(ValueError, match="control characters"):
        store.record_decision(_decision(rid, "alice", reason="ok\x1b[2J"), 0)
    with pytest.raises(ValueError, match="limit"):
        store.record_decision(_decision(rid, "alice", reason="x" * 2001), 0)
    with pytest.raises(ValueError, match="action"):
        store.record_decision(_decision(rid, "alice", action="approve"), 0)
    with pytest.raises(KeyError):
        store.record_decision(_decision("0" * 32, "alice"), 0)
    assert store.decisions() == []
    assert check_reviewer("jane.doe@example-1_x") == "jane.doe@example-1_x"


def test_two_threads_saving_the_same_item_one_wins_the_other_is_told(review_kb):
    rid = item_id(review_kb, "meter_csv")
    start = threading.Barrier(2)
    results: dict[str, object] = {}

    def save(name: str) -> None:
        store = ReviewStore(review_kb.kb_root)
        start.wait()
        try:
            results[name] = store.record_decision(_decision(rid, name), 0)
        except ConflictError as exc:
            results[name] = exc

    threads = [threading.Thread(target=save, args=(n,)) for n in ("alice", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [n for n, r in results.items() if isinstance(r, Decision)]
    lost = [n for n, r in results.items() if isinstance(r, ConflictError)]
    assert len(won) == 1 and len(lost) == 1
    assert f"by {won[0]}" in str(results[lost[0]])
    assert [d.reviewer for d in ReviewStore(review_kb.kb_root).decisions(rid)] == won


def _save_in_process(kb: str, rid: str, name: str, queue) -> None:
    try:
        d = ReviewStore(kb).record_decision(_decision(rid, name), 0)
        queue.put((name, "saved", d.version))
    except ConflictError as exc:
        queue.put((name, "conflict", str(exc)))


def test_two_processes_saving_the_same_item_one_wins_and_the_loser_can_retry(review_kb):
    rid = item_id(review_kb, "meter_csv")
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_save_in_process, args=(str(review_kb.kb_root), rid, n, queue)) for n in ("alice", "bob")]
    for p in procs:
        p.start()
    outcomes = sorted(queue.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    kinds = sorted(o[1] for o in outcomes)
    assert kinds == ["conflict", "saved"], outcomes
    winner = next(o[0] for o in outcomes if o[1] == "saved")
    loser = next(o for o in outcomes if o[1] == "conflict")
    assert f"already rejected by {winner}" in loser[2]
    store = ReviewStore(review_kb.kb_root)
    item = store.get(rid)  # the loser reloads and saves again: nothing is lost
    store.record_decision(_decision(rid, loser[0]), item.version)
    assert [d.reviewer for d in store.decisions(rid)] == [winner, loser[0]]


def test_decisions_survive_the_pipeline_reprocessing_the_document(review_kb):
    from pipelines.run.direct import run

    store = ReviewStore(review_kb.kb_root)
    rid = item_id(review_kb, "meter_csv")
    store.record_decision(_decision(rid, "alice"), 0)
    run([Path(__file__).resolve().parents[2] / "data_samples" / REVIEW_SAMPLES["meter_csv"]], review_kb, batch_id="again")
    assert [d.reviewer for d in store.decisions(rid)] == ["alice"]  # the log is never superseded
    assert store.get(rid).version == 1  # so a reviewer of the re-queued item saves against version 1


# ---- documents.py ----------------------------------------------------------------------------------


def test_load_document_reparses_the_raw_original_and_caches_it(review_kb):
    item = ReviewStore(review_kb.kb_root).get(item_id(review_kb, "scan_invoice"))
    shutil.rmtree(Path(review_kb.kb_root) / "_cache/parsed")  # the pipeline's parse cache, gone
    cached = [p for p in (Path(review_kb.kb_root) / "_cache").rglob("*") if p.is_file() and "mapped" not in p.name]
    assert cached == []  # (the mapping cache holds records, not documents)
    doc = load_document(review_kb, item.document_id)
    assert doc.id == item.document_id and doc.source_path == item.source_path
    ev = item.fields["invoice_number"]["evidence"]
    assert doc.text[ev["start"]:ev["end"]] == ev["text"]  # same offsets as when the evidence was recorded
    assert cache_path(Path(review_kb.kb_root), cache_key(doc.id, doc.source_path, review_kb.limits)).is_file()


def test_load_document_uses_the_parse_cache_when_the_original_is_gone(review_kb):
    from pipelines.ingest.raw_store import RawStore
    from pipelines.run.stages import parse_documents, store_inputs

    item = ReviewStore(review_kb.kb_root).get(item_id(review_kb, "lines_off_invoice"))
    store = RawStore(review_kb.raw_root)
    entries, _ = store_inputs([item.source_path], store, review_kb.limits.max_bytes)
    [parsed] = parse_documents(entries, review_kb, store, use_cache=False)  # the pipeline's parse cache
    RawStore(review_kb.raw_root).path_for(item.document_id).unlink()
    doc = load_document(review_kb, item.document_id)
    assert doc.text == parsed.text and doc.id == item.document_id


def test_an_attachment_is_loaded_inside_its_parent_tree(review_kb):
    store = ReviewStore(review_kb.kb_root)
    photo = store.get(item_id(review_kb, "meter_email", schema="unclassified"))
    email = store.get(item_id(review_kb, "meter_email"))
    doc = load_document(review_kb, photo.document_id)
    assert doc.id == photo.document_id and doc.parent_id == email.document_id
    assert doc.source_path == photo.source_path and "#" in doc.source_path
    assert load_document(review_kb, email.document_id).children[0].id == doc.id


def test_load_document_says_when_a_document_is_nowhere(review_kb):
    with pytest.raises(DocumentNotFound):
        load_document(review_kb, "0" * 64)
    with pytest.raises(DocumentNotFound):
        load_document(review_kb, "../../etc/passwd")
    item = ReviewStore(review_kb.kb_root).get(item_id(review_kb, "meter_csv"))
    from pipelines.ingest.raw_store import RawStore

    RawStore(review_kb.raw_root).path_for(item.document_id).unlink()
    for entry in cache_entries(review_kb.kb_root, item.document_id):  # the pipeline cached its parse
        entry.unlink()
    with pytest.raises(DocumentNotFound, match="neither in the parse cache nor in the raw store"):
        load_document(review_kb, item.document_id)


def test_a_damaged_cache_entry_falls_back_to_the_raw_original(review_kb):
    item = ReviewStore(review_kb.kb_root).get(item_id(review_kb, "meter_csv"))
    key = cache_key(item.document_id, item.source_path, review_kb.limits)
    target = cache_path(Path(review_kb.kb_root), key)
    target.parent.mkdir(parents=True, exist_ok=True)  # the pipeline's own entry, if any, is overwritten
    target.write_bytes(b"not a cache entry")
    assert load_document(review_kb, item.document_id).id == item.document_id
    assert isinstance(read_cached(target, key), Document)  # rewritten with the good parse


def test_stored_documents_yields_every_document_and_attachment_once_with_its_parent(review_kb):
    docs = list(stored_documents(review_kb))
    ids = [d.id for d, _ in docs]
    assert len(ids) == len(set(ids)) == 8  # 6 files + the photo and the PDF bill attached to the e-mails
    parents = {d.source_path.rsplit("/", 1)[-1]: (p.id if p else None) for d, p in docs}
    email = next(d for d, _ in docs if d.source_path.endswith(".msg"))
    assert parents["2026-03-05_pershore-fresh_meter-photo.msg#IMG_20260305_1402.jpg"] == email.id
    assert sum(1 for _, p in docs if p is None) == 6
    # now all cached: the same set again, without re-parsing
    assert sorted(d.id for d, _ in stored_documents(review_kb, reparse=False)) == sorted(ids)
