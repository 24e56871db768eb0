"""`mapper query` is read-only: every DuckDB path that writes a file, loads code or loosens the
sandbox is refused, and what it would have written does not exist afterwards.

Each attack is first shown to work on a plain DuckDB connection over the same KB (so the test
can fail), then run through the real CLI: in-process with click's runner for each write path,
and the two that reached code execution and file deletion in a real `mapper query` subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.land import atomic
from pipelines.land.kb import KnowledgeBase
from pipelines.land.query import QueryRefusedError, read_only_statement, run_query

SCHEMA = pa.schema([pa.field("record_id", pa.string(), nullable=False),
                    pa.field("document_id", pa.string(), nullable=False),
                    pa.field("invoice_number", pa.string()), pa.field("batch_id", pa.string())])


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    store = KnowledgeBase(tmp_path / "kb")
    store.write_records("invoice", [{"record_id": "d:1", "document_id": "d", "invoice_number": "INV-1"}], SCHEMA, "b1")
    (store.root / "_raw").mkdir()
    (store.root / "_raw" / "original.txt").write_text("raw bytes of an input\n")
    return store.root


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def cli_query(kb: Path, sql: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["query", "--kb", str(kb), sql])
    return res.exit_code, res.output


# (name, SQL with {kb} and {out}, what it writes under the KB's parent when it succeeds)
WRITES = [
    ("copy into the KB", "COPY (SELECT 1 AS x) TO '{kb}/invoice/evil.parquet'", "kb/invoice/evil.parquet"),
    ("copy a planted journal", "COPY (SELECT 1 AS x) TO '{kb}/.journal.json' (FORMAT csv)", "kb/.journal.json"),
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
        (scratch / "kb" / "invoice").mkdir(parents=True)
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
    ("blob of the lock file", "SELECT * FROM read_blob('{kb}/.lock')"),
    ("csv outside", "SELECT * FROM read_csv('{secret}')"),
    ("glob outside", "SELECT * FROM glob('{secret_dir}/*')"),
]


@pytest.mark.parametrize("name,sql", READS, ids=[r[0] for r in READS])
def test_reads_outside_the_table_folders_are_refused(kb: Path, tmp_path: Path, name: str, sql: str):
    secret = tmp_path / "secret.txt"
    secret.write_text("a\nTOP-SECRET\n")
    sql = sql.format(kb=kb, secret=secret, secret_dir=tmp_path)
    assert len(duckdb.sql(sql).fetchall()) >= 1  # readable without the sandbox
    code, output = cli_query(kb, sql)
    assert code != 0 and "Permission Error" in output, output
    assert "TOP-SECRET" not in output and "raw bytes" not in output


def test_selects_still_work_and_large_sorts_do_not_spill_to_disk(kb: Path, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # DuckDB's default temp folder is ./.tmp
    code, output = cli_query(kb, f"SELECT invoice_number FROM read_parquet('{kb}/invoice/**/*.parquet')")
    assert code == 0 and "INV-1" in output, output
    df = run_query(kb, "SELECT count(*) AS n FROM (SELECT * FROM range(3000000) t(x) ORDER BY random())")
    assert df.n.tolist() == [3_000_000]
    assert not (tmp_path / ".tmp").exists()


# ---- the planted journal --------------------------------------------------------------------


def test_planted_journal_outside_the_kb_is_refused_by_a_real_mapper_query(kb: Path, tmp_path: Path):
    victim, other = tmp_path / "victim.txt", tmp_path / "victim2.txt"
    victim.write_text("keep me")
    other.write_text("keep me too")
    journal = {"version": 1, "replace": [["../victim2.txt", "../moved.txt"]], "delete": ["../victim.txt"]}
    # Without the check the replay deletes and moves files outside the KB.
    plain = tmp_path / "plain"
    (plain / "kb").mkdir(parents=True)
    (plain / "victim.txt").write_text("x")
    (plain / "victim2.txt").write_text("y")
    for (tmp, final) in journal["replace"]:
        os.replace(plain / "kb" / tmp, plain / "kb" / final)
    for rel in journal["delete"]:
        (plain / "kb" / rel).unlink()
    assert sorted(p.name for p in plain.iterdir()) == ["kb", "moved.txt"]

    (kb / atomic.JOURNAL_NAME).write_text(json.dumps(journal))
    proc = subprocess.run([str(Path(sys.executable).parent / "mapper"), "query", "--kb", str(kb), "SELECT 1 AS x"],
                          capture_output=True, text=True, timeout=120, env=os.environ | {"NO_COLOR": "1"})
    assert proc.returncode != 0
    assert "refusing to replay" in proc.stderr and "'../victim2.txt'" in proc.stderr
    assert victim.read_text() == "keep me" and other.read_text() == "keep me too"
    assert not (tmp_path / "moved.txt").exists()
    assert (kb / atomic.JOURNAL_NAME).exists()  # left for a person to inspect


@pytest.mark.parametrize("entry", [
    {"replace": [], "delete": ["invoice/../../victim.txt"]},
    {"replace": [], "delete": ["/etc/victim.parquet"]},
    {"replace": [], "delete": ["_raw/original.txt"]},  # inside the KB, but not a table file
    {"replace": [], "delete": ["victim.parquet"]},  # the KB root is no table folder
    {"replace": [["invoice/.tmp-x", "invoice/../../x.parquet"]], "delete": []},
    {"replace": [["invoice/not-a-temp", "invoice/x.parquet"]], "delete": []},
    {"replace": [["invoice/.tmp-x"]], "delete": []},
    {"replace": "invoice", "delete": []},
])
def test_journal_paths_are_confined_to_table_files(kb: Path, entry: dict):
    (kb / atomic.JOURNAL_NAME).write_text(json.dumps({"version": 1} | entry))
    before = files_under(kb)
    with pytest.raises(atomic.UnsafeJournalError):
        KnowledgeBase(kb)
    assert files_under(kb) == before


def test_journal_through_a_link_out_of_the_kb_is_refused(kb: Path, tmp_path: Path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "part-1.parquet").write_text("not the KB's")
    (kb / "linked").symlink_to(outside)
    (kb / atomic.JOURNAL_NAME).write_text(json.dumps({"version": 1, "replace": [], "delete": ["linked/part-1.parquet"]}))
    with pytest.raises(atomic.UnsafeJournalError, match="linked/part-1.parquet"):
        run_query(kb, "SELECT 1")
    assert (outside / "part-1.parquet").exists()


def test_stale_temps_are_not_removed_through_a_link(kb: Path, tmp_path: Path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / ".tmp-precious").write_text("not the KB's")
    (kb / "linked").symlink_to(outside)
    (kb / "invoice" / ".tmp-stale").write_text("left by a crash")
    KnowledgeBase(kb)
    assert (outside / ".tmp-precious").exists()
    assert not (kb / "invoice" / ".tmp-stale").exists()


def test_a_real_interrupted_write_still_replays(kb: Path):
    store = KnowledgeBase(kb)
    table = pa.Table.from_pylist([{"record_id": "d:2", "document_id": "d", "invoice_number": "INV-2", "batch_id": "b2"}],
                                 schema=SCHEMA)
    tmp, final = atomic.stage_parquet(table, kb / "invoice" / "batch=b2")
    atomic.write_journal(kb, [(tmp, final)], [])  # committed, then "crashed"
    assert sorted(run_query(store.root, "SELECT invoice_number FROM invoice").invoice_number) == ["INV-1", "INV-2"]
    assert not (kb / atomic.JOURNAL_NAME).exists()
