"""SQL scripts and dumps: parsed with sqlglot, never executed.

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

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from pipelines.document import Kind, Reason
from pipelines.parse.builder import TextBuilder
from pipelines.parse.errors import BadInput
from pipelines.parse.text_decode import decode_text

DIALECTS: tuple[str | None, ...] = (None, "postgres", "mysql", "tsql", "sqlite")
MAX_PARSE_CHARS = 5_000_000  # a single statement longer than this is kept as text, not parsed


class _DropCommandFallback(logging.Filter):
    """sqlglot warns for each statement it keeps as an opaque Command; we try other dialects instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Falling back to parsing as a 'Command'" not in record.getMessage()


logging.getLogger("sqlglot").addFilter(_DropCommandFallback())


# ---------------------------------------------------------------------------------------------
# scanner
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Segment:
    kind: str  # "statement" | "comment" | "copy_data"
    start: int
    end: int
    info: dict[str, Any] = field(default_factory=dict)


_GO_LINE = re.compile(r"[ \t]*GO[ \t]*(?:\d+[ \t]*)?(?:--[^\n]*)?(?=\n|\Z)", re.I)
_DELIMITER_LINE = re.compile(r"[ \t]*DELIMITER[ \t]+(\S+)[ \t]*(?=\n|\Z)", re.I)
_COPY_STDIN = re.compile(
    r"COPY\s+(?P<table>[^\s(]+)\s*(?:\((?P<cols>[^)]*)\))?\s+FROM\s+stdin\b", re.I
)


def _token_pattern(delimiter: str, backslash: bool) -> re.Pattern[str]:
    squote = r"'(?:[^'\\]|\\.|'')*'?" if backslash else r"'(?:[^']|'')*'?"
    return re.compile(
        "|".join(
            [
                r"(?P<line>--[^\n]*)",
                r"(?P<block>/\*.*?(?:\*/|\Z))",
                rf"(?P<str>{squote})",
                r'(?P<ident>"(?:[^"]|"")*"?|`(?:[^`]|``)*`?)',
                r"(?P<dollar>\$(?P<tag>[A-Za-z_]\w*)?\$.*?(?:\$(?P=tag)?\$|\Z))",
                rf"(?P<delim>{re.escape(delimiter)})",
                r"(?P<nl>\n)",
            ]
        ),
        re.S,
    )


def uses_backslash_escapes(text: str) -> bool:
    """MySQL dumps escape quotes as \\' ; standard SQL doubles them. Decide once per file."""
    head = text[:200_000]
    if re.search(r"`|\bENGINE\s*=|/\*!\d{5}|\bLOCK TABLES\b", head, re.I):
        return True
    return "\\'" in head and "''" not in head


def scan(text: str, *, backslash: bool | None = None) -> Iterator[Segment]:
    """Split a SQL script into comment, statement and COPY-data segments (offsets into `text`)."""
    if backslash is None:
        backslash = uses_backslash_escapes(text)
    delimiter = ";"
    pat = _token_pattern(delimiter, backslash)
    pos = 0
    n = len(text)
    stmt_start: int | None = None  # first significant character of the current statement
    comment_start: int | None = None
    comment_end = 0

    def flush_comment() -> Iterator[Segment]:
        nonlocal comment_start
        if comment_start is not None:
            yield Segment("comment", comment_start, comment_end)
            comment_start = None

    def first_code(a: int, b: int) -> int | None:
        """Offset of the first non-space character in text[a:b], or None."""
        m = re.compile(r"\S").search(text, a, b)
        return m.start() if m else None

    line_start = True
    while pos < n:
        if line_start:
            # Whole-line commands: T-SQL batch separator and MySQL client delimiter changes.
            go = _GO_LINE.match(text, pos)
            dl = None if go else _DELIMITER_LINE.match(text, pos)
            if go or dl:
                m = go or dl
                assert m is not None
                if stmt_start is not None:
                    yield from flush_comment()
                    yield Segment("statement", stmt_start, _rstrip_end(text, stmt_start, pos))
                    stmt_start = None
                if dl:
                    delimiter = dl.group(1)
                    pat = _token_pattern(delimiter, backslash)
                pos = m.end()
                line_start = False
                continue
        m = pat.search(text, pos)
        end = m.start() if m else n
        if stmt_start is None:
            c = first_code(pos, end)
            if c is not None:
                yield from flush_comment()
                stmt_start = c
        if m is None:
            break
        kind = m.lastgroup
        line_start = kind == "nl"
        if kind in ("line", "block") and stmt_start is None:
            if comment_start is None:
                comment_start = m.start()
            comment_end = m.end()
        elif kind == "delim":
            if stmt_start is not None:
                seg = Segment("statement", stmt_start, _rstrip_end(text, stmt_start, m.start()))
                yield from flush_comment()
                yield seg
                stmt_start = None
                copy = _COPY_STDIN.match(text, seg.start, seg.end)
                if copy:
                    data_start = text.find("\n", m.end())
                    if data_start == -1:
                        pos = n
                        continue
                    data_start += 1
                    term = re.compile(r"^\\\.[ \t\r]*$", re.M).search(text, data_start)
                    data_end = term.start() if term else n
                    cols = [c.strip().strip('"') for c in (copy.group("cols") or "").split(",") if c.strip()]
                    yield Segment("copy_data", data_start, data_end, {"table": _unquote_name(copy.group("table")), "columns": cols})
                    pos = term.end() if term else n
                    line_start = False
                    continue
        elif kind in ("str", "ident", "dollar") and stmt_start is None:
            yield from flush_comment()
            stmt_start = m.start()
        pos = m.end()
    if stmt_start is not None:
        yield from flush_comment()
        end = _rstrip_end(text, stmt_start, n)
        if end > stmt_start:
            yield Segment("statement", stmt_start, end)
    yield from flush_comment()


def _rstrip_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _unquote_name(name: str) -> str:
    return ".".join(part.strip('"`[]') for part in name.split("."))


# ---------------------------------------------------------------------------------------------
# statement parsing
# ---------------------------------------------------------------------------------------------


class StatementParser:
    """Parse one statement at a time, remembering which dialect worked last."""

    def __init__(self) -> None:
        self.order: list[str | None] = list(DIALECTS)
        self.used: dict[str, int] = {}

    def parse(self, sql: str) -> tuple[exp.Expression | None, str | None, str | None]:
        """(expression, dialect, error). A statement only known as an opaque Command is a last resort."""
        fallback: tuple[exp.Expression, str | None] | None = None
        error: str | None = None
        for dialect in self.order:
            try:
                parsed = [e for e in sqlglot.parse(sql, read=dialect) if e is not None]
            except (ParseError, TokenError) as exc:
                error = error or str(exc).splitlines()[0][:300]
                continue
            except (RecursionError, ValueError, KeyError, IndexError, AttributeError, TypeError) as exc:
                error = error or f"{type(exc).__name__}: {exc}"[:300]
                continue
            if len(parsed) != 1:
                error = error or f"{len(parsed)} statements where one was expected"
                continue
            expression = parsed[0]
            if isinstance(expression, exp.Command):
                fallback = fallback or (expression, dialect)
                continue
            self._promote(dialect)
            return expression, dialect, None
        if fallback:
            return fallback[0], fallback[1], None
        return None, None, error

    def _promote(self, dialect: str | None) -> None:
        key = dialect or "generic"
        self.used[key] = self.used.get(key, 0) + 1
        if self.order[0] != dialect:
            self.order.remove(dialect)
            self.order.insert(0, dialect)


def table_name(table: exp.Expression | None) -> str | None:
    if not isinstance(table, exp.Table):
        return None
    parts = [p for p in (table.catalog, table.db, table.name) if p]
    return ".".join(parts) if parts else None


def _number(raw: str) -> Any:
    s = raw.strip()
    if re.fullmatch(r"[+-]?\d+", s):
        return int(s)
    try:
        return float(s)
    except ValueError:
        return s


def sql_value(e: exp.Expression, dialect: str | None) -> tuple[Any, bool]:
    """(Python value, is_literal) for one VALUES item; non-literals come back as their SQL text."""
    if isinstance(e, exp.Null):
        return None, True
    if isinstance(e, exp.Boolean):
        return bool(e.this), True
    if isinstance(e, exp.Literal):
        return (str(e.this), True) if e.is_string else (_number(str(e.this)), True)
    if isinstance(e, exp.National):
        return str(e.this), True
    if isinstance(e, exp.Neg) and isinstance(e.this, exp.Literal) and not e.this.is_string:
        value = _number(str(e.this.this))
        return (-value if isinstance(value, (int, float)) else f"-{value}"), True
    if isinstance(e, exp.Paren):
        return sql_value(e.this, dialect)
    if isinstance(e, exp.Cast) and isinstance(e.this, (exp.Literal, exp.Null)):
        return sql_value(e.this, dialect)  # DATE '2024-01-01', CAST('5' AS INT): the literal
    try:
        return e.sql(dialect=dialect), False
    except Exception:  # noqa: BLE001 - generation of an exotic node: keep something readable
        return str(e), False


def value_groups(stmt: str, *, backslash: bool) -> list[tuple[int, int]]:
    """Spans of the top-level `( ... )` row groups after VALUES in an INSERT statement."""
    pat = re.compile(
        "|".join(
            [
                r"(?P<line>--[^\n]*)",
                r"(?P<block>/\*.*?(?:\*/|\Z))",
                r"(?P<str>" + (r"'(?:[^'\\]|\\.|'')*'?" if backslash else r"'(?:[^']|'')*'?") + ")",
                r'(?P<ident>"(?:[^"]|"")*"?|`(?:[^`]|``)*`?|\[[^\]]*\]?)',
                r"(?P<values>\bVALUES?\b)",
                r"(?P<open>\()",
                r"(?P<close>\))",
                r"(?P<other>[^\s,])",
            ]
        ),
        re.S | re.I,
    )
    groups: list[tuple[int, int]] = []
    depth = 0
    seen_values = False
    row_start = -1
    for m in pat.finditer(stmt):
        kind = m.lastgroup
        if kind in ("line", "block"):
            continue
        if kind == "values" and depth == 0 and not seen_values:
            seen_values = True
            continue
        if kind == "open":
            if depth == 0 and seen_values:
                row_start = m.start()
            depth += 1
        elif kind == "close":
            depth -= 1
            if depth == 0 and row_start >= 0:
                groups.append((row_start, m.end()))
                row_start = -1
        elif depth == 0 and seen_values and groups:
            break  # something other than ", (" after the rows: ON DUPLICATE KEY ..., RETURNING ...
        elif depth == 0 and seen_values and kind == "other":
            break
    return groups


def create_columns(create: exp.Create, dialect: str | None, stmt: str, *, backslash: bool) -> list[dict[str, Any]]:
    schema = create.this
    if not isinstance(schema, exp.Schema):
        return []
    defs = [d for d in schema.expressions if isinstance(d, exp.ColumnDef)]
    raw = _column_sources(stmt, backslash=backslash)
    raw_by_name: dict[str, str] = {}
    for piece in raw:
        piece = _strip_comments(piece).strip()
        first = re.match(r'("(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|[^\s(]+)', piece)
        if first:
            raw_by_name.setdefault(_unquote_name(first.group(1)).lower(), piece)
    pk_names: set[str] = set()
    for c in schema.expressions:
        if isinstance(c, (exp.PrimaryKey,)):
            pk_names.update(i.name.lower() for i in c.expressions if hasattr(i, "name"))
        elif isinstance(c, exp.Constraint):
            for pk in c.find_all(exp.PrimaryKey):
                pk_names.update(i.name.lower() for i in pk.expressions if hasattr(i, "name"))
    columns = []
    for d in defs:
        kind = d.args.get("kind")
        try:
            type_sql = kind.sql(dialect=dialect) if kind is not None else None
        except Exception:  # noqa: BLE001
            type_sql = str(kind)
        constraints = [c.args.get("kind") for c in d.args.get("constraints") or []]
        col: dict[str, Any] = {"name": d.name, "type": type_sql, "type_normalized": type_sql}
        if d.name.lower() in raw_by_name:
            col["type"] = _raw_type(raw_by_name[d.name.lower()]) or type_sql
        col["not_null"] = any(isinstance(k, exp.NotNullColumnConstraint) and not k.args.get("allow_null") for k in constraints)
        col["primary_key"] = d.name.lower() in pk_names or any(isinstance(k, exp.PrimaryKeyColumnConstraint) for k in constraints)
        if d.name.lower() in raw_by_name:
            col["definition"] = raw_by_name[d.name.lower()]
        columns.append(col)
    return columns


_CONSTRAINT_WORD = re.compile(
    r"\s+(?:NOT\b|NULL\b|PRIMARY\b|DEFAULT\b|REFERENCES\b|UNIQUE\b|CHECK\b|CONSTRAINT\b|IDENTITY\b|"
    r"AUTO_?INCREMENT\b|AUTOINCREMENT\b|COLLATE\b|GENERATED\b|COMMENT\b|CHARACTER\s+SET\b|CHARSET\b|ON\s+UPDATE\b|"
    r"ENCODE\b|SPARSE\b|ROWGUIDCOL\b|AS\s*\()",
    re.I,
)


def _raw_type(definition: str) -> str | None:
    """The type as written in a column definition: `name <type> [constraints]`."""
    m = re.match(r'\s*("(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|[^\s(]+)\s*', definition)
    if not m:
        return None
    rest = definition[m.end():]
    depth = 0
    for i, ch in enumerate(rest):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and ch.isspace():
            c = _CONSTRAINT_WORD.match(rest, i)
            if c:
                rest = rest[:i]
                break
    rest = " ".join(rest.split())
    return rest or None


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*|/\*.*?(?:\*/|\Z)", " ", sql, flags=re.S)


def _column_sources(stmt: str, *, backslash: bool) -> list[str]:
    """The comma-separated pieces of a CREATE TABLE's column list, as written."""
    squote = r"'(?:[^'\\]|\\.|'')*'?" if backslash else r"'(?:[^']|'')*'?"
    pat = re.compile(rf"--[^\n]*|/\*.*?(?:\*/|\Z)|{squote}|\"(?:[^\"]|\"\")*\"?|`[^`]*`?|\[[^\]]*\]?|[(),]", re.S)
    depth = 0
    pieces: list[str] = []
    start = -1
    for m in pat.finditer(stmt):
        tok = m.group()
        if tok == "(":
            depth += 1
            if depth == 1 and start < 0 and not pieces:
                start = m.end()
        elif tok == ")":
            if depth == 1 and start >= 0:
                pieces.append(stmt[start : m.start()])
                break
            depth -= 1
        elif tok == "," and depth == 1 and start >= 0:
            pieces.append(stmt[start : m.start()])
            start = m.end()
    return pieces


# ---------------------------------------------------------------------------------------------
# COPY data (pg_dump)
# ---------------------------------------------------------------------------------------------

_COPY_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def copy_field(raw: str) -> str | None:
    if raw == "\\N":
        return None
    if "\\" not in raw:
        return raw
    return re.sub(r"\\(.)", lambda m: _COPY_ESCAPES.get(m.group(1), m.group(1)), raw)


# ---------------------------------------------------------------------------------------------
# entry point
# ---------------------------------------------------------------------------------------------


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
    try:
        text = decode_text(data)
    except UnicodeError as exc:
        raise BadInput(Reason.UNDECODABLE, f"SQL text could not be decoded: {exc}") from exc
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    add_sql(text, builder, ctx)


def add_sql(text: str, builder: TextBuilder, ctx: Any = None) -> None:
    backslash = uses_backslash_escapes(text)
    parser = StatementParser()
    tables: dict[str, list[str]] = {}  # lower-cased table name (full and bare) -> column names
    lines: dict[str, int] = {}
    stats = {"statements": 0, "unparsed": 0, "rows": 0, "tables": 0}
    failures: list[str] = []
    for i, seg in enumerate(scan(text, backslash=backslash)):
        if ctx is not None and i % 50 == 0:
            ctx.check_time()
        seg_text = text[seg.start : seg.end]
        line = _line_of(text, seg.start, lines)
        if seg.kind == "comment":
            builder.add(Kind.PARAGRAPH, seg_text, attrs={"comment": _comment_text(seg_text), "line": line})
            continue
        if seg.kind == "copy_data":
            stats["rows"] += _add_copy_rows(seg, text, builder, tables, line, ctx)
            continue
        stats["statements"] += 1
        if len(seg_text) > MAX_PARSE_CHARS:
            expression, dialect, error = None, None, f"statement of {len(seg_text):,} characters not parsed"
        else:
            expression, dialect, error = parser.parse(seg_text)
        if expression is None and _INSERT_HEAD.match(seg_text):
            # A huge INSERT, or one with a row no dialect reads: parse it row by row instead.
            rows = _add_insert_by_rows(parser, seg_text, builder, tables, line, backslash, ctx)
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
            stats["rows"] += _add_insert(expression, dialect, seg_text, seg.start, text, builder, tables, line, backslash, ctx)
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


def _add_insert(
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


_INSERT_HEAD = re.compile(r"\s*(INSERT|REPLACE)\b", re.I)


def _add_insert_by_rows(
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
        _add_insert(expression, dialect, f"{head} {row_text}", 0, "", _RowSink(builder, row_text, i, row_line), tables,
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


def _add_copy_rows(seg: Segment, text: str, builder: TextBuilder, tables: dict[str, list[str]], line: int, ctx: Any) -> int:
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
