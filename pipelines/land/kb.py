"""The central knowledge base: one folder of Parquet files per table, upserted atomically.

Layout (root defaults to `kb/`, callers pass their own)::

    <kb>/<schema>/batch=<batch_id>/part-<content hash>.parquet   records of one schema
    <kb>/documents/batch=<batch_id>/part-<hash>.parquet          the documents catalog
    <kb>/review/batch=<batch_id>/part-<hash>.parquet             the review queue
    <kb>/.lock  <kb>/.journal.json  .tmp-*                       writer bookkeeping (hidden)

so `duckdb.read_parquet('<kb>/invoice/**/*.parquet')` reads a table directly.

Idempotence is an upsert by key at file granularity: every row has a deterministic key
(`record_id` for records). A write finds the existing files holding any key being written
(reading only the key column), rewrites them without those rows — or removes them when
nothing is left — and adds one new file in the batch's partition. Re-running the same
inputs, in the same batch or a later one, therefore never duplicates a record, and a
document re-processed later supersedes its earlier records. `supersede_documents=` (or
`delete_documents`) also drops a document's old rows that the new run no longer produces.

Concurrency: one writer per KB at a time. Writers take an exclusive `flock` on `<kb>/.lock`
(so a second writer waits rather than corrupts), readers need no lock. Each write is
all-or-nothing through a commit journal; see `atomic.py`.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines.land import atomic

DEFAULT_ROOT = Path("kb")
# Not record tables: the catalog (catalog.py), the LLM audit log (llm/audit.py) and reviewers'
# decisions (review/store.py). Re-processing a document never supersedes the last two.
CATALOG_TABLES = ("documents", "review", "llm_calls", "review_decisions")
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BATCH_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_KEY_SEP = "\x1f"


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
    files_written: tuple[str, ...] = ()  # paths relative to the KB root (new and rewritten)
    files_removed: tuple[str, ...] = ()


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


def table_files(root: Path, name: str) -> list[Path]:
    """The committed Parquet files of a table (never temps or hidden files), in a stable order."""
    directory = root / name
    if not directory.is_dir():
        return []
    return sorted(
        p for p in directory.rglob("*.parquet")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(directory).parts)
    )


def list_tables(root: Path) -> list[str]:
    """Folders of the KB that hold at least one committed Parquet file."""
    if not root.is_dir():
        return []
    return sorted(
        d.name for d in root.iterdir()
        if d.is_dir() and _NAME_RE.match(d.name) and table_files(root, d.name)
    )


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
    """Parquet tables under `root`. See the module docstring for layout and guarantees."""

    def __init__(self, root: str | Path = DEFAULT_ROOT) -> None:
        # Absolute: temp files come back from mkstemp as absolute paths and the journal
        # stores paths relative to the root (a relative `kb` from the CLI must work too).
        self.root = Path(root).absolute()
        self.recovered = False  # True when opening replayed an interrupted write
        if self.root.is_dir():
            try:
                with atomic.kb_lock(self.root):
                    self.recovered = atomic.recover(self.root)
                    atomic.clean_stale_temps(self.root)
            except OSError as exc:  # a read-only KB can still be read
                if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                    raise

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
        """Upsert `records` (keyed by `record_id`) into `<root>/<schema_name>/batch=<batch_id>/`.

        Existing rows with a `record_id` being written are replaced, whatever batch holds them.
        `supersede_documents`: document ids whose existing rows are all removed in the same
        atomic write — pass the ids of every document this run (re)processed for the schema,
        so one that now yields fewer records (or none) leaves no stale ones behind.
        Duplicate record_ids within `records`: the last one wins. The `batch_id` column is
        set to `batch_id`. Rows are stored sorted by record_id.
        """
        check_table_name(schema_name)
        if schema_name in CATALOG_TABLES:
            raise ValueError(f"{schema_name!r} is reserved for the catalog; use pipelines.land.catalog")
        if "record_id" not in arrow_schema.names or "document_id" not in arrow_schema.names:
            raise ValueError(f"{schema_name}: the Arrow schema needs record_id and document_id columns")
        check_batch_id(batch_id)
        if "batch_id" in arrow_schema.names:  # the partition is the truth for the column
            records = [{**r, "batch_id": batch_id} for r in records]
        table = build_table(records, arrow_schema, table=schema_name)
        return self.upsert(schema_name, table, key=("record_id",), batch_id=batch_id,
                           supersede_column="document_id", supersede_values=supersede_documents)

    def delete_documents(self, schema_name: str, document_ids: Iterable[str]) -> WriteResult:
        """Remove every row of `schema_name` that came from one of `document_ids`."""
        check_table_name(schema_name)
        return self.upsert(schema_name, None, key=("record_id",), batch_id=None,
                           supersede_column="document_id", supersede_values=document_ids)

    def delete_documents_all_schemas(self, document_ids: Iterable[str]) -> dict[str, WriteResult]:
        """`delete_documents` on every record schema (a re-processed document may change schema)."""
        ids = list(document_ids)
        return {name: self.delete_documents(name, ids) for name in self.schemas()}

    # ---- reading ------------------------------------------------------------------------

    def read(self, schema_name: str, columns: Sequence[str] | None = None) -> pa.Table:
        """Every row of a table (all files; older files missing newer columns get nulls)."""
        check_table_name(schema_name)
        files = table_files(self.root, schema_name)
        if not files:
            raise TableNotFoundError(
                f"no table {schema_name!r} in knowledge base {self.root} (tables: {self.tables()})"
            )
        tables = []
        for path in files:
            with pq.ParquetFile(path) as pf:
                cols = None if columns is None else [c for c in columns if c in pf.schema_arrow.names]
                tables.append(pf.read(columns=cols))
        return pa.concat_tables(tables, promote_options="permissive")

    def schemas(self) -> list[str]:
        """Record tables (everything but the catalog tables)."""
        return [t for t in list_tables(self.root) if t not in CATALOG_TABLES]

    def tables(self) -> list[str]:
        return list_tables(self.root)

    # ---- the upsert -----------------------------------------------------------------------

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
        """Atomically: drop existing rows whose `key` is in `table` or whose `supersede_column`
        is in `supersede_values`, then add `table` as one file in `batch=<batch_id>/`.

        A table that would be left without files keeps one zero-row file, so its columns
        stay queryable. Used by write_records, delete_documents and the catalog.
        """
        check_table_name(name)
        if table is not None:
            check_batch_id(batch_id)  # type: ignore[arg-type]
            missing = [k for k in key if k not in table.column_names]
            if missing:
                raise ValueError(f"{name}: key columns {missing} are not in the table")
            table = _dedupe_last(table, key)
            table = table.sort_by([(k, "ascending") for k in key])  # same rows -> same file
        new_keys = _key_array(table, key) if table is not None and table.num_rows else None
        supersede = sorted({str(v) for v in supersede_values or ()})
        supersede_set = pa.array(supersede, pa.string()) if supersede and supersede_column else None

        with atomic.kb_lock(self.root):
            atomic.recover(self.root)  # finish an interrupted write before reading the state
            existing = table_files(self.root, name)
            replaces: list[tuple[Path, Path]] = []
            deletes: list[Path] = []
            kept: list[Path] = []
            empty_files: list[Path] = []
            superseded = 0
            last_schema: pa.Schema | None = None
            rows_written = 0
            try:
                for path in existing:
                    with pq.ParquetFile(path) as pf:
                        last_schema = pf.schema_arrow
                        num_rows = pf.metadata.num_rows
                        mask = self._match(pf, key, new_keys, supersede_column, supersede_set)
                        n = int(pc.sum(mask).as_py() or 0) if mask is not None else 0
                        remaining = pf.read().filter(pc.invert(mask)) if 0 < n < num_rows else None
                    if n == 0:
                        (empty_files if num_rows == 0 else kept).append(path)
                        continue
                    superseded += n
                    deletes.append(path)
                    if remaining is not None:
                        tmp, final = atomic.stage_parquet(remaining, path.parent)
                        replaces.append((tmp, final))
                        kept.append(final)
                if table is not None and table.num_rows:
                    tmp, final = atomic.stage_parquet(table, self.root / name / f"batch={batch_id}")
                    replaces.append((tmp, final))
                    kept.append(final)
                    rows_written = table.num_rows
                if kept:
                    deletes.extend(empty_files)  # placeholders are no longer needed
                elif not empty_files and (table is not None or last_schema is not None):
                    # Keep the table (and its columns) queryable with a zero-row file.
                    schema = table.schema if table is not None else last_schema
                    where = (self.root / name / f"batch={batch_id}") if table is not None else deletes[-1].parent
                    replaces.append(atomic.stage_parquet(schema.empty_table(), where))
                finals = {final for _, final in replaces}
                deletes = [p for p in deletes if p not in finals]
                if not replaces and not deletes:
                    return WriteResult(name, batch_id, 0, 0)
                journal = atomic.write_journal(self.root, replaces, deletes)  # commit point
            except BaseException:
                for tmp, _ in replaces:
                    tmp.unlink(missing_ok=True)
                raise
            # Past the commit point: if this fails, the journal stays and the next writer
            # (or KnowledgeBase()/query.connect) completes the write.
            atomic.apply_journal(self.root, journal)
        return WriteResult(
            name, batch_id, rows_written, superseded,
            files_written=tuple(_rel(self.root, f) for _, f in replaces),
            files_removed=tuple(_rel(self.root, p) for p in deletes),
        )

    @staticmethod
    def _match(pf: pq.ParquetFile, key, new_keys, supersede_column, supersede_set) -> pa.Array | None:
        """Boolean mask of the file's rows to drop, reading only the key/supersede columns."""
        names = pf.schema_arrow.names
        wanted = []
        if new_keys is not None and all(k in names for k in key):
            wanted.extend(key)
        if supersede_set is not None and supersede_column in names and supersede_column not in wanted:
            wanted.append(supersede_column)
        if not wanted:
            return None
        cols = pf.read(columns=wanted)
        mask = None
        if new_keys is not None and all(k in names for k in key):
            mask = pc.is_in(_key_array(cols, key), value_set=new_keys)
        if supersede_set is not None and supersede_column in names:
            hit = pc.is_in(cols.column(supersede_column).combine_chunks(), value_set=supersede_set)
            mask = hit if mask is None else pc.or_(mask, hit)
        if mask is None:
            return None
        mask = pc.fill_null(mask, False)
        return mask.combine_chunks() if isinstance(mask, pa.ChunkedArray) else mask


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()
