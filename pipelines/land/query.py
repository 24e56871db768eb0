"""SQL over the knowledge base with DuckDB: each KB table is a relation of the same name.

    run_query("kb", "SELECT supplier_name, sum(total) FROM invoice GROUP BY 1")
    run_query("kb", "SELECT count(*) FROM invoice", as_of="2026-12-06T00:00:00Z")  # time travel

Tables are Delta tables read through deltalake and handed to DuckDB as Arrow datasets (a
local KB or one on object storage alike). `documents` and `review` always exist (empty until
something is written).

By default a query is sandboxed and read-only (see README, "Security"): exactly one SELECT
statement; DuckDB may read only the KB's table folders (not `_raw/`, `_cache/`, `_work/` or
the journal), never write a file (no COPY/EXPORT/ATTACH/CREATE/INSTALL/SET; no spilling to a
temp folder), load no extension and create no secret. The settings are locked, so the query
cannot loosen them.
Results come back through Arrow, so DECIMAL columns stay exact (`decimal.Decimal` objects)
and timestamps keep their UTC time zone.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pipelines import storage
from pipelines.land.kb import KnowledgeBase
from pipelines.land.tables import (
    AUDIT_SCHEMA, DECISIONS_SCHEMA, DECISIONS_TABLE, DOCUMENTS_SCHEMA, DOCUMENTS_TABLE, LLM_CALLS_TABLE, REVIEW_SCHEMA,
    REVIEW_TABLE,
)


class KnowledgeBaseNotFoundError(FileNotFoundError):
    """The KB folder does not exist (nothing has been landed there yet, or a wrong path)."""


class QueryRefusedError(PermissionError):
    """The SQL is not one read-only SELECT statement."""


# DuckDB settings of the sandbox, applied in this order; lock_configuration comes last so
# no statement can change any of them back.
_SANDBOX_SETTINGS = (
    ("temp_directory", "''"),  # an in-memory database would otherwise spill to ./.tmp
    ("enable_external_access", "false"),
    ("autoinstall_known_extensions", "false"),
    ("autoload_known_extensions", "false"),
    ("allow_community_extensions", "false"),
    ("allow_persistent_secrets", "false"),
    ("lock_configuration", "true"),
)


def read_only_statement(sql: str) -> str:
    """The SQL's single statement, if it is a SELECT (also WITH, FROM-first, DESCRIBE, SHOW,
    SUMMARIZE, VALUES); otherwise QueryRefusedError saying what was refused."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryRefusedError(f"query refused: the SQL does not parse: {exc}") from exc
    if len(statements) != 1:
        raise QueryRefusedError(f"query refused: exactly one statement is allowed, got {len(statements)}")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise QueryRefusedError(
            f"query refused: the knowledge base is read-only here; only SELECT is allowed, got {kind.name}")
    return sql


def connect(kb_root: str | Path, *, sandbox: bool = True,
            as_of: int | str | datetime | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with one relation per KB table (at `as_of`, if given).

    A local table is a view over exactly the Parquet files of its snapshot (listed by the Delta
    log; DuckDB reads them natively, with projection and filter pushdown) and the sandbox lets
    DuckDB read those table folders only. A table on object storage is read through deltalake
    and registered as Arrow: DuckDB's httpfs/delta extensions cannot be downloaded offline, and
    the sandbox then allows no file access at all.
    """
    kb = KnowledgeBase(kb_root)
    if not kb.exists():
        raise KnowledgeBaseNotFoundError(
            f"knowledge base not found: {kb.root} does not exist "
            "(run the pipeline to land documents first, or pass the right KB path)"
        )
    con = duckdb.connect(":memory:")
    try:
        tables = kb.tables()
        readable: list[str] = []
        for name in tables:
            dt = kb.table(name) if as_of is None else _table_as_of(kb, name, as_of)
            if dt is None:
                continue
            files = _local_files(kb, dt)
            if files:
                listed = ", ".join(_sql_string(f) for f in files)
                con.execute(f"CREATE VIEW {_ident(name)} AS SELECT * FROM read_parquet([{listed}], "
                            "union_by_name = true, hive_partitioning = false)")
                readable.append(storage.join(kb.root, name) + os.sep)
            else:
                # An Arrow table, not the lazy dataset: DuckDB's filter pushdown into pyarrow
                # datasets fails on string comparisons (string vs string_view kernels).
                con.register(name, dt.to_pyarrow_table())
        for name, schema in ((DOCUMENTS_TABLE, DOCUMENTS_SCHEMA), (REVIEW_TABLE, REVIEW_SCHEMA),
                             (DECISIONS_TABLE, DECISIONS_SCHEMA), (LLM_CALLS_TABLE, AUDIT_SCHEMA)):
            if name not in tables:
                con.register(name, schema.empty_table())
        if sandbox:
            # Only the table folders (not _raw/, _cache/, _work/); none when all came as Arrow.
            con.execute(f"SET allowed_directories = [{', '.join(_sql_string(d) for d in readable)}]")
            for name, value in _SANDBOX_SETTINGS:
                con.execute(f"SET {name} = {value}")
    except BaseException:
        con.close()
        raise
    return con


def _local_files(kb: KnowledgeBase, dt: Any) -> list[str]:
    """The snapshot's data files when DuckDB can read them as they are: a local table without
    deletion vectors (rows deleted inside a file), which delta-rs does not write. Else []."""
    if storage.is_remote(kb.root):
        return []
    features = getattr(dt.protocol(), "reader_features", None) or []
    if "deletionVectors" in features:
        return []
    root = Path(storage.join(kb.root, Path(dt.table_uri.rstrip("/")).name)).resolve()
    files = [str(Path(u.removeprefix("file://")).resolve()) for u in dt.file_uris()]
    if not files or not all(Path(f).is_relative_to(root) for f in files):
        return []  # an empty table (Arrow keeps its columns), or a file outside the folder
    return files


def _table_as_of(kb: KnowledgeBase, name: str, as_of: int | str | datetime):
    """The table as it was at `as_of`; a table created later does not exist then."""
    try:
        return kb.table(name, as_of=as_of)
    except Exception as exc:  # deltalake: no version at or before that time
        if "version" in str(exc).lower() or "timestamp" in str(exc).lower():
            return None
        raise


def run_query(kb_root: str | Path, sql: str, params: Sequence[Any] | dict[str, Any] | None = None,
              *, sandbox: bool = True, as_of: int | str | datetime | None = None) -> pd.DataFrame:
    """Run one SQL statement against the KB and return the result as a DataFrame.

    Sandboxed (the default), only one SELECT is accepted (QueryRefusedError otherwise).
    An unknown table gives an error listing the tables the KB has.
    """
    if sandbox:
        read_only_statement(sql)
    con = connect(kb_root, sandbox=sandbox, as_of=as_of)
    try:
        try:
            rel = con.sql(sql, params=params)
        except duckdb.CatalogException as exc:
            names = sorted(r[0] for r in con.execute("SHOW TABLES").fetchall())
            raise duckdb.CatalogException(f"{exc}\nTables in knowledge base {kb_root}: {', '.join(names) or '(none)'}") from exc
        if rel is None:  # a statement without a result set
            return pd.DataFrame()
        return rel.to_arrow_table().to_pandas()
    finally:
        con.close()


def tables(kb_root: str | Path) -> list[str]:
    return KnowledgeBase(kb_root).tables()


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
