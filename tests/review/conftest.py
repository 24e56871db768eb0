"""A small KB built by the real pipeline over sample files, some landing and some in review.

`built_review_kb` (session): the pristine KB, built once. Tests that change it use
`review_kb`: Settings pointing at a fresh copy per test (copying is cheap; building is not).
The direct pipeline does not fill the parse cache, so documents come from the raw store
unless a test caches them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelines.config import Settings
from tests.support.shipped import MAPPINGS

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data_samples"

# (relative path, what the rules-only pipeline does with it)
REVIEW_SAMPLES = {
    "scan_invoice": "invoices/scan_20260217_093112.pdf",  # invoice, failed_check lines_add_up (OCR)
    "lines_off_invoice": "lines_off_invoice.pdf",  # drawn below (LINES_OFF): invoice, failed_check lines_add_up
    "meter_email": "emails/2026-03-05_pershore-fresh_meter-photo.msg",  # support_case low_confidence + unclassified photo
    "meter_csv": "misc/meter_readings_2025-11_to_2026-01.csv",  # unclassified
}
LANDING_SAMPLES = ("invoices/aquaflow_0142.pdf", "emails/2026-01-19_old-bell_bill-query.eml")

# An invoice whose printed lines do not add up to its printed subtotal (a supplier's slip: the
# labour line says 390.00 where 6 x 50.00 is 300.00); everything else is consistent, so the
# only issue is the failed check lines_add_up. LINES_OFF_FIXED is the reviewer's line list.
LINES_OFF_ITEMS = [("Pump overhaul kit", "2", "240.00", "480.00"), ("Site labour (hours)", "6", "50.00", "390.00")]
LINES_OFF_FIXED = [{"description": "Pump overhaul kit", "quantity": "2", "unit_price": "240.00", "amount": "480.00"},
                   {"description": "Site labour (hours)", "quantity": "6", "unit_price": "50.00", "amount": "300.00"}]


def write_lines_off_invoice(path: Path) -> Path:
    """Draw the LINES_OFF invoice (reportlab, deterministic) to `path`."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    _, h = A4
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    c.setFont("Helvetica-Bold", 16)
    c.drawString(50, h - 60, "Fenwick Pump Services Ltd")
    c.setFont("Helvetica", 10)
    c.drawString(50, h - 76, "8 Mill Lane, Ashby LE65 1AB")
    c.drawString(50, h - 90, "VAT No: GB 318 4420 17")
    c.drawString(50, h - 104, "www.fenwickpumpservices.co.uk")
    c.drawString(360, h - 60, "INVOICE")
    c.drawString(360, h - 76, "Invoice No: FPS-20417")
    c.drawString(360, h - 90, "Invoice Date: 14 March 2026")
    c.drawString(360, h - 104, "Due Date: 13 April 2026")
    c.drawString(360, h - 118, "Currency: GBP")
    c.drawString(50, h - 140, "Bill To:")
    c.drawString(50, h - 154, "Larkfield Dairy Ltd")
    y = h - 210
    c.setFont("Helvetica-Bold", 10)
    for x, t in ((50, "Description"), (330, "Qty"), (420, "Unit Price"), (530, "Amount")):
        (c.drawString if x == 50 else c.drawRightString)(x, y, t)
    c.setFont("Helvetica", 10)
    for desc, qty, price, amount in LINES_OFF_ITEMS:
        y -= 16
        c.drawString(50, y, desc)
        for x, v in ((330, qty), (420, price), (530, amount)):
            c.drawRightString(x, y, v)
    y -= 30
    for label, amount in (("Subtotal", "780.00"), ("VAT 20%", "156.00"), ("Total Due GBP", "936.00")):
        c.drawRightString(420, y, label)
        c.drawRightString(530, y, amount)
        y -= 16
    c.save()
    return path


def settings_for(kb: Path) -> Settings:
    return Settings(kb_root=kb, schemas_dir=ROOT / "schemas", mappings_dir=MAPPINGS, raw_dir=None, workers=0)


@pytest.fixture(scope="session")
def built_review_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pipelines.run.direct import run

    kb = tmp_path_factory.mktemp("review_kb_build") / "kb"
    drawn = write_lines_off_invoice(kb.parent / REVIEW_SAMPLES["lines_off_invoice"])
    paths = [SAMPLES / p if (SAMPLES / p).is_file() else drawn for p in (*REVIEW_SAMPLES.values(), *LANDING_SAMPLES)]
    summary = run(paths, settings_for(kb), batch_id="build")
    assert summary.reconciles and summary.outcomes["review"] >= 3, summary.as_dict()
    return kb


@pytest.fixture
def review_kb(built_review_kb: Path, tmp_path: Path) -> Settings:
    """Settings for a private copy of the built KB and of the shipped mappings (schemas of the repository)."""
    kb = tmp_path / "kb"
    shutil.copytree(built_review_kb, kb)
    mappings = Path(shutil.copytree(MAPPINGS, tmp_path / "mappings"))  # a test may promote rules into it
    return Settings(kb_root=kb, schemas_dir=ROOT / "schemas", mappings_dir=mappings, raw_dir=None, workers=0)


def item_id(settings: Settings, sample: str, schema: str | None = None) -> str:
    """The review id of a sample's queued record (sample: a key of REVIEW_SAMPLES)."""
    from pipelines.review.store import ReviewStore

    items = [i for i in ReviewStore(settings.kb_root).items(status=None, source=REVIEW_SAMPLES[sample], schema=schema)
             if schema is not None or "#" not in i.source_path]
    assert len(items) == 1, [(i.schema, i.source_path) for i in items]
    return items[0].review_id


def run_stages(settings: Settings, paths: list[Path], batch_id: str) -> dict:
    """The stages `mapper run` materialises in Dagster, called directly (fills the parse cache)."""
    from pipelines.run import stages
    from pipelines.run.batch import register_batch
    from pipelines.run.hold import HoldPolicy
    from pipelines.run.mapper import Mapper

    mapper = Mapper.from_dirs(settings.schemas_dir, settings.mappings_dir)
    register_batch(settings.kb_root, batch_id, [str(p) for p in paths])
    stages.ingest(settings, batch_id)
    stages.parse(settings, batch_id)
    stages.extract(settings, batch_id, mapper)
    stages.judge(settings, batch_id, mapper, HoldPolicy(min_history=10**6))
    return stages.land(settings, batch_id, mapper)
