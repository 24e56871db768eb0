"""The rules-only pipeline end to end on real sample files: land, query, reconcile, re-run."""

import shutil
from pathlib import Path

import duckdb
from click.testing import CliRunner
from deltalake import DeltaTable

from pipelines.cli import main
from pipelines.config import Settings
from pipelines.land.query import run_query
from pipelines.run.direct import run
from tests.support.shipped import MAPPINGS

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data_samples"


def _settings(kb: Path) -> Settings:
    return Settings(kb_root=kb, schemas_dir=ROOT / "schemas", mappings_dir=MAPPINGS, workers=1)


def _corpus(tmp_path: Path) -> Path:
    src = tmp_path / "in"
    for rel in ("invoices/aquaflow_0142.pdf", "invoices/scan_20260217_093112.pdf",
                "emails/2026-01-19_old-bell_bill-query.eml", "contracts/framework_mains_repair_brunel.docx",
                "code/customers.sql", "misc/meter_readings_2025-11_to_2026-01.csv"):
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SAMPLES / rel, src / rel)
    (src / "empty.pdf").write_bytes(b"")
    return src


def test_run_lands_records_queryable_with_duckdb_and_counts_reconcile(tmp_path):
    kb = tmp_path / "kb"
    summary = run([_corpus(tmp_path)], _settings(kb), batch_id="b1")
    assert summary.inputs == 7 and summary.attachments == 1
    assert summary.reconciles
    assert summary.outcomes["quarantined"] == 1  # the empty file (the scan is OCR'd)
    invoices = DeltaTable(str(kb / "invoice")).to_pyarrow_dataset()  # a plain reader: deltalake + DuckDB
    rows = duckdb.sql("SELECT invoice_number, total_amount, currency FROM invoices ORDER BY 1").fetchall()
    assert ("AF-2026-0142", 4191.24, "GBP") in [(r[0], float(r[1]), r[2]) for r in rows]
    customers = run_query(kb, "SELECT count(*) AS n FROM customer")
    assert customers.n[0] == 10
    docs = run_query(kb, "SELECT outcome, reason_code, email_subject FROM documents")
    assert len(docs) == summary.inputs + summary.attachments
    assert set(docs.outcome) <= {"landed", "review", "quarantined"}
    assert "Query on bill SVW-B-2026-004512" in set(docs.email_subject.dropna())
    prov = run_query(kb, "SELECT p.field, p.method, p.rule_id, p.evidence FROM invoice, unnest(provenance) AS t(p) "
                         "WHERE invoice_number = 'AF-2026-0142' AND p.field = 'invoice_number'")
    assert prov.evidence[0] == "AF-2026-0142" and prov.method[0] == "rule"


def test_rerun_is_idempotent(tmp_path):
    kb = tmp_path / "kb"
    corpus = _corpus(tmp_path)
    run([corpus], _settings(kb), batch_id="b1")
    first = run_query(kb, "SELECT record_id FROM customer ORDER BY 1").record_id.tolist()
    run([corpus], _settings(kb), batch_id="b2")
    second = run_query(kb, "SELECT record_id FROM customer ORDER BY 1").record_id.tolist()
    assert first == second and len(set(second)) == len(second)
    docs = run_query(kb, "SELECT document_id, count(*) AS n FROM documents GROUP BY 1 HAVING n > 1")
    assert docs.empty
    assert not list(kb.rglob(".tmp-*"))


def test_cli_run_and_query(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))  # never the checkout's instance
    corpus = _corpus(tmp_path)
    kb = tmp_path / "kb"
    runner = CliRunner()
    result = runner.invoke(main, ["run", str(corpus), "--kb", str(kb), "--schemas", str(ROOT / "schemas"),
                                  "--mappings", str(MAPPINGS), "--workers", "0"])
    assert result.exit_code == 0, result.output
    assert "counts reconcile: yes" in result.output and "LLM: off" in result.output
    q = runner.invoke(main, ["query", "SELECT count(*) AS n FROM invoice", "--kb", str(kb), "--format", "csv"])
    assert q.exit_code == 0 and q.output.strip().splitlines()[-1] == "2"


def test_every_command_has_help():
    runner = CliRunner()
    for args in (["--help"], ["parse", "--help"], ["run", "--help"], ["query", "--help"], ["eval", "--help"],
                 ["rules", "check", "--help"], ["rules", "test", "--help"]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0 and "Usage" in result.output


def test_shipped_rule_examples_pass():
    result = CliRunner().invoke(main, ["rules", "test", "--schemas", str(ROOT / "schemas"), "--mappings", str(MAPPINGS)])
    assert result.exit_code == 0, result.output
    assert " 0 failed" in result.output


def test_changed_file_at_same_path_replaces_its_old_results(tmp_path):
    kb = tmp_path / "kb"
    src = tmp_path / "in"
    src.mkdir()
    note = src / "customers.sql"
    note.write_bytes((SAMPLES / "code/customers.sql").read_bytes())
    run([src], _settings(kb), batch_id="b1")
    old_ids = set(run_query(kb, "SELECT document_id FROM customer").document_id)
    note.write_bytes(note.read_bytes() + b"\n-- edited\n")
    run([src], _settings(kb), batch_id="b2")
    new = run_query(kb, "SELECT document_id, count(*) AS n FROM customer GROUP BY 1")
    assert len(new) == 1 and set(new.document_id).isdisjoint(old_ids) and new.n[0] == 10
    assert len(run_query(kb, "SELECT * FROM documents")) == 1
