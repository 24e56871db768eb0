"""SQL over the knowledge base with DuckDB: each KB folder is a view of the same name.

    run_query("kb", "SELECT supplier_name, sum(total) FROM invoice GROUP BY 1")

Views read `read_parquet('<kb>/<name>/**/*.parquet', union_by_name=true,
hive_partitioning=false)`: files of older schema versions contribute nulls for newer
columns, and the `batch=<id>` folders do not add a column (rows carry `batch_id`).
`documents` and `review` always exist (empty until something is written).

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
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pipelines.land import atomic
from pipelines.land.catalog import DOCUMENTS_SCHEMA, DOCUMENTS_TABLE, REVIEW_SCHEMA, REVIEW_TABLE
from pipelines.land.kb import list_tables
from pipelines.llm.audit import AUDIT_SCHEMA
from pipelines.llm.audit import TABLE as AUDIT_TABLE
from pipelines.review.store import DECISIONS_SCHEMA, DECISIONS_TABLE


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


def connect(kb_root: str | Path, *, sandbox: bool = True) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with one view per KB table."""
    root = Path(kb_root).expanduser()
    if not root.is_dir():
        raise KnowledgeBaseNotFoundError(
            f"knowledge base not found: {root} is not a directory "
            "(run the pipeline to land documents first, or pass the right KB path)"
        )
    root = root.resolve()
    _finish_interrupted_write(root)
    con = duckdb.connect(":memory:")
    try:
        tables = list_tables(root)
        for name in tables:
            pattern = _sql_string(f"{root / name}{os.sep}**{os.sep}*.parquet")
            con.execute(
                f"CREATE VIEW {_ident(name)} AS SELECT * FROM read_parquet("
                f"{pattern}, union_by_name = true, hive_partitioning = false)"
            )
        for name, schema in ((DOCUMENTS_TABLE, DOCUMENTS_SCHEMA), (REVIEW_TABLE, REVIEW_SCHEMA),
                             (DECISIONS_TABLE, DECISIONS_SCHEMA), (AUDIT_TABLE, AUDIT_SCHEMA)):
            if name not in tables:
                con.register(name, schema.empty_table())
        if sandbox:
            # Only the table folders: a query must not read originals, caches or work files.
            dirs = ", ".join(_sql_string(f"{root / name}{os.sep}") for name in tables)
            con.execute(f"SET allowed_directories = [{dirs}]")
            for name, value in _SANDBOX_SETTINGS:
                con.execute(f"SET {name} = {value}")
    except BaseException:
        con.close()
        raise
    return con


def run_query(kb_root: str | Path, sql: str, params: Sequence[Any] | dict[str, Any] | None = None,
              *, sandbox: bool = True) -> pd.DataFrame:
    """Run one SQL statement against the KB and return the result as a DataFrame.

    Sandboxed (the default), only one SELECT is accepted (QueryRefusedError otherwise).
    An unknown table gives an error listing the tables the KB has.
    """
    if sandbox:
        read_only_statement(sql)
    con = connect(kb_root, sandbox=sandbox)
    try:
        try:
            rel = con.sql(sql, params=params)
        except duckdb.CatalogException as exc:
            names = sorted({r[0] for r in con.execute(
                "SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()})
            raise duckdb.CatalogException(f"{exc}\nTables in knowledge base {kb_root}: {', '.join(names) or '(none)'}") from exc
        if rel is None:  # a statement without a result set
            return pd.DataFrame()
        return rel.to_arrow_table().to_pandas()
    finally:
        con.close()


def tables(kb_root: str | Path) -> list[str]:
    return list_tables(Path(kb_root))


def _finish_interrupted_write(root: Path) -> None:
    """If a writer crashed after committing, complete its write before reading (needs write access)."""
    if not (root / atomic.JOURNAL_NAME).exists():
        return
    try:
        with atomic.kb_lock(root):
            atomic.recover(root)
    except OSError:
        pass  # read-only KB: read what is there


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
