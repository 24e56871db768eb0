"""`mapper review ...` end to end on a real queue (the group is invoked directly; the lead
wires it into `mapper`)."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from pipelines.land.query import run_query
from pipelines.review.cli import review, safe
from pipelines.review.store import ReviewStore
from tests.review.conftest import item_id
from tests.review.test_actions import SCAN_LINES


@pytest.fixture
def cli(review_kb, monkeypatch):
    monkeypatch.setenv("MAPPER_KB", str(review_kb.kb_root))
    monkeypatch.setenv("MAPPER_SCHEMAS", str(review_kb.schemas_dir))
    monkeypatch.delenv("MAPPER_REVIEWER", raising=False)
    runner = CliRunner()

    def invoke(*args: str, env: dict | None = None):
        return runner.invoke(review, list(args), env=env, catch_exceptions=False)

    return invoke


def test_list_shows_the_open_queue_as_a_table_and_as_json(cli, review_kb):
    r = cli("list")
    assert r.exit_code == 0, r.output
    n = len(ReviewStore(review_kb.kb_root).items())
    # the reasons column (clipped to 50 characters): the drawn invoice's first reasons are its letterhead
    # address, then the line items that do not add up (failed_check)
    assert n == 5 and "review id" in r.output and "low_confidence:issuer_address, failed_check:lin..." in r.output
    assert f"{n} item(s)" in r.output
    assert item_id(review_kb, "scan_invoice")[:12] in r.output
    r = cli("list", "--schema", "invoice", "--json")
    items = json.loads(r.output)
    assert {i["schema"] for i in items} == {"invoice"} and len(items) == 2
    assert all(i["status"] == "open" and i["version"] == 0 and i["reasons"] for i in items)
    assert [i["schema"] for i in json.loads(cli("list", "--reason", "account_number", "--json").output)] == ["support_case"]
    unsure = json.loads(cli("list", "--reason", "low_confidence", "--json").output)  # the scan's OCR'd values too
    assert {i["schema"] for i in unsure} == {"invoice", "support_case"}
    assert item_id(review_kb, "scan_invoice") in {i["review_id"] for i in unsure}
    failed = json.loads(cli("list", "--reason", "failed_check", "--json").output)
    assert [i["review_id"] for i in failed] == [item_id(review_kb, "lines_off_invoice")]
    assert len(json.loads(cli("list", "--source", "lines_off", "--json").output)) == 1
    assert json.loads(cli("list", "--status", "accepted", "--json").output) == []


def test_show_prints_fields_with_provenance_reasons_excerpts_and_history(cli, review_kb):
    rid = item_id(review_kb, "scan_invoice")
    r = cli("show", rid[:10])
    assert r.exit_code == 0, r.output
    out = r.output
    assert f"review {rid}  [open, version 0]" in out
    assert "invoice_number" in out and "hartwell.invoice_number" in out
    assert re.search(r"p1 \d+:\d+ 'HCS/118477'", out)  # page, span in the OCR text, the evidence
    assert "customer_account" in out  # a schema field nothing was found for
    failed = cli("show", item_id(review_kb, "lines_off_invoice")).output
    assert "failed_check [lines_add_up]: the line amounts do not add up to the subtotal" in failed
    assert "excerpt for line_items" in failed and ">>Pump overhaul kit" in failed  # fields the failed check uses
    assert "excerpt for subtotal_amount" in failed
    cli("correct", rid, "--reviewer", "bob", "--set", f"line_items={SCAN_LINES}")
    out = cli("show", rid).output
    assert "[corrected, version 1]" in out and "history:" in out and "bob correct: line_items:" in out
    data = json.loads(cli("show", rid, "--json").output)
    assert data["status"] == "corrected" and data["decisions"][0]["reviewer"] == "bob"
    assert data["proposed"]["fields"]["invoice_number"]["value"] == "HCS/118477"


def test_show_of_an_unclassified_item_prints_the_start_of_the_document(cli, review_kb):
    out = cli("show", item_id(review_kb, "meter_csv")).output
    assert "unsupported_document" in out and "document text (" in out and "meter_serial" in out


def test_accept_uses_the_reviewer_from_the_environment(cli, review_kb):
    rid = item_id(review_kb, "meter_email")
    r = cli("accept", rid[:8], env={"MAPPER_REVIEWER": "alice"})
    assert r.exit_code == 0, r.output
    assert f"accepted {rid[:12]} (version 1) by alice" in r.output
    df = run_query(review_kb.kb_root, "SELECT reviewer, action FROM review_decisions")
    assert df.to_dict("records") == [{"reviewer": "alice", "action": "accept"}]


def test_a_decision_without_a_reviewer_or_with_a_bad_one_is_refused(cli, review_kb):
    rid = item_id(review_kb, "meter_email")
    r = cli("accept", rid)
    assert r.exit_code == 1 and "no reviewer: pass --reviewer NAME or set MAPPER_REVIEWER" in r.output
    r = cli("accept", rid, "--reviewer", "bad name")
    assert r.exit_code == 1 and "reviewer name" in r.output
    assert ReviewStore(review_kb.kb_root).decisions() == []


def test_correct_by_typing_and_by_selecting_a_span(cli, review_kb):
    from pipelines.review.documents import load_document

    rid = item_id(review_kb, "meter_email")
    item = ReviewStore(review_kb.kb_root).get(rid)
    text = load_document(review_kb, item.document_id).text
    start = text.index("Pershore Fresh Produce Ltd")
    r = cli("correct", rid, "--reviewer", "carol", "--set", "priority=urgent",
            "--span", f"customer_name={start}:{start + 26}")
    assert r.exit_code == 0, r.output
    assert "corrected" in r.output and "priority: normal -> high" in r.output
    d = ReviewStore(review_kb.kb_root).decisions(rid)[0]
    spans = {c["field"]: (c["start"], c["end"]) for c in d.corrections}
    assert spans == {"priority": (None, None), "customer_name": (start, start + 26)}


def test_correct_reports_invalid_values_and_bad_options(cli, review_kb):
    rid = item_id(review_kb, "meter_email")
    r = cli("correct", rid, "--reviewer", "carol", "--set", "received_at=yesterday-ish")
    assert r.exit_code == 1 and "received_at" in r.output
    r = cli("correct", rid, "--reviewer", "carol", "--set", "customer_name=<script>alert(1)</script>x" + "y" * 2000)
    assert r.exit_code == 1 and "limit 2,000" in r.output
    r = cli("correct", rid, "--reviewer", "carol", "--set", "no-equals-sign")
    assert r.exit_code == 2 and "field=value" in r.output
    r = cli("correct", rid, "--reviewer", "carol", "--span", "customer_name=5-9")
    assert r.exit_code == 2 and "START:END" in r.output
    r = cli("correct", rid, "--reviewer", "carol")
    assert r.exit_code == 2 and "nothing to correct" in r.output
    r = cli("accept", item_id(review_kb, "lines_off_invoice"), "--reviewer", "carol")
    assert r.exit_code == 1 and "failed_check lines_add_up" in r.output
    assert ReviewStore(review_kb.kb_root).decisions() == []


def test_reject_needs_a_reason_and_keeps_it(cli, review_kb):
    rid = item_id(review_kb, "meter_csv")
    assert cli("reject", rid, "--reviewer", "dana").exit_code == 2  # --reason is required
    r = cli("reject", rid, "--reviewer", "dana", "--reason", "meter export; no schema yet")
    assert r.exit_code == 0 and "rejected" in r.output and "meter export; no schema yet" in r.output
    assert ReviewStore(review_kb.kb_root).get(rid).status == "rejected"


def test_a_stale_expected_version_tells_who_decided_first(cli, review_kb):
    rid = item_id(review_kb, "meter_email")
    assert cli("accept", rid, "--reviewer", "alice").exit_code == 0
    r = cli("correct", rid, "--reviewer", "bob", "--set", "priority=low", "--expected-version", "0")
    assert r.exit_code == 1 and "already accepted by alice at " in r.output and "reload and try again" in r.output
    assert cli("correct", rid, "--reviewer", "bob", "--set", "priority=low").exit_code == 0  # reads version 1 now
    assert [d.version for d in ReviewStore(review_kb.kb_root).decisions(rid)] == [1, 2]


def test_an_unknown_review_id_is_a_clear_error(cli):
    for args in (("show", "ffffffff"), ("accept", "ffffffff", "--reviewer", "a"),
                 ("reject", "ffffffff", "--reviewer", "a", "--reason", "x")):
        r = cli(*args)
        assert r.exit_code == 1 and "no review item" in r.output and "'ffffffff'" in r.output


def test_document_text_cannot_drive_the_terminal():
    assert safe("a\x1b[2Jb\u202ec\x00") == "a\\u001b[2Jb\\u202ec\\u0000"
    assert safe("line1\nline2\tx") == "line1\\nline2\\tx"
    assert safe("line1\nline2\tx", multiline=True) == "line1\nline2\tx"


def test_decisions_work_with_the_default_relative_kb_path(review_kb, monkeypatch):
    """As a user runs it from the repository: `kb` relative to the working directory."""
    monkeypatch.chdir(review_kb.kb_root.parent)
    monkeypatch.delenv("MAPPER_KB", raising=False)
    monkeypatch.setenv("MAPPER_SCHEMAS", str(review_kb.schemas_dir))
    rid = item_id(review_kb, "meter_email")
    r = CliRunner().invoke(review, ["accept", rid[:12], "--reviewer", "alice", "--kb", review_kb.kb_root.name],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert ReviewStore(review_kb.kb_root).get(rid).status == "accepted"


def test_a_landed_record_can_be_reopened_and_corrected(cli, review_kb):
    """Problem 1: `review correct <record_id>` of a straight-through record said "no review item"."""
    from pipelines.land.query import run_query

    df = run_query(review_kb.kb_root, "SELECT record_id, invoice_number, customer_name, provenance FROM invoice "
                                      "WHERE source_path LIKE '%aquaflow_0142.pdf'")
    record_id, number = df.record_id[0], df.invoice_number[0]
    before = {p["field"]: p["rule_id"] for p in df.provenance[0]}
    r = cli("correct", record_id, "--reviewer", "carol", "--set", "customer_name=Reopened Customer Ltd")
    assert r.exit_code == 0, r.output
    after = run_query(review_kb.kb_root, f"SELECT invoice_number, customer_name, provenance FROM invoice "
                                         f"WHERE record_id = '{record_id}'")
    assert len(after) == 1 and after.customer_name[0] == "Reopened Customer Ltd" and after.invoice_number[0] == number
    prov = {p["field"]: p["rule_id"] for p in after.provenance[0]}
    assert prov.pop("customer_name") == "reviewer:carol"
    assert prov == {k: v for k, v in before.items() if k != "customer_name"}
    r = cli("list", "--status", "corrected", "--json")
    items = [i for i in json.loads(r.output) if i["record_id"] == record_id]
    assert len(items) == 1 and items[0]["reasons"][0]["code"] == "reopened"
    # the person's decision survives a re-run of the same document
    from pipelines.run.direct import run
    from tests.review.conftest import SAMPLES

    run([SAMPLES / "invoices" / "aquaflow_0142.pdf"], review_kb)
    again = run_query(review_kb.kb_root, f"SELECT customer_name FROM invoice WHERE record_id = '{record_id}'")
    assert again.customer_name.tolist() == ["Reopened Customer Ltd"]
