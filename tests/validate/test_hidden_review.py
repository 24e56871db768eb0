"""End to end: a Word invoice with its number and an IBAN in white 1-pt and w:vanish runs lands
nothing from them; the visible copy lands straight-through, the doctored copy goes to review
with `hidden_text`, its values read only from what a person sees."""

from __future__ import annotations

from pathlib import Path

import docx
from docx.shared import Pt, RGBColor

from pipelines.config import Settings
from pipelines.land.query import run_query
from pipelines.run.direct import run
from tests.support.shipped import MAPPINGS

ROOT = Path(__file__).resolve().parents[2]


def _invoice(path: Path, *, doctored: bool) -> None:
    d = docx.Document()
    d.add_heading("Northfield Joinery Ltd", 1)
    d.add_paragraph("12 Canal Street, Leeds LS1 4AB")
    d.add_heading("INVOICE", 2)
    p = d.add_paragraph("Invoice Number: ")
    if doctored:
        r = p.add_run("HACK-7731")
        r.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
        r.font.size = Pt(1)
    p.add_run("NJ-20931")
    d.add_paragraph("Invoice Date: 14 March 2026")
    d.add_paragraph("Bill To: Harbour Dental Practice")
    t = d.add_table(rows=3, cols=2)
    for i, (a, b) in enumerate([("Description", "Amount"), ("Oak shelving, fitted", "400.00"), ("Labour", "200.00")]):
        t.cell(i, 0).text, t.cell(i, 1).text = a, b
    d.add_paragraph("Subtotal: 600.00")
    d.add_paragraph("VAT (20%): 120.00")
    d.add_paragraph("Total Due: GBP 720.00")
    # paid by card: the payment backs the total, so its agreement family is calibrated (a total read
    # by a family the calibration never measured would not land by itself)
    d.add_paragraph("Paid by card: GBP 720.00")
    p = d.add_paragraph("Bank: ")
    if doctored:
        p.add_run("IBAN GB33BUKB20201555555555 ").font.hidden = True
    d.save(path)


def test_hidden_runs_are_no_evidence_and_send_the_document_to_review(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    _invoice(src / "plain.docx", doctored=False)
    _invoice(src / "doctored.docx", doctored=True)
    kb = tmp_path / "kb"
    settings = Settings(kb_root=kb, schemas_dir=ROOT / "schemas", mappings_dir=MAPPINGS, workers=1)
    summary = run([src], settings, batch_id="b1")
    assert summary.review_reasons.get("hidden_text") == 1
    docs = run_query(kb, "SELECT source_path, outcome, reason FROM documents")
    rows = {Path(r.source_path).name: (r.outcome, r.reason) for r in docs.itertuples()}
    assert rows["plain.docx"][0] == "landed"
    # first reason: the hidden text (the letterhead address, optional and below the landing threshold, is also named)
    assert rows["doctored.docx"][0] == "review" and rows["doctored.docx"][1].split("; ")[0] == "hidden_text:-"
    landed = run_query(kb, "SELECT invoice_number FROM invoice")["invoice_number"].tolist()
    assert landed == ["NJ-20931"]
    proposed = run_query(kb, "SELECT proposed FROM review")["proposed"].tolist()
    assert len(proposed) == 1 and "NJ-20931" in proposed[0]
    assert "HACK-7731" not in proposed[0] and "GB33BUKB" not in proposed[0]
    reasons = run_query(kb, "SELECT unnest(reasons).message AS m FROM review")["m"].tolist()
    assert any("nobody can see" in m and "HACK-7731" in m for m in reasons)  # the reviewer is told what
