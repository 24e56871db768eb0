"""`mapper query` is read-only: every DuckDB path that writes a file, loads code or loosens the
sandbox is refused, and what it would have written does not exist afterwards.

Each attack is first shown to work on a plain DuckDB connection over the same KB (so the test
can fail), then run through the real CLI: in-process with click's runner for each write path,
and the two that reached code execution and file deletion in a real `mapper query` subprocess.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.land.kb import KnowledgeBase
from pipelines.land.query import QueryRefusedError, read_only_statement, run_query

SCHEMA = pa.schema([pa.field("record_id", pa.string(), nullable=False),
                    pa.field("document_id", pa.string(), nullable=False),
                    pa.field("invoice_number", pa.string()), pa.field("batch_id", pa.string())])


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    KnowledgeBase(root).write_records("invoice", [{"record_id": "d:1", "document_id": "d", "invoice_number": "INV-1"}],
                                      SCHEMA, "b1")
    (root / "_raw").mkdir()
    (root / "_raw" / "original.txt").write_text("raw bytes of an input\n")
    return root


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def cli_query(kb: Path, sql: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["query", "--kb", str(kb), sql])
    return res.exit_code, res.output


# (name, SQL with {kb} and {out}, what it writes under the KB's parent when it succeeds)
WRITES = [
    ("copy into the KB", "COPY (SELECT 1 AS x) TO '{kb}/invoice/evil.parquet'", "kb/invoice/evil.parquet"),
    ("copy a planted commit", "COPY (SELECT 1 AS x) TO '{kb}/invoice/_delta_log/00000000000000000009.json' (FORMAT csv)",
     "kb/invoice/_delta_log/00000000000000000009.json"),
    ("copy outside", "COPY (SELECT 1 AS x) TO '{out}/x.csv'", "out/x.csv"),
    ("export database", "EXPORT DATABASE '{out}/dump'", "out/dump"),
    ("attach a file", "ATTACH '{out}/new.duckdb' AS n", "out/new.duckdb"),
    ("create table in an attached file", "CREATE TABLE n.t AS SELECT 1", None),
    ("create table in memory", "CREATE TABLE t AS SELECT 1", None),
    ("create view", "CREATE VIEW v AS SELECT 1", None),
    ("install extension", "INSTALL httpfs", None),
    ("load extension", "LOAD httpfs", None),
    ("create secret", "CREATE PERSISTENT SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')", None),
    ("set external access", "SET enable_external_access = true", None),
    ("set allowed directories", "SET allowed_directories = ['/']", None),
    ("pragma", "PRAGMA enable_profiling", None),
    ("call", "CALL pragma_version()", None),
    ("two statements", "SELECT 1; COPY (SELECT 1) TO '{out}/y.csv'", "out/y.csv"),
    ("explain analyze copy", "EXPLAIN ANALYZE COPY (SELECT 1) TO '{out}/z.csv'", "out/z.csv"),
    ("checkpoint", "CHECKPOINT", None),
]


@pytest.mark.parametrize("name,sql,writes", WRITES, ids=[w[0] for w in WRITES])
def test_every_write_path_is_refused(kb: Path, tmp_path: Path, name: str, sql: str, writes: str | None):
    out = tmp_path / "out"
    out.mkdir()
    sql = sql.format(kb=kb, out=out)
    if writes:  # the attack works on a plain connection ...
        scratch = tmp_path / "plain"
        scratch.mkdir()
        (scratch / "kb" / "invoice" / "_delta_log").mkdir(parents=True)
        (scratch / "out").mkdir()
        con = duckdb.connect(":memory:")
        con.execute(sql.replace(str(kb), str(scratch / "kb")).replace(str(out), str(scratch / "out")))
        con.close()
        assert (scratch / writes).exists()
    before = files_under(tmp_path)
    code, output = cli_query(kb, sql)  # ... and is refused by `mapper query`
    assert code != 0, output
    assert "query refused" in output
    assert files_under(tmp_path) == before  # nothing written anywhere


def test_statement_check_accepts_every_select_form():
    for sql in ("SELECT 1", "FROM invoice", "WITH a AS (SELECT 1) SELECT * FROM a", "DESCRIBE invoice",
                "SHOW TABLES", "SUMMARIZE invoice", "VALUES (1)", "(SELECT 1) UNION (SELECT 2)"):
        assert read_only_statement(sql) == sql
    with pytest.raises(QueryRefusedError, match="does not parse"):
        read_only_statement("SELEC 1")


READS = [
    ("file outside the KB", "SELECT * FROM read_text('{secret}')"),
    ("raw store inside the KB", "SELECT * FROM read_text('{kb}/_raw/original.txt')"),
    ("csv outside", "SELECT * FROM read_csv('{secret}')"),
    ("glob outside", "SELECT * FROM glob('{secret_dir}/*')"),
]


@pytest.mark.parametrize("name,sql", READS, ids=[r[0] for r in READS])
def test_file_reads_are_refused(kb: Path, tmp_path: Path, name: str, sql: str):
    secret = tmp_path / "secret.txt"
    secret.write_text("a\nTOP-SECRET\n")
    sql = sql.format(kb=kb, secret=secret, secret_dir=tmp_path)
    assert len(duckdb.sql(sql).fetchall()) >= 1  # readable without the sandbox
    code, output = cli_query(kb, sql)
    assert code != 0 and "Permission Error" in output, output
    assert "TOP-SECRET" not in output and "raw bytes" not in output


def test_selects_still_work_and_large_sorts_do_not_spill_to_disk(kb: Path, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # DuckDB's default temp folder is ./.tmp
    code, output = cli_query(kb, "SELECT invoice_number FROM invoice")
    assert code == 0 and "INV-1" in output, output
    df = run_query(kb, "SELECT count(*) AS n FROM (SELECT * FROM range(3000000) t(x) ORDER BY random())")
    assert df.n.tolist() == [3_000_000]
    assert not (tmp_path / ".tmp").exists()
