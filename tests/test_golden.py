"""Golden tests: the shipped rules on the shipped samples, scored field by field."""

from pathlib import Path

from pipelines.config import Settings
from pipelines.evaluate import evaluate_paths, format_report
from tests.support.shipped import MAPPINGS

ROOT = Path(__file__).resolve().parents[1]


def test_data_samples_meet_quality_floors(tmp_path):
    settings = Settings(kb_root=tmp_path / "kb-unused", schemas_dir=ROOT / "schemas", mappings_dir=MAPPINGS, workers=0)
    report = evaluate_paths([str(ROOT / "data_samples")], settings)
    print(format_report(report))
    overall = report.schema_score()
    assert report.documents >= 60  # 55 files plus their attachments
    assert overall.f1 >= 0.98, format_report(report)
    assert report.straight_through_rate >= 0.80
    for schema in ("invoice", "support_case", "contract", "customer", "tariff"):
        assert report.schema_score(schema).tp > 0, schema
