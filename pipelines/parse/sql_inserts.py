"""INSERT rows and COPY data of a SQL script as one `Kind.CODE_DATA` element per row.

Dumps hold one statement per row (mysqldump --skip-extended-insert, pg_dump --inserts) or
thousands of rows per statement; running sqlglot over every row costs about a millisecond a
row. So an INSERT whose rows are all plain literals (quoted strings without backslashes,
numbers, NULL, TRUE/FALSE) is read by a small literal reader: its head (`INSERT INTO t (cols)
VALUES`) is parsed with sqlglot once per distinct head, and the reader's values are checked
against sqlglot's on the first row seen with that head. Anything else (functions, casts,
escapes, `ON DUPLICATE KEY ...`) goes through sqlglot as before, with identical results.
"""

from __future__ import annotations

import re
from typing import Any

from sqlglot import exp

from pipelines.model.document import Kind
from pipelines.parse.builder import TextBuilder
from pipelines.parse.sql_literals import literal_groups, values_in
from pipelines.parse.sql_scan import Segment
from pipelines.parse.sql_statements import StatementParser, copy_field, sql_value, table_name, value_groups

def _target(e: exp.Insert) -> tuple[str | None, list[str]]:
    target = e.this
    if isinstance(target, exp.Schema):
        return table_name(target.this), [c.name for c in target.expressions]
    return table_name(target), []


def _columns(name: str | None, listed: list[str], tables: dict[str, list[str]]) -> tuple[list[str], str]:
    """The row's column names and where they came from: the INSERT, an earlier CREATE TABLE, or position."""
    if listed or not name:
        return listed, "insert"
    columns = tables.get(name.lower()) or tables.get(name.split(".")[-1].lower()) or []
    return columns, "create_table" if columns else "position"


def _row_attrs(columns: list[str], values: list[Any], common: dict[str, Any], i: int) -> dict[str, Any]:
    if not columns:
        cols = [f"column_{j + 1}" for j in range(len(values))]
    elif len(columns) == len(values):
        cols = columns
    else:
        cols = [*columns, *[f"column_{j + 1}" for j in range(len(columns), len(values))]][: len(values)]
    attrs: dict[str, Any] = {**common, "record": dict(zip(cols, values)), "row": i}
    if columns and len(columns) != len(values):
        attrs["column_mismatch"] = f"{len(values)} values for {len(columns)} columns"
    return attrs


HeadCache = dict[str, tuple[str | None, list[str], str | None] | None]


def add_literal_insert(stmt: str, builder: TextBuilder, tables: dict[str, list[str]], line: int, backslash: bool,
                       parser: StatementParser, heads: HeadCache, ctx: Any) -> int | None:
    """Rows of an INSERT of plain literals (see the module doc); None: not such an INSERT, use sqlglot."""
    groups = literal_groups(stmt)
    if not groups:
        return None
    head = stmt[: groups[0][0]].rstrip()
    rows = [values_in(stmt, a + 1, b - 1) for a, b in groups]
    if head not in heads:
        heads[head] = _probe(head, stmt[groups[0][0]:groups[0][1]], rows[0], parser)
    elif heads[head] is not None:
        key = heads[head][2] or "generic"  # count the dialect per statement, as sqlglot parsing does
        parser.used[key] = parser.used.get(key, 0) + 1
    probe = heads[head]
    if probe is None:
        return None
    name, listed, dialect = probe
    columns, columns_from = _columns(name, listed, tables)
    builder.add(Kind.CODE, head, attrs={"statement": "insert", "table": name, "line": line, "dialect": dialect or "generic"})
    common = {"table": name, "dialect": dialect or "generic", "columns_from": columns_from}
    row_line, prev = line, 0
    for i, ((a, b), values) in enumerate(zip(groups, rows)):
        if ctx is not None and i % 2000 == 1999:
            ctx.check_time()
        row_line += stmt.count("\n", prev, a)
        prev = a
        attrs = _row_attrs(columns, values, common, i)
        attrs["line"] = row_line
        builder.add(Kind.CODE_DATA, stmt[a:b], attrs=attrs)
    return len(rows)


def _probe(head: str, first_row: str, values: list[Any], parser: StatementParser) -> tuple[str | None, list[str], str | None] | None:
    """Parse the head with its first row by sqlglot; keep it only if sqlglot reads the same values."""
    expression, dialect, _ = parser.parse(f"{head} {first_row}")
    if not isinstance(expression, exp.Insert) or not isinstance(expression.expression, exp.Values):
        return None
    if len(expression.expression.expressions) != 1:
        return None
    row = expression.expression.expressions[0]
    items = row.expressions if isinstance(row, exp.Tuple) else [row]
    read = [sql_value(item, dialect) for item in items]
    if [v for v, _ in read] != values or not all(literal for _, literal in read):
        return None
    if any(type(v) is not type(w) for (v, _), w in zip(read, values)):
        return None
    name, listed = _target(expression)
    return name, listed, dialect


def add_insert(
    e: exp.Insert, dialect: str | None, stmt: str, stmt_start: int, text: str, builder: TextBuilder,
    tables: dict[str, list[str]], line: int, backslash: bool, ctx: Any,
) -> int:
    target = e.this
    if isinstance(target, exp.Schema):
        name = table_name(target.this)
        columns = [c.name for c in target.expressions]
    else:
        name = table_name(target)
        columns = []
    columns_from = "insert"
    if not columns and name:
        columns = tables.get(name.lower()) or tables.get(name.split(".")[-1].lower()) or []
        columns_from = "create_table" if columns else "position"
    rows = [r for r in e.expression.expressions]
    groups = value_groups(stmt, backslash=backslash)
    located = len(groups) == len(rows) and bool(rows)
    if located:
        head = stmt[: groups[0][0]].rstrip()
        builder.add(Kind.CODE, head, attrs={"statement": "insert", "table": name, "line": line, "dialect": dialect or "generic"})
    common = {"table": name, "dialect": dialect or "generic", "columns_from": columns_from}
    row_line = line
    prev = 0
    for i, row in enumerate(rows):
        if ctx is not None and i % 2000 == 1999:
            ctx.check_time()
        items = row.expressions if isinstance(row, exp.Tuple) else [row]
        values: list[Any] = []
        non_literal: list[str] = []
        cols = columns if len(columns) == len(items) else [*columns, *[f"column_{j + 1}" for j in range(len(columns), len(items))]][: len(items)]
        if not columns:
            cols = [f"column_{j + 1}" for j in range(len(items))]
        for col, item in zip(cols, items):
            value, literal = sql_value(item, dialect)
            values.append(value)
            if not literal:
                non_literal.append(col)
        record = dict(zip(cols, values))
        attrs: dict[str, Any] = {**common, "record": record, "row": i}
        if non_literal:
            attrs["expressions"] = non_literal
        if columns and len(columns) != len(items):
            attrs["column_mismatch"] = f"{len(items)} values for {len(columns)} columns"
        if located:
            a, b = groups[i]
            row_line += stmt.count("\n", prev, a)
            prev = a
            attrs["line"] = row_line
            builder.add(Kind.CODE_DATA, stmt[a:b], attrs=attrs)
        else:
            attrs["line"] = line
            attrs["located"] = False
            builder.add(Kind.CODE_DATA, stmt if len(rows) == 1 else _row_sql(row, dialect), attrs=attrs)
    if not located and len(rows) > 1:
        builder.doc.warnings.append(f"line {line}: rows of an INSERT into {name} could not be located in the source; row text is regenerated SQL")
    return len(rows)


INSERT_HEAD = re.compile(r"\s*(INSERT|REPLACE)\b", re.I)


def add_insert_by_rows(
    parser: StatementParser, stmt: str, builder: TextBuilder, tables: dict[str, list[str]], line: int,
    backslash: bool, ctx: Any,
) -> tuple[int, int] | None:
    """Parse `INSERT ... VALUES (r1), (r2), ...` one row at a time: (rows added, rows failed), or
    None when the statement has no row groups or even its head does not parse."""
    groups = value_groups(stmt, backslash=backslash)
    if not groups:
        return None
    head = stmt[: groups[0][0]].rstrip()
    first, dialect, _ = parser.parse(f"{head} {stmt[groups[0][0]:groups[0][1]]}")
    if not isinstance(first, exp.Insert):
        probe = next((g for g in groups[1:4] if parser.parse(f"{head} {stmt[g[0]:g[1]]}")[0] is not None), None)
        if probe is None:
            return None
    builder.add(Kind.CODE, head, attrs={"statement": "insert", "line": line, "row_by_row": True})
    added = failed = 0
    row_line = line
    prev = 0
    for i, (a, b) in enumerate(groups):
        if ctx is not None and i % 500 == 499:
            ctx.check_time()
        row_line += stmt.count("\n", prev, a)
        prev = a
        row_text = stmt[a:b]
        expression, dialect, error = parser.parse(f"{head} {row_text}")
        if not isinstance(expression, exp.Insert) or not isinstance(expression.expression, exp.Values):
            failed += 1
            builder.add(Kind.CODE, row_text, attrs={"statement": "unparsed", "line": row_line, "row": i, "error": error})
            continue
        n_before = len(builder.doc.elements)
        add_insert(expression, dialect, f"{head} {row_text}", 0, "", _RowSink(builder, row_text, i, row_line), tables,
                    row_line, backslash, None)
        added += len(builder.doc.elements) - n_before
    return added, failed


class _RowSink:
    """Builder stand-in for `_add_insert` on a one-row statement: keeps only the row element,
    with the row's own source text, number and line."""

    def __init__(self, builder: TextBuilder, row_text: str, index: int, line: int) -> None:
        self.builder = builder
        self.row_text = row_text
        self.index = index
        self.line = line
        self.doc = builder.doc

    def add(self, kind: Kind, text: str, *, attrs: dict[str, Any] | None = None, **kw: Any) -> Any:
        if kind is not Kind.CODE_DATA:
            return None
        attrs = dict(attrs or {})
        attrs.update(row=self.index, line=self.line)
        attrs.pop("located", None)
        return self.builder.add(kind, self.row_text, attrs=attrs)


def _row_sql(row: exp.Expression, dialect: str | None) -> str:
    try:
        return row.sql(dialect=dialect)
    except Exception:  # noqa: BLE001
        return str(row)


def add_copy_rows(seg: Segment, text: str, builder: TextBuilder, tables: dict[str, list[str]], line: int, ctx: Any) -> int:
    name = seg.info["table"]
    columns = seg.info["columns"] or tables.get(name.lower()) or tables.get(name.split(".")[-1].lower()) or []
    n = 0
    row_line = line
    for raw in text[seg.start : seg.end].split("\n"):
        if not raw.strip():
            row_line += 1
            continue
        if ctx is not None and n % 2000 == 1999:
            ctx.check_time()
        fields = [copy_field(f) for f in raw.split("\t")]
        cols = columns if len(columns) == len(fields) else [f"column_{j + 1}" for j in range(len(fields))]
        builder.add(Kind.CODE_DATA, raw, attrs={"table": name, "record": dict(zip(cols, fields)), "row": n, "line": row_line, "format": "copy"})
        row_line += 1
        n += 1
    return n
