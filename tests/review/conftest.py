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
    "rhein_invoice": "invoices/rheinhydro_00533.pdf",  # invoice, failed_check lines_add_up
    "meter_email": "emails/2026-03-05_pershore-fresh_meter-photo.msg",  # support_case low_confidence + unclassified photo
    "meter_csv": "misc/meter_readings_2025-11_to_2026-01.csv",  # unclassified
}
LANDING_SAMPLES = ("invoices/aquaflow_0142.pdf", "emails/2026-01-19_old-bell_bill-query.eml")


def settings_for(kb: Path) -> Settings:
    return Settings(kb_root=kb, schemas_dir=ROOT / "schemas", mappings_dir=MAPPINGS, raw_dir=None, workers=0)


@pytest.fixture(scope="session")
def built_review_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pipelines.run.direct import run

    kb = tmp_path_factory.mktemp("review_kb_build") / "kb"
    paths = [SAMPLES / p for p in (*REVIEW_SAMPLES.values(), *LANDING_SAMPLES)]
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
