"""Review decisions from several machines: a create-if-absent claim on the store, not a flock.

Four processes (each with its own working folder, sharing nothing but the S3 server) decide
the same review item at once: exactly one decision is recorded and lands its record, the
others are told who decided. Claims on a local folder behave the same, and a dead holder's
claim is passed over.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from pipelines.land import claim
from pipelines.land.catalog import Catalog, review_row
from pipelines.land.kb import KnowledgeBase
from pipelines.review import store as review_store
from pipelines.review.store import ConflictError, Decision, ReviewStore
from tests.support.servers import bucket_keys, make_bucket

REPO = Path(__file__).resolve().parents[2]
REVIEWERS = ("ana", "ben", "chloe", "dev")

DECIDE = textwrap.dedent("""
    import json, os, sys, time
    from datetime import UTC, datetime
    import pyarrow as pa
    from pipelines.land.kb import KnowledgeBase
    from pipelines.review.store import ConflictError, Decision, ReviewStore
    root, rid, name, start = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    schema = pa.schema([pa.field("record_id", pa.string(), nullable=False),
                        pa.field("document_id", pa.string(), nullable=False), pa.field("decided_by", pa.string())])
    store = ReviewStore(root)
    item = store.get(rid)

    def land(d):  # what actions do on commit: the record lands only for the decision that won
        KnowledgeBase(root).write_records("invoice", [{"record_id": item.record_id, "document_id": item.document_id,
                                                       "decided_by": d.reviewer}], schema, "reviewed")

    d = Decision(decision_id="", review_id=rid, record_id="", document_id="", schema="", reviewer=name,
                 action="accept", before={}, after={}, corrections=[], reason=None,
                 decided_at=datetime.now(UTC), version=0)
    time.sleep(max(0.0, start - time.time()))
    try:
        print(json.dumps({"saved": store.record_decision(d, item.version, on_commit=land).version}))
    except ConflictError as exc:
        print(json.dumps({"conflict": str(exc)}))
    # Skip the interpreter's teardown: with four processes on the S3 server, a native library's
    # teardown at exit aborted about one run in three (std::terminate, after the work was done
    # and printed; not seen with os._exit). This test is about the claims, not that defect.
    sys.stdout.flush()
    os._exit(0)
""")


def _queue(root: str) -> str:
    row = review_row({"record_id": "rec-1", "document_id": "doc-1", "source_path": "in/a.pdf", "total": "10.00"},
                     schema="invoice", reasons=[("low_confidence", "total", "unsure")])
    Catalog(KnowledgeBase(root)).write_review([row], "b1")
    return row["review_id"]


def _decision(rid: str, reviewer: str) -> Decision:
    return Decision(decision_id="", review_id=rid, record_id="", document_id="", schema="", reviewer=reviewer,
                    action="reject", before={}, after=None, corrections=[], reason="not ours",
                    decided_at=datetime.now(UTC), version=0)


def test_four_machines_deciding_one_item_on_s3_record_one_decision(tmp_path, s3_server, s3_env):
    bucket = f"kb-{uuid.uuid4().hex[:8]}"
    make_bucket(s3_server, bucket)
    root = f"s3://{bucket}/kb"
    rid = _queue(root)
    start = time.time() + 8  # every process imported and loaded before the race starts
    procs = []
    for name in REVIEWERS:  # separate working folders: nothing local is shared
        (tmp_path / name).mkdir()
        env = os.environ | s3_env | {"MAPPER_STATE": str(tmp_path / name / "state"), "PYTHONPATH": str(REPO)}
        procs.append(subprocess.Popen([sys.executable, "-c", DECIDE, root, rid, name, str(start)], cwd=tmp_path / name,
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outcomes = {}
    for name, p in zip(REVIEWERS, procs):
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-3000:]
        outcomes[name] = json.loads(out.strip().splitlines()[-1])
    winners = [n for n, o in outcomes.items() if "saved" in o]
    assert len(winners) == 1, outcomes
    assert all(f"already accepted by {winners[0]}" in o["conflict"] for n, o in outcomes.items() if n != winners[0])
    store = ReviewStore(root)
    assert [(d.reviewer, d.version) for d in store.decisions(rid)] == [(winners[0], 1)]
    assert store.get(rid).status == "accepted"
    landed = KnowledgeBase(root).read("invoice").to_pylist()
    assert [r["decided_by"] for r in landed] == winners  # the losers landed nothing
    assert any(k.startswith(f"kb/_review/claims/{rid}/1-") for k in bucket_keys(s3_server, bucket))
    assert not any((tmp_path / n / "state").exists() for n in REVIEWERS)


def test_a_claim_is_created_once_locally_and_on_s3(tmp_path, s3_server, s3_env):
    bucket = f"kb-{uuid.uuid4().hex[:8]}"
    make_bucket(s3_server, bucket)
    for root in (str(tmp_path / "kb"), f"s3://{bucket}/kb"):
        assert claim.read(root, "_review", "x", "1-0") is None
        assert claim.create(root, "_review", "x", "1-0", body={"reviewer": "ana"}) is True
        assert claim.create(root, "_review", "x", "1-0", body={"reviewer": "ben"}) is False
        held = claim.read(root, "_review", "x", "1-0")
        assert held["reviewer"] == "ana" and claim.age_seconds(held) < 60
        with pytest.raises(ValueError):
            claim.create(root, "_review", "..", "1-0", body={})


def _plant(root: Path, rid: str, name: str, reviewer: str, at: datetime) -> None:
    path = root.joinpath(*review_store.CLAIMS_DIR, rid, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"reviewer": reviewer, "at": at.isoformat()}))


def test_a_dead_holders_claim_is_passed_over_and_a_live_one_is_named(tmp_path, monkeypatch):
    root = tmp_path / "kb"
    rid = _queue(str(root))
    monkeypatch.setattr(review_store, "CLAIM_WAIT_S", 0.5)
    _plant(root, rid, "1-0", "zoe", datetime.now(UTC))  # alive: deciding right now
    with pytest.raises(ConflictError, match="is being decided by zoe since"):
        ReviewStore(root).record_decision(_decision(rid, "ana"), 0)
    _plant(root, rid, "1-0", "zoe", datetime.now(UTC) - timedelta(hours=1))  # died an hour ago
    stored = ReviewStore(root).record_decision(_decision(rid, "ana"), 0)
    assert stored.version == 1 and (root / "_review" / "claims" / rid / "1-1").exists()
    assert [d.reviewer for d in ReviewStore(root).decisions(rid)] == ["ana"]
    with pytest.raises(ConflictError, match="already rejected by ana"):  # version 1 is taken for good
        ReviewStore(root).record_decision(_decision(rid, "ben"), 0)
