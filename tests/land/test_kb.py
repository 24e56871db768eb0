"""The Parquet knowledge base: idempotent upserts, supersession, atomicity, round trips, DuckDB."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import textwrap
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.land import atomic
from pipelines.land.kb import KnowledgeBase, RecordConversionError, TableNotFoundError
from pipelines.land.query import KnowledgeBaseNotFoundError, QueryRefusedError, connect, run_query

REPO = Path(__file__).resolve().parents[2]

PROVENANCE = pa.list_(pa.struct([
    ("field", pa.string()), ("method", pa.string()), ("rule_id", pa.string()), ("page", pa.int32()),
    ("start", pa.int64()), ("end", pa.int64()), ("evidence", pa.string()), ("confidence", pa.float64()),
]))
LINE = pa.struct([("description", pa.string()), ("quantity", pa.int64()), ("amount", pa.decimal128(18, 2))])


def invoice_schema(extra: list[pa.Field] | None = None) -> pa.Schema:
    return pa.schema([
        pa.field("record_id", pa.string(), nullable=False),
        pa.field("document_id", pa.string(), nullable=False),
        pa.field("source_path", pa.string()),
        pa.field("invoice_number", pa.string()),
        pa.field("invoice_date", pa.date32()),
        pa.field("issued_at", pa.timestamp("us", tz="UTC")),
        pa.field("total", pa.decimal128(18, 2)),
        pa.field("lines", pa.list_(LINE)),
        *(extra or []),
        pa.field("schema_version", pa.int32()),
        pa.field("extracted_at", pa.timestamp("us", tz="UTC")),
        pa.field("batch_id", pa.string()),
        pa.field("provenance", PROVENANCE),
    ], metadata={"schema": "invoice", "schema_version": "1"})


SCHEMA = invoice_schema()
EXTRACTED = datetime(2025, 3, 1, 9, 30, tzinfo=timezone.utc)


def rec(n: int, doc: str = "doc-a", total: str = "10.00", batch: str = "b1", **extra) -> dict:
    return {
        "record_id": f"{doc}:inv-{n}",
        "document_id": doc,
        "source_path": f"in/{doc}.pdf",
        "invoice_number": f"INV-{n:04d}",
        "invoice_date": date(2025, 1, n % 28 + 1),
        "issued_at": datetime(2025, 1, 2, 14, 0, tzinfo=timezone(timedelta(hours=2))),
        "total": Decimal(total),
        "lines": [{"description": "Water supply", "quantity": 3, "amount": Decimal("3.33")},
                  {"description": "Sewerage", "quantity": 1, "amount": Decimal("0.01")}],
        "schema_version": 1,
        "extracted_at": EXTRACTED,
        "batch_id": batch,
        "provenance": [{"field": "total", "method": "rule", "rule_id": "total_label", "page": 1,
                        "start": 10, "end": 16, "evidence": "£10.00", "confidence": 0.98}],
        **extra,
    }


def ids(kb: KnowledgeBase, table: str = "invoice") -> list[str]:
    return sorted(kb.read(table, columns=["record_id"]).column("record_id").to_pylist())


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under the KB except the lock, with its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in root.rglob("*") if p.is_file() and p.name != atomic.LOCK_NAME}


def leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.startswith(atomic.TMP_PREFIX) or p.name == atomic.JOURNAL_NAME]


# ---- idempotence and supersession ------------------------------------------------------------


def test_same_batch_twice_no_duplicates(tmp_path):
    kb = KnowledgeBase(tmp_path / "kb")
    records = [rec(i) for i in range(1, 6)]
    first = kb.write_records("invoice", records, SCHEMA, "b1")
    files_after_first = snapshot(kb.root)
    second = kb.write_records("invoice", records, SCHEMA, "b1")

    assert (first.rows_written, first.rows_superseded) == (5, 0)
    assert (second.rows_written, second.rows_superseded) == (5, 5)
    assert ids(kb) == sorted(r["record_id"] for r in records)
    # Same content -> same content-hashed file: the KB is byte-for-byte unchanged.
    assert snapshot(kb.root) == files_after_first
    assert len(list((kb.root / "invoice").rglob("*.parquet"))) == 1


def test_different_batch_supersedes_old_rows(tmp_path):
    kb = KnowledgeBase(tmp_path / "kb")
    kb.write_records("invoice", [rec(1), rec(2), rec(3, doc="doc-b")], SCHEMA, "b1")
    result = kb.write_records("invoice", [rec(1, total="99.99"), rec(2)], SCHEMA, "b2")

    assert result.rows_superseded == 2
    table = kb.read("invoice").to_pylist()
    assert len(table) == 3
    by_id = {r["record_id"]: r for r in table}
    assert by_id["doc-a:inv-1"]["total"] == Decimal("99.99")
    assert by_id["doc-a:inv-1"]["batch_id"] == "b2"  # the batch column follows the partition
    assert by_id["doc-b:inv-3"]["batch_id"] == "b1"  # untouched document stays in its batch
    # batch b1 was rewritten to hold only doc-b's record
    b1 = list((kb.root / "invoice" / "batch=b1").glob("*.parquet"))
    assert len(b1) == 1 and pq.read_table(b1[0]).column("record_id").to_pylist() == ["doc-b:inv-3"]

    # running batch b2 again changes nothing
    before = snapshot(kb.root)
    kb.write_records("invoice", [rec(1, total="99.99"), rec(2)], SCHEMA, "b2")
    assert snapshot(kb.root) == before


def test_fully_superseded_batch_disappears(tmp_path):
    kb = KnowledgeBase(tmp_path / "kb")
    kb.write_records("invoice", [rec(1), rec(2)], SCHEMA, "b1")
    kb.write_records("invoice", [rec(1), rec(2)], SCHEMA, "b2")
    assert not (kb.root / "invoice" / "batch=b1").exists()
    assert ids(kb) == ["doc-a:inv-1", "doc-a:inv-2"]


def test_supersede_documents_drops_records_no_longer_produced(tmp_path):
    kb = KnowledgeBase(tmp_path / "kb")
    kb.write_records("invoice", [rec(1), rec(2), rec(3), rec(4, doc="doc-b")], SCHEMA, "b1")
    # doc-a re-processed: now yields a single, different record
    result = kb.write_records("invoice", [rec(9)], SCHEMA, "b2", supersede_documents=["doc-a"])
    assert result.rows_superseded == 3
    assert ids(kb) == ["doc-a:inv-9", "doc-b:inv-4"]


def test_delete_documents_when_rerun_produces_nothing(tmp_path):
    kb = KnowledgeBase(tmp_path / "kb")
    kb.write_records("invoice", [rec(1), rec(2), rec(3, doc="doc-b")], SCHEMA, "b1")
    result = kb.delete_documents("invoice", ["doc-a"])
    assert result.rows_superseded == 2
    assert ids(kb) == ["doc-b:inv-3"]
    # Deleting the last rows keeps the table queryable (zero rows, same columns).
    kb.delete_documents("invoice", ["doc-b"])
    empty = kb.read("invoice")
    assert empty.num_rows == 0 and empty.schema.names == SCHEMA.names
    df = run_query(kb.root, "SELECT count(*) AS n FROM invoice")
    assert df["n"].tolist() == [0]
    # A document coming back later lands normally and the placeholder goes.
    kb.write_records("invoice", [rec(5)], SCHEMA, "b3")
    assert ids(kb) == ["doc-a:inv-5"]
    assert len(list((kb.root / "invoice").rglob("*.parquet"))) == 1


def test_delete_documents_all_schemas(tmp_path):
    kb = KnowledgeBase(tmp_path / "kb")
    kb.write_records("invoice", [rec(1), rec(2, doc="doc-b")], SCHEMA, "b1")
    kb.write_records("credit_note", [rec(7)], SCHEMA, "b1")
    results = kb.delete_documents_all_schemas(["doc-a"])
    assert set(results) == {"invoice", "credit_note"}
    assert ids(kb) == ["doc-b:inv-2"]
    assert kb.read("credit_note").num_rows == 0


def test_empty_write_creates_queryable_table_and_is_idempotent(tmp_path):
    kb = KnowledgeBase(tmp_path / "kb")
    kb.write_records("invoice", [], SCHEMA, "b1")
    before = snapshot(kb.root)
    kb.write_records("invoice", [], SCHEMA, "b1")
    assert snapshot(kb.root) == before
    assert kb.schemas() == ["invoice"]
    assert run_query(kb.root, "SELECT * FROM invoice").columns.tolist() == SCHEMA.names


def test_duplicate_record_ids_in_one_write_last_wins(tmp_path):
    kb = KnowledgeBase(tmp_path / "kb")
    kb.write_records("invoice", [rec(1, total="1.00"), rec(1, total="2.00")], SCHEMA, "b1")
    rows = kb.read("invoice").to_pylist()
    assert len(rows) == 1 and rows[0]["total"] == Decimal("2.00")


def test_file_content_independent_of_input_order(tmp_path):
    a, b = KnowledgeBase(tmp_path / "a"), KnowledgeBase(tmp_path / "b")
    records = [rec(i) for i in range(1, 8)]
    a.write_records("invoice", records, SCHEMA, "b1")
    b.write_records("invoice", list(reversed(records)), SCHEMA, "b1")
    assert snapshot(a.root) == snapshot(b.root)


# ---- values ------------------------------------------------------------------------------------


def test_values_round_trip(tmp_path):
    kb = KnowledgeBase(tmp_path / "kb")
    r = rec(1, total="1234567890123456.78")
    kb.write_records("invoice", [r], SCHEMA, "b1")
    back = kb.read("invoice")

    assert back.schema.field("total").type == pa.decimal128(18, 2)
    assert back.schema.field("issued_at").type == pa.timestamp("us", tz="UTC")
    assert back.schema.field("invoice_date").type == pa.date32()
    assert back.schema.field("schema_version").type == pa.int32()
    assert back.schema.metadata[b"schema_version"] == b"1"
    row = back.to_pylist()[0]
    assert row["total"] == Decimal("1234567890123456.78")
    assert row["invoice_date"] == r["invoice_date"]
    assert row["issued_at"] == r["issued_at"]  # same instant ...
    assert row["issued_at"].utcoffset() == timedelta(0)  # ... stored in UTC
    assert row["issued_at"].hour == 12
    assert row["extracted_at"] == EXTRACTED
    assert row["lines"] == r["lines"]
    assert row["provenance"] == r["provenance"]

    # DuckDB sees the same values and types
    df = run_query(kb.root, "SELECT total, invoice_date, issued_at, lines[1].amount AS first_amount, "
                            "provenance[1].evidence AS ev, typeof(total) AS t FROM invoice")
    assert df["total"][0] == Decimal("1234567890123456.78")
    assert df["t"][0] == "DECIMAL(18,2)"
    assert df["first_amount"][0] == Decimal("3.33")
    assert df["ev"][0] == "£10.00"
    assert df["invoice_date"][0] == date(2025, 1, 2)
    assert df["issued_at"][0] == r["issued_at"]


def test_conversion_errors_name_the_column(tmp_path):
    kb = KnowledgeBase(tmp_path / "kb")
    with pytest.raises(RecordConversionError, match=r"invoice\.total \(row 1\)"):
        kb.write_records("invoice", [rec(1), rec(2, total="1.005")], SCHEMA, "b1")
    with pytest.raises(RecordConversionError, match="not in the schema.*surprise"):
        kb.write_records("invoice", [rec(1, surprise=1)], SCHEMA, "b1")
    with pytest.raises(RecordConversionError, match="record_id"):
        kb.write_records("invoice", [{**rec(1), "record_id": None}], SCHEMA, "b1")
    with pytest.raises(ValueError, match="batch_id"):
        kb.write_records("invoice", [rec(1)], SCHEMA, "../evil")
    with pytest.raises(ValueError, match="identifier"):
        kb.write_records("../invoice", [rec(1)], SCHEMA, "b1")
    with pytest.raises(ValueError, match="reserved"):
        kb.write_records("documents", [rec(1)], SCHEMA, "b1")
    assert not (kb.root / "invoice").exists() or not list((kb.root / "invoice").rglob("*.parquet"))


def test_schema_evolution_old_files_read_with_nulls(tmp_path):
    kb = KnowledgeBase(tmp_path / "kb")
    kb.write_records("invoice", [rec(1)], SCHEMA, "b1")
    v2 = invoice_schema([pa.field("po_number", pa.string())])
    kb.write_records("invoice", [rec(2, po_number="PO-7")], v2, "b2")
    rows = {r["record_id"]: r for r in kb.read("invoice").to_pylist()}
    assert rows["doc-a:inv-1"]["po_number"] is None and rows["doc-a:inv-2"]["po_number"] == "PO-7"
    df = run_query(kb.root, "SELECT record_id, po_number FROM invoice ORDER BY record_id")
    assert df["po_number"].isna().tolist() == [True, False]
    # Superseding a row in the old-version file rewrites that file with its own columns.
    kb.write_records("invoice", [rec(1, po_number="PO-1")], v2, "b3")
    assert kb.read("invoice").num_rows == 2


# ---- DuckDB -------------------------------------------------------------------------------------


def test_duckdb_reads_the_layout_directly_and_via_views(tmp_path):
    kb = KnowledgeBase(tmp_path / "kb")
    kb.write_records("invoice", [rec(1), rec(2)], SCHEMA, "b1")
    kb.write_records("invoice", [rec(3, doc="doc-b")], SCHEMA, "b2")
    kb.write_records("support_case", [rec(4, doc="doc-c")], SCHEMA, "b2")
    (kb.root / "invoice" / "batch=b1" / ".tmp-stray").write_bytes(b"not parquet")  # ignored by the glob

    direct = duckdb.sql(f"SELECT count(*) FROM read_parquet('{kb.root}/invoice/**/*.parquet')").fetchall()
    assert direct == [(3,)]

    df = run_query(kb.root, "SELECT batch_id, count(*) AS n, sum(total) AS total FROM invoice "
                            "GROUP BY batch_id ORDER BY batch_id")
    assert df.to_dict("records") == [{"batch_id": "b1", "n": 2, "total": Decimal("20.00")},
                                     {"batch_id": "b2", "n": 1, "total": Decimal("10.00")}]
    assert "batch" not in run_query(kb.root, "SELECT * FROM invoice").columns  # no hive column
    assert run_query(kb.root, "SELECT count(*) AS n FROM support_case WHERE document_id = ?",
                     ["doc-c"])["n"].tolist() == [1]

    con = connect(kb.root)
    try:
        views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
        assert {"invoice", "support_case"} <= views
        assert con.sql("SELECT count(*) FROM documents").fetchall() == [(0,)]  # always present
    finally:
        con.close()
    assert kb.schemas() == ["invoice", "support_case"]


def test_query_errors(tmp_path):
    with pytest.raises(KnowledgeBaseNotFoundError, match="knowledge base not found"):
        run_query(tmp_path / "nope", "SELECT 1")
    kb = KnowledgeBase(tmp_path / "kb")
    kb.write_records("invoice", [rec(1)], SCHEMA, "b1")
    with pytest.raises(duckdb.CatalogException, match="Tables in knowledge base.*invoice"):
        run_query(kb.root, "SELECT * FROM invoices")
    with pytest.raises(TableNotFoundError, match="invoices"):
        kb.read("invoices")


def test_query_sandbox_blocks_files_outside_the_kb(tmp_path):
    kb = KnowledgeBase(tmp_path / "kb")
    kb.write_records("invoice", [rec(1)], SCHEMA, "b1")
    secret = tmp_path / "secret.csv"
    secret.write_text("a\n1\n")
    with pytest.raises(duckdb.PermissionException):
        run_query(kb.root, f"SELECT * FROM read_csv('{secret}')")
    with pytest.raises(QueryRefusedError, match="only SELECT"):  # more in test_query_sandbox.py
        run_query(kb.root, f"COPY invoice TO '{tmp_path / 'out.csv'}'")
    with pytest.raises(QueryRefusedError, match="only SELECT"):
        run_query(kb.root, "SET enable_external_access = true")
    assert run_query(kb.root, f"SELECT * FROM read_csv('{secret}')", sandbox=False)["a"].tolist() == [1]


# ---- atomicity -----------------------------------------------------------------------------


def test_failed_rename_before_commit_leaves_previous_data(tmp_path, monkeypatch):
    kb = KnowledgeBase(tmp_path / "kb")
    kb.write_records("invoice", [rec(1), rec(2), rec(3, doc="doc-b")], SCHEMA, "b1")
    before = snapshot(kb.root)

    def broken_replace(src, dst):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk on fire"):
        kb.write_records("invoice", [rec(1, total="5.00"), rec(9)], SCHEMA, "b2", supersede_documents=["doc-a"])
    monkeypatch.undo()

    assert snapshot(kb.root) == before  # nothing changed, no temp or journal left behind
    assert leftovers(kb.root) == []
    assert ids(KnowledgeBase(kb.root)) == ["doc-a:inv-1", "doc-a:inv-2", "doc-b:inv-3"]
    assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{kb.root}/invoice/**/*.parquet')").fetchall() == [(3,)]


def test_failure_after_commit_is_completed_on_next_open(tmp_path, monkeypatch):
    kb = KnowledgeBase(tmp_path / "kb")
    kb.write_records("invoice", [rec(1), rec(2), rec(3, doc="doc-b")], SCHEMA, "b1")
    real_replace = os.replace
    calls = []

    def replace_failing_on_second_parquet(src, dst):
        if str(dst).endswith(".parquet"):
            calls.append(dst)
            if len(calls) == 2:
                raise OSError("power cut")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace_failing_on_second_parquet)
    with pytest.raises(OSError, match="power cut"):
        # rewrites batch b1 (drops doc-a) and adds batch b2: two renames, the second fails
        kb.write_records("invoice", [rec(1, total="5.00")], SCHEMA, "b2", supersede_documents=["doc-a"])
    monkeypatch.undo()

    assert (kb.root / atomic.JOURNAL_NAME).exists()
    assert not [p for p in kb.root.rglob("*.parquet") if p.name.startswith(".")]
    reopened = KnowledgeBase(kb.root)
    assert reopened.recovered
    assert ids(reopened) == ["doc-a:inv-1", "doc-b:inv-3"]
    totals = {r["record_id"]: r["total"] for r in reopened.read("invoice").to_pylist()}
    assert totals == {"doc-a:inv-1": Decimal("5.00"), "doc-b:inv-3": Decimal("10.00")}
    assert leftovers(kb.root) == []


def _crash_script(kb_root: Path, crash_on: str, nth: int) -> str:
    """A writer process that dies (os._exit, no cleanup) at the nth call of `crash_on`."""
    return textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(REPO)!r})
        from tests.land.test_kb import SCHEMA, rec
        from pipelines.land import atomic
        from pipelines.land.kb import KnowledgeBase

        kb = KnowledgeBase({str(kb_root)!r})
        calls = 0
        def crash_on(real):
            def wrapper(*args, **kwargs):
                global calls
                calls += 1
                if calls == {nth}:
                    os._exit(17)
                return real(*args, **kwargs)
            return wrapper
        if {crash_on!r} == "replace":
            os.replace = crash_on(os.replace)
        else:
            atomic.pq.write_table = crash_on(atomic.pq.write_table)
        kb.write_records("invoice", [rec(1, total="5.00"), rec(9)], SCHEMA, "b2",
                         supersede_documents=["doc-a"])
        sys.exit(0)
    """)


@pytest.mark.parametrize("crash_on, nth, committed", [
    ("write_table", 2, False),  # killed while staging the second file: nothing committed
    ("replace", 1, False),  # killed renaming the journal into place: not committed
    ("replace", 2, True),  # killed after the commit, before the first Parquet rename
    ("replace", 3, True),  # killed between the two Parquet renames (half-applied on disk)
])
def test_killed_writer(tmp_path, crash_on, nth, committed):
    kb = KnowledgeBase(tmp_path / "kb")
    kb.write_records("invoice", [rec(1), rec(2), rec(3, doc="doc-b")], SCHEMA, "b1")
    before = snapshot(kb.root)

    proc = subprocess.run([sys.executable, "-c", _crash_script(kb.root, crash_on, nth)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 17, proc.stderr

    # Whatever the moment, a glob never matches a partial file: every .parquet is complete.
    for path in kb.root.rglob("*.parquet"):
        pq.read_table(path)
    assert (kb.root / atomic.JOURNAL_NAME).exists() == committed
    if not committed:
        assert {k: v for k, v in snapshot(kb.root).items() if not Path(k).name.startswith(".")} == before
    # The next open (or query.connect) removes temps and finishes a committed write.
    df = run_query(kb.root, "SELECT record_id, total FROM invoice ORDER BY record_id")
    reopened = KnowledgeBase(kb.root)
    assert leftovers(kb.root) == []
    expected = ["doc-a:inv-1", "doc-a:inv-9", "doc-b:inv-3"] if committed else \
        ["doc-a:inv-1", "doc-a:inv-2", "doc-b:inv-3"]
    assert ids(reopened) == expected
    assert df["record_id"].tolist() == expected  # no duplicates visible to SQL either


def test_stale_temps_are_cleaned_on_open(tmp_path):
    kb = KnowledgeBase(tmp_path / "kb")
    kb.write_records("invoice", [rec(1)], SCHEMA, "b1")
    stray = [kb.root / ".tmp-abc", kb.root / "invoice" / "batch=b1" / ".tmp-def"]
    for p in stray:
        p.write_bytes(b"PAR1 half written")
    assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{kb.root}/invoice/**/*.parquet')").fetchall() == [(1,)]
    KnowledgeBase(kb.root)
    assert not any(p.exists() for p in stray)
    assert ids(kb) == ["doc-a:inv-1"]


def test_concurrent_writers_are_serialised(tmp_path):
    root = tmp_path / "kb"
    errors = []

    def writer(doc: str) -> None:
        try:
            kb = KnowledgeBase(root)
            for i in range(8):
                kb.write_records("invoice", [rec(i, doc=doc), rec(i + 100, doc=doc)], SCHEMA, f"{doc}-{i % 3}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(d,)) for d in ("doc-a", "doc-b", "doc-c")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    got = ids(KnowledgeBase(root))
    assert len(got) == len(set(got)) == 3 * 16
