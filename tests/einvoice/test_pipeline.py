"""E-invoices through the whole pipeline into a KB: one invoice row per invoice, counts reconcile."""

from __future__ import annotations

import shutil
from pathlib import Path

from pipelines.config import Settings
from pipelines.land.query import run_query
from pipelines.run.direct import run
from tests.support.shipped import MAPPINGS

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures" / "einvoice"


def test_inbox_of_einvoices_lands_and_reconciles(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("cii_invoice.xml", "ubl_credit_note.xml", "hybrid_agrees.pdf", "hybrid_page_mismatch.pdf"):
        shutil.copy(FIX / name, inbox / name)
    kb = tmp_path / "kb"
    settings = Settings(kb_root=kb, schemas_dir=ROOT / "schemas", mappings_dir=MAPPINGS, workers=1)
    summary = run([inbox], settings, batch_id="e1")
    assert summary.reconciles and summary.inputs == 4 and summary.attachments == 2
    assert summary.outcomes == {"landed": 3, "review": 1}
    rows = run_query(kb, "SELECT source_path, invoice_number, total_amount, einvoice_profile FROM invoice ORDER BY 2")
    assert [Path(p).name for p in rows.source_path] == ["cii_invoice.xml", "hybrid_agrees.pdf", "ubl_credit_note.xml"]
    assert [float(t) for t in rows.total_amount] == [1067.43, 1067.43, -1067.43]
    review = run_query(kb, "SELECT source_path, reasons FROM review")
    assert [Path(p).name for p in review.source_path] == ["hybrid_page_mismatch.pdf"]
    assert {r["code"] for r in review.reasons[0]} == {"einvoice_page_mismatch"}
    # provenance of the hybrid PDF's record: the XML element's path and span, in the XML child
    prov = run_query(kb, "SELECT p.document_id, p.path, p.evidence, i.document_id AS record_doc FROM invoice i, "
                         "unnest(provenance) AS t(p) WHERE i.source_path LIKE '%hybrid_agrees.pdf' AND p.field = 'total_amount'")
    xml_id = run_query(kb, "SELECT document_id FROM documents WHERE name = 'factur-x.xml' AND source_path LIKE '%hybrid_agrees%'").document_id[0]
    assert prov.document_id[0] == xml_id != prov.record_doc[0]
    assert prov.path[0].endswith("ram:GrandTotalAmount") and prov.evidence[0] == "1067.43"
    docs = run_query(kb, "SELECT name, outcome, n_records FROM documents WHERE parent_id IS NOT NULL")
    assert set(docs.name) == {"factur-x.xml"} and set(docs.outcome) == {"landed"} and set(docs.n_records) == {0}
