"""accept / correct / reject on real queued records: what lands, with whose provenance, and
what is refused (invalid, malicious or stale input)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from pipelines.land.query import run_query
from pipelines.review.actions import Correction, InvalidCorrection, accept, correct, reject
from pipelines.review.documents import load_document
from pipelines.review.store import ConflictError, ReviewStore
from tests.review.conftest import item_id

SCAN_LINES = json.dumps([
    {"description": "Tanker delivery charge", "quantity": "2", "unit_price": "97.55", "amount": "195.10"},
    {"description": "Sodium hydroxide 47%, bulk (t)", "quantity": "10", "unit_price": "492.10", "amount": "4,921.00"},
    {"description": "IBC container deposit (returnable)", "quantity": "3", "unit_price": "85.00", "amount": "255.00"},
])


def _rows(settings, table: str, where: str = "true"):
    try:
        return run_query(settings.kb_root, f"SELECT * FROM {table} WHERE {where}")
    except Exception:  # noqa: BLE001 - the table does not exist yet
        return None


def _count(settings, table: str) -> int:
    return int(run_query(settings.kb_root, f"SELECT count(*) AS n FROM {table}").n[0])


def _provenance(settings, table: str, record_id: str) -> dict[str, dict]:
    df = run_query(settings.kb_root, f"SELECT p.* FROM {table}, unnest(provenance) AS t(p) WHERE record_id = ?",
                   [record_id])
    df = df.astype(object).where(df.notna(), None)  # nulls as None, not NaN
    return {r["field"]: r for r in df.to_dict("records")}


# ---- accept -----------------------------------------------------------------------------------


def test_accept_lands_the_record_keeping_each_fields_provenance(review_kb):
    """Problem 8: accepting vouches for the record in the decision log; the KB record still
    says which rule or extractor produced each value."""
    rid = item_id(review_kb, "meter_email")  # support_case, low confidence on account_number
    item = ReviewStore(review_kb.kb_root).get(rid)
    before = _count(review_kb, "support_case")
    invoices = _count(review_kb, "invoice")
    d = accept(review_kb, rid, "alice", expected_version=0)
    assert d.action == "accept" and d.status == "accepted" and d.version == 1 and d.corrections == []
    assert d.before == d.after and d.after["account_number"] == "SVW-120377"
    df = _rows(review_kb, "support_case", f"record_id = '{item.record_id}'")
    assert len(df) == 1 and df.account_number[0] == "SVW-120377"
    assert df.batch_id[0] == f"review-{d.decision_id}" and df.document_id[0] == item.document_id
    assert _count(review_kb, "support_case") == before + 1 and _count(review_kb, "invoice") == invoices
    prov = _provenance(review_kb, "support_case", item.record_id)
    proposed = item.fields
    assert {n: (p["method"], p["rule_id"]) for n, p in prov.items()} == \
        {n: (f["method"], f["rule_id"]) for n, f in proposed.items() if f.get("value") is not None}
    assert "reviewer" not in {p["method"] for p in prov.values()}
    assert prov["account_number"]["evidence"] == "SVW-120377"  # the extraction's evidence is kept
    assert ReviewStore(review_kb.kb_root).get(rid).status == "accepted"
    assert ReviewStore(review_kb.kb_root).items(status="open", reason="account_number") == []


def test_accept_refuses_a_record_that_still_fails_its_checks(review_kb):
    rid = item_id(review_kb, "lines_off_invoice")
    invoices = _count(review_kb, "invoice")
    with pytest.raises(InvalidCorrection, match="failed_check lines_add_up") as info:
        accept(review_kb, rid, "alice", expected_version=0)
    assert info.value.issues == [{"code": "failed_check", "field": "lines_add_up",
                                  "message": "the line amounts do not add up to the subtotal"}]
    assert _count(review_kb, "invoice") == invoices and ReviewStore(review_kb.kb_root).decisions() == []


def test_unclassified_items_can_only_be_rejected(review_kb):
    rid = item_id(review_kb, "meter_csv")
    with pytest.raises(InvalidCorrection, match="only be rejected"):
        accept(review_kb, rid, "alice", expected_version=0)
    with pytest.raises(InvalidCorrection, match="only be rejected"):
        correct(review_kb, rid, "alice", [Correction("x", "1")], expected_version=0)
    d = reject(review_kb, rid, "alice", "meter reading export, no schema for it yet", expected_version=0)
    assert d.status == "rejected" and d.after is None and d.reason.startswith("meter reading export")


# ---- correct ------------------------------------------------------------------------------------


def test_correcting_the_line_items_of_a_scan_lands_them(review_kb):
    rid = item_id(review_kb, "scan_invoice")
    item = ReviewStore(review_kb.kb_root).get(rid)
    d = correct(review_kb, rid, "bob", [Correction("line_items", SCAN_LINES)], expected_version=0)
    assert d.status == "corrected" and len(d.corrections) == 1
    c = d.corrections[0]
    assert c["field"] == "line_items" and c["old"] == item.fields["line_items"]["value"]  # what OCR read
    assert len(c["new"]) == 3 and c["start"] is None
    assert {k: v for k, v in c["new"][1].items() if v is not None} == {
        "description": "Sodium hydroxide 47%, bulk (t)", "quantity": "10", "unit_price": "492.10", "amount": "4921.00"}
    df = _rows(review_kb, "invoice", f"record_id = '{item.record_id}'")
    lines = df.line_items[0]
    assert [x["amount"] for x in lines] == [Decimal("195.10"), Decimal("4921.00"), Decimal("255.00")]
    assert df.subtotal_amount[0] == Decimal("5371.10") and df.invoice_number[0] == "HCS/118477"
    prov = _provenance(review_kb, "invoice", item.record_id)
    assert prov["line_items"]["rule_id"] == "reviewer:bob" and prov["line_items"]["start"] is None
    log = run_query(review_kb.kb_root, "SELECT c.field, c.text, json_array_length(c.new) AS n "
                                       "FROM review_decisions, unnest(corrections) AS t(c)")
    assert log.field.tolist() == ["line_items"] and log.n.tolist() == [3]


def test_a_typed_value_is_normalised_with_the_fields_type(review_kb):
    rid = item_id(review_kb, "meter_email")
    item = ReviewStore(review_kb.kb_root).get(rid)
    d = correct(review_kb, rid, "alice", [Correction("received_at", "5 March 2026 14:03"),
                                          Correction("customer_phone", "01632 960 741"),
                                          Correction("priority", "URGENT")], expected_version=0)
    new = {c["field"]: c["new"] for c in d.corrections}
    assert new["received_at"].startswith("2026-03-05T14:03") and new["customer_phone"] == "+441632960741"
    assert new["priority"] == "high"  # the enum's synonym
    assert {c["field"]: c["text"] for c in d.corrections}["priority"] == "URGENT"
    df = _rows(review_kb, "support_case", f"record_id = '{item.record_id}'")
    assert df.priority[0] == "high" and df.customer_phone[0] == "+441632960741"


def test_a_second_correction_starts_from_the_first_ones_result(review_kb):
    rid = item_id(review_kb, "meter_email")
    item = ReviewStore(review_kb.kb_root).get(rid)
    correct(review_kb, rid, "alice", [Correction("priority", "URGENT")], expected_version=0)
    correct(review_kb, rid, "bob", [Correction("customer_phone", "01632 960 741")], expected_version=1)
    df = _rows(review_kb, "support_case", f"record_id = '{item.record_id}'")
    assert df.priority[0] == "high" and df.customer_phone[0] == "+441632960741"  # alice's fix is kept
    prov = _provenance(review_kb, "support_case", item.record_id)
    assert prov["customer_phone"]["rule_id"] == "reviewer:bob"
    assert prov["priority"]["rule_id"] == "reviewer:alice"  # alice's field keeps her name


def test_a_correction_changes_the_provenance_of_the_fields_it_changed_only(review_kb):
    """Problem 8: correcting one field left every other field as `reviewer:<name>`, 1.0."""
    rid = item_id(review_kb, "meter_email")
    item = ReviewStore(review_kb.kb_root).get(rid)
    correct(review_kb, rid, "alice", [Correction("priority", "URGENT")], expected_version=0)
    prov = _provenance(review_kb, "support_case", item.record_id)
    assert prov["priority"]["rule_id"] == "reviewer:alice" and prov["priority"]["confidence"] == 1.0
    others = {n: (p["method"], p["rule_id"], p["confidence"]) for n, p in prov.items() if n != "priority"}
    assert others and others == {n: (f["method"], f["rule_id"], f["confidence"]) for n, f in item.fields.items()
                                 if n != "priority" and f.get("value") is not None}


def test_a_typed_value_printed_once_gets_its_evidence_without_offsets(review_kb):
    """Problem 9: `--set` alone found no evidence; the value printed once is its own evidence."""
    from pipelines.review.documents import load_document

    rid = item_id(review_kb, "meter_email")
    item = ReviewStore(review_kb.kb_root).get(rid)
    text = load_document(review_kb, item.document_id).text
    acct = item.fields["account_number"]["value"]
    assert text.count(acct) == 1
    d = correct(review_kb, rid, "alice", [Correction("account_number", acct)], expected_version=0)
    c = d.corrections[0]
    assert text[c["start"]:c["end"]] == acct and c["new"] == acct


def test_cell_edits_fix_a_line_table_without_retyping_it(review_kb):
    """Problem 7: a failed lines_add_up check needed the whole item list typed as JSON."""
    rid = item_id(review_kb, "lines_off_invoice")
    item = ReviewStore(review_kb.kb_root).get(rid)
    lines = item.fields["line_items"]["value"]
    with pytest.raises(InvalidCorrection, match="failed_check"):
        correct(review_kb, rid, "bob", [Correction("customer_name", "Someone Else Ltd")], expected_version=0)
    # the correction of another field is kept while the check still fails (the item stays open)
    d = correct(review_kb, rid, "bob", [Correction("customer_name", "Someone Else Ltd")], expected_version=0, land=False)
    assert d.status == "open" and d.after["customer_name"] == "Someone Else Ltd"
    n = len(lines)
    d2 = correct(review_kb, rid, "bob", [Correction(f"line_items.{n + 1}.description", "Extra item"),
                                         Correction(f"line_items.{n + 1}.amount", "1.00"),
                                         Correction("line_items.1.description", "First item renamed")],
                 expected_version=1, land=False)
    new = {c["field"]: c["new"] for c in d2.corrections}["line_items"]
    assert len(new) == n + 1 and new[0]["description"] == "First item renamed" and new[-1]["amount"] == "1.00"
    assert d2.after["customer_name"] == "Someone Else Ltd"  # the first fix is carried forward
    d3 = correct(review_kb, rid, "bob", [Correction(f"line_items.{n + 1}", "")], expected_version=2, land=False)
    assert len({c["field"]: c["new"] for c in d3.corrections}["line_items"]) == n
    with pytest.raises(InvalidCorrection, match="no such|has"):
        correct(review_kb, rid, "bob", [Correction("line_items.99.amount", "1")], expected_version=3, land=False)


def test_a_value_selected_in_the_document_keeps_its_span_as_evidence(review_kb):
    rid = item_id(review_kb, "meter_email")
    item = ReviewStore(review_kb.kb_root).get(rid)
    doc = load_document(review_kb, item.document_id)
    start = doc.text.index("Pershore Fresh Produce Ltd")
    end = start + len("Pershore Fresh Produce Ltd")
    d = correct(review_kb, rid, "carol", [Correction("customer_name", "", start, end)], expected_version=0)
    c = d.corrections[0]
    assert (c["start"], c["end"], c["text"], c["new"]) == (start, end, "Pershore Fresh Produce Ltd", "Pershore Fresh Produce Ltd")
    prov = _provenance(review_kb, "support_case", item.record_id)["customer_name"]
    assert (prov["start"], prov["end"], prov["evidence"], prov["method"]) == (start, end, "Pershore Fresh Produce Ltd", "reviewer")


def test_a_selection_must_match_the_document_text(review_kb):
    rid = item_id(review_kb, "meter_email")
    item = ReviewStore(review_kb.kb_root).get(rid)
    doc = load_document(review_kb, item.document_id)
    start = doc.text.index("Pershore Fresh Produce Ltd")
    with pytest.raises(InvalidCorrection, match="is not the document text"):
        correct(review_kb, rid, "alice", [Correction("customer_name", "Evil Corp", start, start + 26)], expected_version=0)
    with pytest.raises(InvalidCorrection, match="outside the document"):
        correct(review_kb, rid, "alice", [Correction("customer_name", "", 10, len(doc.text) + 5)], expected_version=0)
    with pytest.raises(InvalidCorrection, match="start and end"):
        correct(review_kb, rid, "alice", [Correction("customer_name", "x", start, None)], expected_version=0)
    # a browser turns a line break in a selection into a space: still the same words
    nl = doc.text.index("\n", 100)
    s, e = doc.text.rfind(" ", 0, nl) + 1, doc.text.find(" ", nl + 1)
    spaced = doc.text[s:e].replace("\n", " ")
    d = correct(review_kb, rid, "alice", [Correction("summary", spaced, s, e)], expected_version=0)
    assert d.corrections[0]["start"] == s


@pytest.mark.parametrize("field,value,match", [
    ("nonsense", "1", "unknown field"),
    ("received_at", "not a date at all", "received_at"),
    ("customer_email", "not-an-email", "customer_email"),
    ("priority", "purple", "priority"),
    ("customer_name", "x" * 2001, "limit 2,000"),
    ("customer_name", "Evil\x1b[31m Corp", "control characters"),
    ("customer_name", "Evil\u202eproC", "control characters"),
    ("customer_name", "a\x00b", "control characters"),
])
def test_malformed_corrections_are_refused_and_nothing_is_saved(review_kb, field, value, match):
    rid = item_id(review_kb, "meter_email")
    with pytest.raises(InvalidCorrection, match=match):
        correct(review_kb, rid, "alice", [Correction(field, value)], expected_version=0)
    assert ReviewStore(review_kb.kb_root).decisions() == []
    assert ReviewStore(review_kb.kb_root).get(rid).status == "open"


def test_script_text_is_stored_verbatim_as_text_or_refused_by_the_field_type(review_kb):
    script = "<script>alert(1)</script>"
    rid = item_id(review_kb, "scan_invoice")
    with pytest.raises(InvalidCorrection, match="invoice_number"):  # the schema's pattern refuses it
        correct(review_kb, rid, "alice", [Correction("invoice_number", script), Correction("line_items", SCAN_LINES)],
                expected_version=0)
    item = ReviewStore(review_kb.kb_root).get(rid)
    correct(review_kb, rid, "alice", [Correction("customer_name", script), Correction("line_items", SCAN_LINES)],
            expected_version=0)
    df = run_query(review_kb.kb_root, "SELECT customer_name FROM invoice WHERE record_id = ?", [item.record_id])
    assert df.customer_name[0] == script  # plain text; escaping is the display's job
    assert ReviewStore(review_kb.kb_root).decisions(rid)[0].after["customer_name"] == script


def test_a_list_of_items_must_be_a_json_list_of_known_keys(review_kb):
    rid = item_id(review_kb, "scan_invoice")
    for bad, match in (("Tanker 195.10", "line_items"), ('{"amount": "1"}', "JSON list of objects"),
                       ('[{"amount": "1", "colour": "red"}]', "unknown keys"),
                       ('[{"amount": "lots"}]', "item 1: amount"), ("[" + "{},"*600 + "{}]", "limit 500")):
        with pytest.raises(InvalidCorrection, match=match):
            correct(review_kb, rid, "alice", [Correction("line_items", bad)], expected_version=0)


def test_clearing_a_required_field_is_refused_and_an_optional_one_is_cleared(review_kb):
    rid = item_id(review_kb, "scan_invoice")
    with pytest.raises(InvalidCorrection, match="missing_required invoice_number"):
        correct(review_kb, rid, "alice", [Correction("invoice_number", ""), Correction("line_items", SCAN_LINES)],
                expected_version=0)
    d = correct(review_kb, rid, "alice", [Correction("iban", "  "), Correction("line_items", SCAN_LINES)],
                expected_version=0)
    assert "iban" not in d.after and d.corrections[0] == {"field": "iban", "old": "GB38BARC20325370961154", "new": None,
                                                         "text": "  ", "start": None, "end": None, "page": None}


def test_correct_without_landing_records_the_fix_and_leaves_the_item_open(review_kb):
    rid = item_id(review_kb, "lines_off_invoice")
    invoices = _count(review_kb, "invoice")
    d = correct(review_kb, rid, "dana", [Correction("customer_account", "LD-7731")], expected_version=0, land=False)
    assert d.action == "correct" and d.status == "open" and d.version == 1  # still failing lines_add_up: fine, not landed
    assert _count(review_kb, "invoice") == invoices
    item = ReviewStore(review_kb.kb_root).get(rid)
    assert item.status == "open" and item.version == 1


def test_a_correction_against_a_stale_version_is_refused_and_lands_nothing(review_kb):
    rid = item_id(review_kb, "meter_email")
    item = ReviewStore(review_kb.kb_root).get(rid)
    accept(review_kb, rid, "alice", expected_version=0)
    with pytest.raises(ConflictError, match="already accepted by alice") as info:
        correct(review_kb, rid, "bob", [Correction("priority", "high")], expected_version=0)
    assert info.value.attempted.after["priority"] == "high"  # bob's attempt is not lost: he can retry it
    df = _rows(review_kb, "support_case", f"record_id = '{item.record_id}'")
    assert df.priority[0] == "normal"
    d = correct(review_kb, rid, "bob", [Correction("priority", "high")], expected_version=1)
    assert d.version == 2
    assert _rows(review_kb, "support_case", f"record_id = '{item.record_id}'").priority[0] == "high"
    assert [x.reviewer for x in ReviewStore(review_kb.kb_root).decisions(rid)] == ["alice", "bob"]


# ---- reject ---------------------------------------------------------------------------------------


def test_reject_keeps_why_and_takes_back_a_record_an_earlier_accept_landed(review_kb):
    rid = item_id(review_kb, "meter_email")
    item = ReviewStore(review_kb.kb_root).get(rid)
    accept(review_kb, rid, "alice", expected_version=0)
    assert len(_rows(review_kb, "support_case", f"record_id = '{item.record_id}'")) == 1
    d = reject(review_kb, rid, "bob", "duplicate of an earlier case", expected_version=1)
    assert d.status == "rejected" and d.reason == "duplicate of an earlier case"
    assert len(_rows(review_kb, "support_case", f"record_id = '{item.record_id}'")) == 0
    df = run_query(review_kb.kb_root, "SELECT reviewer, action, reason, after FROM review_decisions ORDER BY version")
    assert df.action.tolist() == ["accept", "reject"] and df.after.isna().tolist() == [False, True]


@pytest.mark.parametrize("reason,match", [("", "needs a reason"), ("   ", "needs a reason"),
                                          ("x" * 2001, "limit"), ("bad\x07", "control characters")])
def test_reject_needs_a_sane_reason(review_kb, reason, match):
    with pytest.raises(InvalidCorrection, match=match):
        reject(review_kb, item_id(review_kb, "meter_csv"), "alice", reason, expected_version=0)


@pytest.mark.parametrize("reviewer", ["", "two words", "<b>x</b>", "a" * 65, "eve\n"])
def test_every_action_needs_a_valid_reviewer(review_kb, reviewer):
    rid = item_id(review_kb, "meter_email")
    for call in (lambda: accept(review_kb, rid, reviewer, expected_version=0),
                 lambda: correct(review_kb, rid, reviewer, [Correction("priority", "urgent")], expected_version=0),
                 lambda: reject(review_kb, rid, reviewer, "no", expected_version=0)):
        with pytest.raises(InvalidCorrection, match="reviewer name"):
            call()


def test_an_unknown_item_is_a_key_error(review_kb):
    with pytest.raises(KeyError):
        accept(review_kb, "f" * 32, "alice", expected_version=0)
