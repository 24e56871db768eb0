"""Mapping results are cached by document, rules and code: a re-run over unchanged documents
with unchanged rules maps nothing again and lands the same KB; a changed rule file, or a
damaged cache, maps again."""

import shutil
import sqlite3
from pathlib import Path

import pytest

from pipelines.config import Settings
from pipelines.run import mapper as run_mapper
from pipelines.run.direct import run
from pipelines.run.extract_cache import CACHE_FILE
from tests.run.test_direct import _tables
from tests.support.shipped import MAPPINGS, copy_shipped

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def corpus(tmp_path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    for rel in ("invoices/aquaflow_0142.pdf", "code/customers.sql", "emails/2026-01-19_old-bell_bill-query.eml",
                "contracts/chemical_supply_hartwell.docx"):
        shutil.copy(ROOT / "data_samples" / rel, d)
    return d


@pytest.fixture
def mapped(monkeypatch) -> list[str]:
    """The ids of the documents this process actually maps (not served from the cache)."""
    calls: list[str] = []
    real = run_mapper.map_document

    def counting(doc, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        calls.append(doc.id)
        return real(doc, *args, **kwargs)

    monkeypatch.setattr(run_mapper, "map_document", counting)
    return calls


def _settings(kb: Path, mappings: Path = MAPPINGS, workers: int = 0) -> Settings:
    return Settings(kb_root=kb, schemas_dir=ROOT / "schemas", mappings_dir=mappings, workers=workers)


def test_a_rerun_with_unchanged_rules_maps_nothing_and_lands_the_same(corpus, tmp_path, mapped):
    settings = _settings(tmp_path / "kb")
    first = run([corpus], settings, batch_id="one")
    n_docs = first.inputs + first.attachments
    assert len(mapped) == n_docs and first.reconciles
    tables = _tables(tmp_path / "kb")
    mapped.clear()
    second = run([corpus], settings, batch_id="two")
    assert mapped == []
    assert dict(second.outcomes) == dict(first.outcomes) and second.landed_records == first.landed_records
    assert _tables(tmp_path / "kb") == tables


def test_a_changed_rule_file_maps_again(corpus, tmp_path, mapped):
    rules = copy_shipped(MAPPINGS, tmp_path / "mappings")
    run([corpus], _settings(tmp_path / "kb", rules), batch_id="one")
    mapped.clear()
    target = next(p for p in sorted(rules.rglob("*.yaml")))
    target.write_text(target.read_text() + "\n# a reviewer's edit\n")
    run([corpus], _settings(tmp_path / "kb", rules), batch_id="two")
    assert len(mapped) >= 4  # every document again: any rule may decide any document


def test_a_damaged_cache_is_mapped_again_and_never_trusted(corpus, tmp_path, mapped):
    settings = _settings(tmp_path / "kb")
    first = run([corpus], settings, batch_id="one")
    tables = _tables(tmp_path / "kb")
    db = sqlite3.connect(tmp_path / "kb" / CACHE_FILE)
    db.execute("UPDATE mapped SET v = replace(v, '\"fields\"', '\"feelds\"')")  # no longer a Record
    db.commit()
    db.close()
    mapped.clear()
    second = run([corpus], settings, batch_id="two")
    assert len(mapped) == first.inputs + first.attachments
    assert _tables(tmp_path / "kb") == tables
    (tmp_path / "kb" / CACHE_FILE).write_bytes(b"not a database")
    for extra in ("-wal", "-shm"):
        Path(str(tmp_path / "kb" / CACHE_FILE) + extra).unlink(missing_ok=True)
    third = run([corpus], settings, batch_id="three")
    assert dict(third.outcomes) == dict(second.outcomes) and _tables(tmp_path / "kb") == tables


def test_parse_workers_fill_and_read_the_same_cache(corpus, tmp_path):
    settings = _settings(tmp_path / "kb", workers=2)
    first = run([corpus], settings, batch_id="one")
    db = sqlite3.connect(tmp_path / "kb" / CACHE_FILE)
    assert db.execute("SELECT count(*) FROM mapped").fetchone()[0] == first.inputs + first.attachments
    db.close()
    tables = _tables(tmp_path / "kb")
    second = run([corpus], settings, batch_id="two")
    assert dict(second.outcomes) == dict(first.outcomes) and _tables(tmp_path / "kb") == tables


def test_a_planted_entry_for_another_document_or_a_trigger_is_not_used(corpus, tmp_path, mapped):
    """Someone who can write the state folder cannot make a run land another document's record,
    nor have the database rewrite what is stored (a trigger): the cache is off, the run is right."""
    settings = _settings(tmp_path / "kb")
    first = run([corpus], settings, batch_id="one")
    tables = _tables(tmp_path / "kb")
    db = sqlite3.connect(tmp_path / "kb" / CACHE_FILE)
    rows = db.execute("SELECT k, v FROM mapped").fetchall()
    donor = next(v for _, v in rows if '"invoice_number"' in v)
    db.executemany("UPDATE mapped SET v = ? WHERE k = ?", [(donor.replace(
        donor[donor.index('"key":'):donor.index(',"result"')], v[v.index('"key":'):v.index(',"result"')]), k)
        for k, v in rows if v != donor])  # every entry now holds the invoice's record under its own key
    db.commit()
    mapped.clear()
    run([corpus], settings, batch_id="two")
    assert len(mapped) == first.inputs + first.attachments - 1  # only the invoice's own entry was used
    assert _tables(tmp_path / "kb") == tables
    db.execute("CREATE TRIGGER t AFTER INSERT ON mapped BEGIN UPDATE mapped SET v = 'x'; END")
    db.commit()
    db.close()
    mapped.clear()
    run([corpus], settings, batch_id="three")
    assert len(mapped) == first.inputs + first.attachments and _tables(tmp_path / "kb") == tables


def test_a_document_parsed_differently_is_mapped_again(tmp_path, mapped):
    """The key holds the parsed text: a parser, OCR or limits change that reads other text is a miss."""
    from pipelines.model.document import Document
    from pipelines.run.extract_cache import ExtractCache
    from pipelines.run.mapper import Mapper

    m = Mapper.from_dirs(ROOT / "schemas", MAPPINGS)
    m.use_cache(tmp_path / "kb")
    doc = Document(id="ab" * 32, source_path="x.txt", media_type="text/plain", size=1, name="x.txt",
                   text="INVOICE\nInvoice No: 42\nDate: 1 March 2026\nTotal: 10.00 EUR\n")
    m.map(doc)
    assert isinstance(m.cache, ExtractCache) and m.cache.get(doc, None) is not None
    reparsed = Document(id=doc.id, source_path=doc.source_path, media_type=doc.media_type, size=1, name=doc.name,
                        text=doc.text.replace("42", "43"))
    assert m.cache.get(reparsed, None) is None
    mapped.clear()
    m.map(reparsed)
    assert [d for d in mapped] == [doc.id]  # mapped again, then served
    assert m.cache.get(reparsed, None) is not None
