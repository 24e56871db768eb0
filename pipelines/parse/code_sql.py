"""SQL scripts and dumps: parsed with sqlglot, never executed.

Modules: `sql_scan` (statements, comments, COPY blocks), `sql_statements` (sqlglot per
statement), `sql_inserts` (rows; plain-literal INSERTs without sqlglot per row), this one (the walk).

The script is split into statements by a small scanner that knows SQL quoting (so a `;` in a
string or comment does not end a statement), T-SQL `GO` batch lines, MySQL `DELIMITER` lines
and PostgreSQL `COPY ... FROM stdin` data blocks. Each statement is parsed on its own, trying the
generic dialect first and then postgres, mysql, tsql and sqlite, so one statement that no dialect
understands costs only itself.

- `CREATE TABLE` -> `Kind.CODE_SYMBOL` (attrs `table`, `columns` = [{name, type, ...}]).
- `INSERT ... VALUES (...), (...)` -> the `INSERT INTO t (cols) VALUES` head as `Kind.CODE`, then
  one `Kind.CODE_DATA` element per row (attrs `table`, `record`, `row`, `line`), whose text is the
  row's own `( ... )` source. Without a column list the columns come from the `CREATE TABLE` seen
  earlier in the file (else `column_1`, `column_2`, ...).
- `COPY t (cols) FROM stdin;` data lines (pg_dump) -> one `Kind.CODE_DATA` element per line.
- Comments between statements -> `Kind.PARAGRAPH` (attrs `comment`); anything else -> `Kind.CODE`.
"""


from __future__ import annotations

import re
from typing import Any

from sqlglot import exp

from pipelines.model.document import Kind
from pipelines.parse.builder import TextBuilder
from pipelines.parse.errors import decoded
from pipelines.parse.sql_inserts import INSERT_HEAD, HeadCache, add_copy_rows, add_insert, add_insert_by_rows, add_literal_insert
from pipelines.parse.sql_scan import scan, uses_backslash_escapes
from pipelines.parse.sql_statements import StatementParser, create_columns, table_name

MAX_PARSE_CHARS = 5_000_000  # a single statement longer than this is kept as text, not parsed


def _line_of(text: str, offset: int, cache: dict[str, int]) -> int:
    """1-based line of `offset`, counting incrementally (offsets arrive in increasing order)."""
    last_off = cache.get("off", 0)
    line = cache.get("line", 1)
    if offset < last_off:
        last_off, line = 0, 1
    line += text.count("\n", last_off, offset)
    cache["off"], cache["line"] = offset, line
    return line


def parse(data: bytes, builder: TextBuilder, ctx) -> None:  # type: ignore[no-untyped-def]
    text = decoded(data, "SQL text")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    add_sql(text, builder, ctx)


def add_sql(text: str, builder: TextBuilder, ctx: Any = None) -> None:
    backslash = uses_backslash_escapes(text)
    parser = StatementParser()
    tables: dict[str, list[str]] = {}  # lower-cased table name (full and bare) -> column names
    lines: dict[str, int] = {}
    stats = {"statements": 0, "unparsed": 0, "rows": 0, "tables": 0}
    failures: list[str] = []
    heads: HeadCache = {}  # INSERT heads read once by sqlglot (sql_inserts)
    for i, seg in enumerate(scan(text, backslash=backslash)):
        if ctx is not None and i % 50 == 0:
            ctx.check_time()
        seg_text = text[seg.start : seg.end]
        line = _line_of(text, seg.start, lines)
        if seg.kind == "comment":
            builder.add(Kind.PARAGRAPH, seg_text, attrs={"comment": _comment_text(seg_text), "line": line})
            continue
        if seg.kind == "copy_data":
            stats["rows"] += add_copy_rows(seg, text, builder, tables, line, ctx)
            continue
        stats["statements"] += 1
        if INSERT_HEAD.match(seg_text):
            rows = add_literal_insert(seg_text, builder, tables, line, backslash, parser, heads, ctx)
            if rows is not None:
                stats["rows"] += rows
                continue
        if len(seg_text) > MAX_PARSE_CHARS:
            expression, dialect, error = None, None, f"statement of {len(seg_text):,} characters not parsed"
        else:
            expression, dialect, error = parser.parse(seg_text)
        if expression is None and INSERT_HEAD.match(seg_text):
            # A huge INSERT, or one with a row no dialect reads: parse it row by row instead.
            rows = add_insert_by_rows(parser, seg_text, builder, tables, line, backslash, ctx)
            if rows is not None:
                stats["rows"] += rows[0]
                if rows[1]:
                    stats["unparsed"] += 1
                    if len(failures) < 20:
                        failures.append(f"line {line}: {rows[1]} row(s) of an INSERT could not be parsed")
                continue
        if expression is None:
            stats["unparsed"] += 1
            if len(failures) < 20:
                failures.append(f"line {line}: {error}")
            builder.add(Kind.CODE, seg_text, attrs={"statement": "unparsed", "line": line, "error": error})
            continue
        if isinstance(expression, exp.Create) and str(expression.args.get("kind") or "").upper() == "TABLE":
            name = table_name(expression.this.this if isinstance(expression.this, exp.Schema) else expression.this)
            columns = create_columns(expression, dialect, seg_text, backslash=backslash)
            if name and columns:
                tables[name.lower()] = [c["name"] for c in columns]
                tables.setdefault(name.split(".")[-1].lower(), [c["name"] for c in columns])
            stats["tables"] += 1
            builder.add(
                Kind.CODE_SYMBOL, seg_text,
                attrs={"symbol_kind": "table", "table": name, "columns": columns, "line": line,
                       "end_line": line + seg_text.count("\n"), "dialect": dialect or "generic"},
            )
            continue
        if isinstance(expression, exp.Insert) and isinstance(expression.expression, exp.Values):
            stats["rows"] += add_insert(expression, dialect, seg_text, seg.start, text, builder, tables, line, backslash, ctx)
            continue
        builder.add(Kind.CODE, seg_text, attrs={"statement": expression.key, "line": line, "dialect": dialect or "generic"})
    doc = builder.doc
    doc.metadata["sql"] = {**stats, "dialects": parser.used, "backslash_escapes": backslash}
    if stats["unparsed"]:
        doc.warnings.append(
            f"{stats['unparsed']} of {stats['statements']} SQL statements could not be parsed in any dialect "
            f"(kept as text): " + "; ".join(failures[:5])
        )


def _comment_text(raw: str) -> str:
    out = []
    for ln in raw.splitlines():
        s = ln.strip()
        s = re.sub(r"^(--+|/\*+|\*+/?)", "", s)
        s = re.sub(r"\*+/$", "", s).strip()
        if s:
            out.append(s)
    return "\n".join(out)

