"""`mapper run --direct`: the stages chained in process, or parse + map + judge in the workers;
both land the same KB, and the workers send back outcomes only."""

import pickle
import shutil
from pathlib import Path

import pytest
from deltalake import DeltaTable

from pipelines.config import Settings
from pipelines.parse import cache as parse_cache
from pipelines.run import work
from pipelines.run.direct import run
from tests.support.shipped import MAPPINGS

ROOT = Path(__file__).resolve().parents[2]
VOLATILE = {"batch_id", "processed_at", "created_at", "extracted_at"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("in")
    for rel in ("invoices/aquaflow_0142.pdf", "code/customers.sql", "emails/2026-01-19_old-bell_bill-query.eml"):
        shutil.copy(ROOT / "data_samples" / rel, d)
    (d / "broken.pdf").write_bytes(b"%PDF-1.4 truncated")
    return d


def _settings(kb: Path, workers: int) -> Settings:
    return Settings(kb_root=kb, schemas_dir=ROOT / "schemas", mappings_dir=MAPPINGS, workers=workers)


def _tables(kb: Path) -> dict[str, list[dict]]:
    out = {}
    for t in sorted(p for p in kb.iterdir() if (p / "_delta_log").is_dir()):
        table = DeltaTable(str(t)).to_pyarrow_table()
        key = next(k for k in ("record_id", "review_id", "document_id") if k in table.column_names)
        rows = table.to_pylist()
        out[t.name] = sorted(({k: str(v) for k, v in r.items() if k not in VOLATILE} for r in rows), key=lambda r: r[key])
    return out


def test_workers_and_in_process_land_the_same_kb(corpus, tmp_path):
    in_process = run([corpus], _settings(tmp_path / "kb0", 0), batch_id="b")
    in_workers = run([corpus], _settings(tmp_path / "kb2", 2), batch_id="b")
    assert in_workers.as_dict() | {"kb_root": ""} == in_process.as_dict() | {"kb_root": ""}
    assert in_workers.reconciles and in_workers.inputs == 4 and in_workers.attachments >= 1
    assert in_workers.outcomes["quarantined"] == 1 and in_workers.landed_records["invoice"] >= 1
    assert _tables(tmp_path / "kb2") == _tables(tmp_path / "kb0")


def test_a_worker_sends_back_outcomes_without_text_or_word_boxes_and_fills_the_parse_cache(corpus, tmp_path):
    settings = _settings(tmp_path / "kb", 1)
    work.setup(settings)  # what each worker runs once; here in this process to look at one result
    path = str(corpus / "aquaflow_0142.pdf")
    first = work.parse_and_judge(path, settings.limits, str(settings.raw_root))
    assert not first.from_cache and len(first.outcomes) == 1
    oc = first.outcomes[0]
    assert oc.outcome == "landed" and oc.records[0].fields["invoice_number"].value
    assert (oc.document.text, oc.document.elements, oc.document.pages) == ("", [], [])
    assert len(pickle.dumps(first)) < 20_000  # what crosses the process boundary: records, not the page
    assert parse_cache.entries(settings.kb_root, oc.document.id)
    again = work.parse_and_judge(path, settings.limits, str(settings.raw_root))
    assert again.from_cache and again.outcomes[0].records[0].fields == oc.records[0].fields


def test_the_kb_inside_an_input_folder_is_never_an_input(tmp_path):
    """`mapper run .` beside its KB: the KB's stored originals, tables and caches are left out
    (reported as skipped), so a second run lands the same documents and nothing of the KB."""
    shutil.copy(ROOT / "data_samples" / "invoices" / "aquaflow_0142.pdf", tmp_path)
    settings = _settings(tmp_path / "kb", 0)
    first = run([tmp_path], settings, batch_id="b1")
    assert first.inputs == 1 and (tmp_path / "kb" / "_raw").is_dir()
    second = run([tmp_path], settings, batch_id="b2")
    assert second.reconciles and second.inputs == 1 and second.outcomes["landed"] == 1
    assert len(_tables(tmp_path / "kb")["documents"]) == 1
    assert len(_tables(tmp_path / "kb")["invoice"]) == 1


def test_a_value_with_a_lone_surrogate_quarantines_its_document_not_the_batch(tmp_path):
    """A JSON or Python escape such as "\\udc80" decodes to half a character, which no table can
    store: its document is quarantined, the others land, in process and over the stage hand-offs."""
    from pipelines.parse.run import parse_file
    from pipelines.run import files

    d = tmp_path / "in"
    d.mkdir()
    crm = (ROOT / "data_samples" / "misc" / "crm_export_2026-03-01.json").read_text(encoding="utf-8")
    name = crm.split('"displayName": "', 1)[1].split('"', 1)[0]
    (d / "crm.json").write_text(crm.replace(name, name[:3] + "\\udc80" + name[3:], 1), encoding="utf-8")
    shutil.copy(ROOT / "data_samples" / "code" / "customers.sql", d)
    summary = run([d], _settings(tmp_path / "kb", 0), batch_id="b")
    assert summary.reconciles and summary.outcomes["quarantined"] == 1 and summary.landed_records["customer"] >= 1
    docs = {r["name"]: r for r in DeltaTable(str(tmp_path / "kb" / "documents")).to_pyarrow_table().to_pylist()}
    assert docs["crm.json"]["outcome"] == "quarantined" and docs["crm.json"]["reason_code"] == "undecodable_text"
    assert docs["customers.sql"]["outcome"] == "landed"
    doc = parse_file(d / "crm.json")
    wd = files.work_dir(tmp_path / "kb", "b2")
    assert files.dump_stream(wd / files.PARSED, [doc]) == 1
    assert [x.text for x in files.load_stream(wd / files.PARSED)] == [doc.text]
