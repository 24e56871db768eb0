"""Landing never loses a record: a writer stopped at every commit point of a re-run, and the
same bytes at several paths (one attachment in 20 emails; a copy overwritten at one path).

Real pipeline runs (parse, map, validate, land) over shipped samples into a tmp KB.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

import pytest

import pipelines.land.kb as kbmod
from pipelines.config import Settings
from pipelines.land.catalog import Catalog
from pipelines.land.kb import KnowledgeBase
from pipelines.run.mapper import Mapper
from pipelines.run.direct import run
from tests.support.shipped import MAPPINGS

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "data_samples"


class Killed(BaseException):
    """Stands in for the process dying: nothing after it runs, no handler catches it."""


@pytest.fixture(scope="module")
def mapper() -> Mapper:
    return Mapper.from_dirs(REPO / "schemas", MAPPINGS)


def settings_for(kb: Path) -> Settings:
    return Settings(kb_root=kb, schemas_dir=REPO / "schemas", mappings_dir=MAPPINGS, workers=1)


def state(kb: Path) -> dict[str, Counter]:
    """record_id multiset per table (every table must be readable)."""
    store = KnowledgeBase(kb)
    return {name: Counter(store.read(name, ["record_id"]).column("record_id").to_pylist())
            for name in store.schemas()}


def assert_consistent(kb: Path, landed_before: dict[str, Counter]) -> None:
    now = state(kb)
    for name, ids in now.items():
        assert max(ids.values(), default=1) == 1, f"{name}: a record_id twice"
    for name, ids in landed_before.items():  # nothing landed before is lost
        assert set(ids) <= set(now.get(name, {})), f"{name}: lost {set(ids) - set(now.get(name, {}))}"
    docs = Catalog(KnowledgeBase(kb)).read_documents().to_pylist()
    assert len({(d["document_id"], d["source_path"]) for d in docs}) == len(docs)
    store = KnowledgeBase(kb)
    rows = {name: store.read(name, ["document_id", "source_path"]).to_pylist() for name in store.schemas()}
    for d in docs:  # every record the catalog claims exists
        if d["outcome"] == "landed":
            have = sum(1 for r in rows.get(d["schema"], []) if (r["document_id"], r["source_path"]) == (d["document_id"], d["source_path"]))
            assert have >= d["n_records"], d


def test_a_writer_stopped_at_every_commit_of_a_rerun_loses_nothing(tmp_path, mapper, monkeypatch):
    inputs = tmp_path / "in"
    shutil.copytree(SAMPLES / "code", inputs, ignore=shutil.ignore_patterns("*.expected.json"))
    email = next(p for p in sorted((SAMPLES / "emails").glob("*.eml")) if b"Content-Disposition: attachment" in p.read_bytes())
    shutil.copy(email, inputs / email.name)
    base = tmp_path / "landed"
    first = run([inputs], settings_for(base), mapper=mapper)
    before = state(base)
    assert sum(len(v) for v in before.values()) == sum(first.landed_records.values()) > 0

    commits = 0
    real_retry = kbmod._retry

    def counting(fn):
        nonlocal commits
        result = real_retry(fn)
        commits += 1
        return result

    monkeypatch.setattr(kbmod, "_retry", counting)
    rerun = tmp_path / "rerun"
    shutil.copytree(base, rerun)
    run([inputs], settings_for(rerun), mapper=mapper)
    total = commits
    assert total >= 6  # records, review, catalog, then the supersession deletes

    for stop_at in range(total):
        kb = tmp_path / f"kill-{stop_at}"
        shutil.copytree(base, kb)
        commits = 0

        def dying(fn, stop_at=stop_at):
            nonlocal commits
            if commits == stop_at:
                raise Killed(f"stopped before commit {stop_at}")
            result = real_retry(fn)
            commits += 1
            return result

        monkeypatch.setattr(kbmod, "_retry", dying)
        with pytest.raises(Killed):
            run([inputs], settings_for(kb), mapper=mapper)
        assert_consistent(kb, before)
        monkeypatch.setattr(kbmod, "_retry", real_retry)
        run([inputs], settings_for(kb), mapper=mapper)  # the re-run completes: each record once
        assert state(kb) == before
        shutil.rmtree(kb)


def test_a_real_sigkill_mid_landing(tmp_path, mapper):
    """The same with a real SIGKILL of a `mapper run` process in the middle of its commits."""
    inputs = tmp_path / "in"
    shutil.copytree(SAMPLES / "code", inputs, ignore=shutil.ignore_patterns("*.expected.json"))
    kb = tmp_path / "kb"
    run([inputs], settings_for(kb), mapper=mapper)
    before = state(kb)
    script = textwrap.dedent(f"""
        import os, signal
        import pipelines.land.kb as kbmod
        real, n = kbmod._retry, [0]
        def dying(fn):
            if n[0] == 3:
                os.kill(os.getpid(), signal.SIGKILL)
            n[0] += 1
            return real(fn)
        kbmod._retry = dying
        from pipelines.cli import main
        main(["run", "--direct", "--kb", {str(kb)!r}, "--mappings", {str(MAPPINGS)!r},
              "--schemas", {str(REPO / "schemas")!r}, {str(inputs)!r}])
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert_consistent(kb, before)
    run([inputs], settings_for(kb), mapper=mapper)
    assert state(kb) == before


def _email(i: int, attachment: Path) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"accounts{i}@example.org"
    msg["To"] = "payables@example.net"
    msg["Subject"] = f"Invoice copy {i}"
    msg["Date"] = "Mon, 05 Jan 2026 10:00:00 +0000"
    msg["Message-ID"] = f"<copy-{i}@example.org>"
    msg.set_content(f"Please find the invoice attached (message {i}).")
    msg.add_attachment(attachment.read_bytes(), maintype="application", subtype="pdf", filename=attachment.name)
    return bytes(msg)


def landed_invoice_pdf(mapper: Mapper, tmp_path: Path) -> Path:
    """A shipped invoice PDF that lands on its own (so every copy should land)."""
    kb = tmp_path / "probe"
    for pdf in sorted((SAMPLES / "invoices").glob("*.pdf")):
        summary = run([pdf], settings_for(kb), mapper=mapper)
        if sum(summary.landed_records.values()) == 1:
            return pdf
    raise AssertionError("no sample invoice lands on its own")


def test_same_attachment_in_20_emails_lands_20_records(tmp_path, mapper):
    pdf = landed_invoice_pdf(mapper, tmp_path)
    inputs = tmp_path / "mail"
    inputs.mkdir()
    for i in range(20):
        (inputs / f"m{i:02d}.eml").write_bytes(_email(i, pdf))
    kb = tmp_path / "kb"
    summary = run([inputs], settings_for(kb), mapper=mapper)
    landed = sum(summary.landed_records.values())
    tables = state(kb)
    in_tables = sum(sum(c.values()) for c in tables.values())
    docs = Catalog(KnowledgeBase(kb)).read_documents().to_pylist()
    claimed = sum(d["n_records"] for d in docs if d["outcome"] == "landed")
    assert landed == in_tables == claimed  # the summary, the tables and the catalog agree
    assert summary.landed_records["invoice"] == sum(tables["invoice"].values()) == 20  # one per copy
    assert len(docs) == 40  # 20 emails + 20 attachments, one catalog row each
    attachments = [d for d in docs if d["parent_id"]]
    assert len({d["document_id"] for d in attachments}) == 1 and len({d["source_path"] for d in attachments}) == 20
    run([inputs], settings_for(kb), mapper=mapper)  # a re-run changes nothing
    assert state(kb) == tables


def test_copy_at_two_paths_then_one_overwritten(tmp_path, mapper):
    pdf = landed_invoice_pdf(mapper, tmp_path)
    other = next(p for p in sorted((SAMPLES / "invoices").glob("*.pdf")) if p.read_bytes() != pdf.read_bytes())
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(pdf, inputs / "a.pdf")
    shutil.copy(pdf, inputs / "b.pdf")
    kb = tmp_path / "kb"
    first = run([inputs], settings_for(kb), mapper=mapper)
    assert sum(first.landed_records.values()) == sum(sum(c.values()) for c in state(kb).values()) == 2

    shutil.copy(other, inputs / "a.pdf")  # a.pdf overwritten with other bytes; b.pdf unchanged
    run([inputs / "a.pdf"], settings_for(kb), mapper=mapper)
    store = KnowledgeBase(kb)
    rows = [r for name in store.schemas() for r in store.read(name, ["document_id", "source_path"]).to_pylist()]
    b_rows = [r for r in rows if r["source_path"].endswith("b.pdf")]
    assert b_rows and all(r["document_id"] != "" for r in b_rows)  # b's record survives
    docs = Catalog(store).read_documents().to_pylist()
    assert sorted(os.path.basename(d["source_path"]) for d in docs) == ["a.pdf", "b.pdf"]  # one row per path
    a_doc = next(d for d in docs if d["source_path"].endswith("a.pdf"))
    assert all(r["document_id"] == a_doc["document_id"] for r in rows if r["source_path"].endswith("a.pdf"))
