"""The central knowledge base: one Delta Lake table per KB table, under a local folder or a URL.

Layout (root defaults to `kb/`; `MAPPER_KB` may be an `s3://`, `gs://` or `abfs://` URL)::

    <kb>/<schema>/      records of one schema          (a Delta table: _delta_log/ + Parquet files)
    <kb>/documents/     the documents catalog          (catalog.py)
    <kb>/review/        the review queue               (catalog.py)
    <kb>/review_decisions/, <kb>/llm_calls/            reviewers' decisions, the LLM audit log

Every write is one Delta commit (delta-rs): a record-level MERGE by key that updates
matched rows, inserts new ones and, in the same commit, deletes the superseded rows of
re-processed documents. A commit is atomic: readers see the table before or after it, never
half of it, and a writer killed mid-write leaves only unreferenced files (`mapper kb vacuum`
removes them). Concurrent writers from several processes or machines need no lock of ours:
each commit is a put-if-absent of the next log entry; the loser of a race gets a conflict,
re-reads the table and re-applies its MERGE (an upsert, so applying it again is correct).

Every commit is kept in the table's history (`mapper kb history`), and an older version can
be read again (`read(..., as_of=...)`, `mapper query --as-of`). `mapper kb compact` and
`mapper kb vacuum` rewrite small files and delete files no version needs any more.

Readers: `deltalake.DeltaTable('kb/invoice').to_pandas()`, or DuckDB over
`DeltaTable(...).to_pyarrow_dataset()`. Do not glob the Parquet files: a table folder also
holds files that earlier versions used.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable, WriterProperties, write_deltalake
from deltalake.exceptions import CommitFailedError, DeltaError
from deltalake.exceptions import TableNotFoundError as DeltaTableNotFound

from pipelines import storage

DEFAULT_ROOT = Path("kb")
# Not record tables: the catalog (catalog.py), the LLM audit log (llm/audit.py) and reviewers'
# decisions (review/store.py). Re-processing a document never supersedes the last two.
CATALOG_TABLES = ("documents", "review", "llm_calls", "review_decisions")
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BATCH_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_KEY_SEP = "\x1f"
_WRITER = WriterProperties(compression="ZSTD")
# Arrow's default allocator (mimalloc) keeps what each flush freed for its next use: over a
# 10,000-document run the process's peak grew ~25 MB more than with the C allocator, which
# hands it back. Landing allocates little, so nothing is measurably slower.
pa.set_memory_pool(pa.system_memory_pool())
# A commit that lost a race is retried on a fresh snapshot; with jitter, a few dozen
# attempts cover many concurrent writers on one table.
_MAX_ATTEMPTS = 60


class TableNotFoundError(LookupError):
    """The knowledge base has no table of that name."""


class RecordConversionError(ValueError):
    """Records do not fit the Arrow schema; the message names the table, column and row."""


@dataclass(frozen=True, slots=True)
class WriteResult:
    table: str
    batch_id: str | None
    rows_written: int  # rows in the new file
    rows_superseded: int  # existing rows replaced or deleted by this write


def check_table_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ValueError(f"table name {name!r} must be an identifier (ASCII letters, digits, underscores)")
    return name


def check_batch_id(batch_id: str) -> str:
    if not isinstance(batch_id, str) or not _BATCH_RE.match(batch_id):
        raise ValueError(
            f"batch_id {batch_id!r} must be 1-128 characters of letters, digits, '.', '_' or '-' "
            "starting with a letter or digit (it names a folder)"
        )
    return batch_id


def build_table(rows: Sequence[Mapping[str, Any]], arrow_schema: pa.Schema, *, table: str) -> pa.Table:
    """`pa.Table.from_pylist` with errors that say which column and row is wrong.

    Keys missing from a row become nulls; keys the schema does not know are an error (they
    would otherwise be dropped silently); so are nulls in non-nullable columns.
    """
    names = set(arrow_schema.names)
    for i, row in enumerate(rows):
        unknown = set(row) - names
        if unknown:
            raise RecordConversionError(f"{table}: row {i} has columns not in the schema: {sorted(unknown)}")
    try:
        result = pa.Table.from_pylist(list(rows), schema=arrow_schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError) as exc:
        raise _locate_conversion_error(rows, arrow_schema, table, exc) from exc
    for field in arrow_schema:
        if not field.nullable and result.column(field.name).null_count:
            raise RecordConversionError(f"{table}.{field.name}: null in a non-nullable column")
    return result


def _locate_conversion_error(rows, arrow_schema, table, exc) -> RecordConversionError:
    for field in arrow_schema:
        for i, row in enumerate(rows):
            try:
                pa.array([row.get(field.name)], type=field.type)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError) as err:
                value = repr(row.get(field.name))
                if len(value) > 200:
                    value = value[:200] + "..."
                return RecordConversionError(
                    f"{table}.{field.name} (row {i}): cannot store {value} as {field.type}: {err}"
                )
    return RecordConversionError(f"{table}: {exc}")


def _key_array(table: pa.Table, key: Sequence[str]) -> pa.Array:
    cols = [pc.fill_null(table.column(k).cast(pa.string()), "") for k in key]
    arr = cols[0] if len(cols) == 1 else pc.binary_join_element_wise(*cols, _KEY_SEP)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _dedupe_last(table: pa.Table, key: Sequence[str]) -> pa.Table:
    """Keep the last row of each key (a later row of the same key supersedes an earlier one)."""
    last: dict[str, int] = {}
    for i, k in enumerate(_key_array(table, key).to_pylist()):
        last[k] = i
    if len(last) == table.num_rows:
        return table
    return table.take(pa.array(sorted(last.values()), pa.int64()))


class KnowledgeBase:
    """Delta tables under `root` (a local path or a URL). See the module docstring."""

    def __init__(self, root: str | Path = DEFAULT_ROOT) -> None:
        self.root = storage.location(root)
        self.options = storage.delta_options(self.root)

    def uri(self, name: str) -> str:
        return storage.join(self.root, check_table_name(name))

    def exists(self) -> bool:
        return storage.upath(self.root).is_dir()

    def table(self, name: str, *, as_of: int | str | datetime | None = None) -> DeltaTable | None:
        """The Delta table `name` (at version/time `as_of`), or None when it does not exist."""
        try:
            dt = DeltaTable(self.uri(name), storage_options=self.options)
        except DeltaTableNotFound:
            return None
        if as_of is not None:
            dt.load_as_version(as_of)
        return dt

    # ---- records -------------------------------------------------------------------------

    def write_records(
        self,
        schema_name: str,
        records: list[dict],
        arrow_schema: pa.Schema,
        batch_id: str,
        *,
        supersede_documents: Iterable[str] | None = None,
    ) -> WriteResult:
        """Upsert `records` (keyed by `record_id`) into the table `schema_name`, one commit.

        Existing rows with a `record_id` being written are replaced, whatever batch wrote them.
        `supersede_documents`: document ids whose other existing rows are removed in the same
        commit. Duplicate record_ids within `records`: the last one wins. The `batch_id`
        column is set to `batch_id`.
        """
        check_table_name(schema_name)
        if schema_name in CATALOG_TABLES:
            raise ValueError(f"{schema_name!r} is reserved for the catalog; use pipelines.land.catalog")
        if "record_id" not in arrow_schema.names or "document_id" not in arrow_schema.names:
            raise ValueError(f"{schema_name}: the Arrow schema needs record_id and document_id columns")
        check_batch_id(batch_id)
        if "batch_id" in arrow_schema.names:
            records = [{**r, "batch_id": batch_id} for r in records]
        table = build_table(records, arrow_schema, table=schema_name)
        return self.upsert(schema_name, table, key=("record_id",), batch_id=batch_id,
                           supersede_column="document_id", supersede_values=supersede_documents)

    def delete_documents(self, schema_name: str, document_ids: Iterable[str]) -> WriteResult:
        """Remove every row of `schema_name` that came from one of `document_ids`."""
        return self.delete_where(schema_name, "document_id", document_ids)

    def delete_documents_all_schemas(self, document_ids: Iterable[str]) -> dict[str, WriteResult]:
        """`delete_documents` on every record schema (a re-processed document may change schema)."""
        ids = list(document_ids)
        return {name: self.delete_documents(name, ids) for name in self.schemas()}

    # ---- reading ------------------------------------------------------------------------

    def read(self, schema_name: str, columns: Sequence[str] | None = None, *,
             as_of: int | str | datetime | None = None) -> pa.Table:
        """Every row of a table (at version or time `as_of`); unknown `columns` are skipped."""
        dt = self.table(schema_name, as_of=as_of)
        if dt is None:
            raise TableNotFoundError(
                f"no table {schema_name!r} in knowledge base {self.root} (tables: {self.tables()})")
        if columns is not None:
            have = set(self.arrow_schema(dt).names)
            columns = [c for c in columns if c in have]
        return dt.to_pyarrow_table(columns=list(columns) if columns is not None else None)

    @staticmethod
    def arrow_schema(dt: DeltaTable) -> pa.Schema:
        return pa.schema(dt.schema().to_arrow())

    def schemas(self) -> list[str]:
        """Record tables (everything but the catalog tables)."""
        return [t for t in self.tables() if t not in CATALOG_TABLES]

    def tables(self) -> list[str]:
        """Folders of the KB that hold a Delta table."""
        root = storage.upath(self.root)
        try:
            children = [p for p in root.iterdir() if _NAME_RE.match(p.name)]
        except (FileNotFoundError, NotADirectoryError):
            return []
        return sorted(p.name for p in children if (p / "_delta_log").is_dir())

    # ---- writing --------------------------------------------------------------------------

    def upsert(
        self,
        name: str,
        table: pa.Table | None,
        *,
        key: Sequence[str],
        batch_id: str | None,
        supersede_column: str | None = None,
        supersede_values: Iterable[str] | None = None,
    ) -> WriteResult:
        """One commit: rows of `table` replace existing rows with the same `key` or are added,
        and existing rows whose `supersede_column` is in `supersede_values` (and whose key is
        not in `table`) are deleted. `table=None`: only the deletion."""
        check_table_name(name)
        supersede = sorted({str(v) for v in supersede_values or ()}) if supersede_column else []
        if table is None:
            return self.delete_where(name, supersede_column, supersede) if supersede else WriteResult(name, None, 0, 0)
        check_batch_id(batch_id)  # type: ignore[arg-type]
        missing = [k for k in key if k not in table.column_names]
        if missing:
            raise ValueError(f"{name}: key columns {missing} are not in the table")
        table = _dedupe_last(table, key).sort_by([(k, "ascending") for k in key])
        on = " AND ".join(f"t.{_ident(k)} = s.{_ident(k)}" for k in key)

        def attempt() -> WriteResult:
            dt = self.table(name)
            if dt is None:
                write_deltalake(self.uri(name), table, mode="error", storage_options=self.options,
                                writer_properties=_WRITER)
                return WriteResult(name, batch_id, table.num_rows, 0)
            merger = (dt.merge(table, on, source_alias="s", target_alias="t", merge_schema=True,
                               writer_properties=_WRITER)
                      .when_matched_update_all().when_not_matched_insert_all())
            if supersede:
                merger = merger.when_not_matched_by_source_delete(_in(f"t.{_ident(supersede_column)}", supersede))
            m = merger.execute()
            return WriteResult(name, batch_id, int(m.get("num_target_rows_inserted", 0)) + int(m.get("num_target_rows_updated", 0)),
                               int(m.get("num_target_rows_deleted", 0)) + int(m.get("num_target_rows_updated", 0)))

        return _retry(attempt)

    def delete_where(self, name: str, column: str | None, values: Iterable[str], *,
                     keep_column: str | None = None, keep_values: Iterable[str] = ()) -> WriteResult:
        """One commit deleting rows whose `column` is in `values`, except rows whose
        `keep_column` is in `keep_values` (rows that were just written)."""
        values = sorted({str(v) for v in values})
        if not values or column is None:
            return WriteResult(name, None, 0, 0)
        keep = sorted({str(v) for v in keep_values})

        def attempt() -> WriteResult:
            dt = self.table(name)
            if dt is None or column not in self.arrow_schema(dt).names:
                return WriteResult(name, None, 0, 0)
            if not _any_row(dt, column, values, keep_column if keep else None, keep):
                return WriteResult(name, None, 0, 0)  # what a delete would find: nothing, and no commit
            predicate = _in(_ident(column), values)
            if keep and keep_column:
                predicate += f" AND NOT {_in(_ident(keep_column), keep)}"
            m = dt.delete(predicate, writer_properties=_WRITER)
            return WriteResult(name, None, 0, int(m.get("num_deleted_rows", 0)))

        return _retry(attempt)

    # ---- maintenance -----------------------------------------------------------------------

    def history(self, name: str, limit: int | None = None) -> list[dict[str, Any]]:
        """The table's commits, newest first (version, timestamp, operation, metrics)."""
        dt = self.table(name)
        if dt is None:
            raise TableNotFoundError(f"no table {name!r} in knowledge base {self.root}")
        return dt.history(limit)

    def compact(self, name: str) -> dict[str, Any]:
        """Rewrite small files into larger ones (one commit; the data is unchanged)."""
        dt = self.table(name)
        if dt is None:
            raise TableNotFoundError(f"no table {name!r} in knowledge base {self.root}")
        return _retry(lambda: dt.optimize.compact(writer_properties=_WRITER))

    def vacuum(self, name: str, *, retention_hours: int = 168, dry_run: bool = False) -> list[str]:
        """Delete files no version within `retention_hours` needs (older versions become unreadable)."""
        dt = self.table(name)
        if dt is None:
            raise TableNotFoundError(f"no table {name!r} in knowledge base {self.root}")
        return dt.vacuum(retention_hours=retention_hours, dry_run=dry_run, enforce_retention_duration=False)


def _retry(fn):
    """Run `fn` again on a commit conflict (another writer committed first)."""
    for n in range(_MAX_ATTEMPTS):
        try:
            return fn()
        except (CommitFailedError, DeltaError) as exc:
            if not _is_conflict(exc) or n == _MAX_ATTEMPTS - 1:
                raise
            time.sleep(random.uniform(0.01, 0.05 * min(n + 1, 10)))
    raise AssertionError("unreachable")


def _is_conflict(exc: Exception) -> bool:
    text = str(exc).lower()
    return isinstance(exc, CommitFailedError) or any(
        w in text for w in ("conflict", "already exists", "version", "concurrent"))


def _ident(name: str) -> str:
    if not _NAME_RE.match(name):
        raise ValueError(f"column name {name!r} must be an identifier")
    return name


def _any_row(dt: DeltaTable, column: str, values: Sequence[str], keep_column: str | None, keep: Sequence[str]) -> bool:
    """Whether a row has `column` in `values` and `keep_column` not in `keep`: a scan of the two
    columns only. Landing a batch deletes its paths' superseded rows; on new paths there are none,
    and the delete's own plan (an IN list of thousands of paths over the whole table) costs
    memory that grows with the table."""
    columns = [column] + ([keep_column] if keep_column and keep_column != column else [])
    wanted, kept = pa.array(list(values), pa.string()), pa.array(list(keep), pa.string())
    for batch in dt.to_pyarrow_dataset().to_batches(columns=columns):  # streamed: memory stays flat
        hit = pc.is_in(batch.column(column).cast(pa.string()), value_set=wanted)
        if keep_column is not None:
            hit = pc.and_(hit, pc.invert(pc.is_in(batch.column(keep_column).cast(pa.string()), value_set=kept)))
        if pc.any(hit).as_py():
            return True
    return False


def _in(column: str, values: Sequence[str]) -> str:
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"{column} IN ({quoted})"


def comparable_type(t: pa.DataType) -> pa.DataType:
    """`t` with every nested field nullable (Delta keeps no nullability inside lists/structs)."""
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return pa.list_(comparable_type(t.value_type))
    if pa.types.is_struct(t):
        return pa.struct([pa.field(f.name, comparable_type(f.type)) for f in t])
    return t
