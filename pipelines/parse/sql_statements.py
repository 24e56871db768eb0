"""One SQL statement at a time with sqlglot (never executed): the dialect that reads it, table
names, literal values, `VALUES` row groups, `CREATE TABLE` columns as written, COPY fields."""

from __future__ import annotations

import logging
import re
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from pipelines.parse.sql_scan import _unquote_name

DIALECTS: tuple[str | None, ...] = (None, "postgres", "mysql", "tsql", "sqlite")


class _DropCommandFallback(logging.Filter):
    """sqlglot warns for each statement it keeps as an opaque Command; we try other dialects instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Falling back to parsing as a 'Command'" not in record.getMessage()


logging.getLogger("sqlglot").addFilter(_DropCommandFallback())


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


def _groups_pattern(backslash: bool) -> re.Pattern[str]:
    return re.compile(
        "|".join(
            [
                r"(?P<line>--[^\n]*)",
                r"(?P<block>/\*.*?(?:\*/|\Z))",
                r"(?P<str>" + (r"'(?:[^'\\]|\\.|'')*'?" if backslash else r"'(?:[^']|'')*'?") + ")",
                r'(?P<ident>"(?:[^"]|"")*"?|`(?:[^`]|``)*`?|\[[^\]]*\]?)',
                r"(?P<values>\bVALUES?\b)",
                r"(?P<open>\()",
                r"(?P<close>\))",
                # a run of plain characters is one token (a long number is not one match per digit)
                r"(?P<other>[^\s,()'\"`\[\-/]+|[^\s,])",
            ]
        ),
        re.S | re.I,
    )


_GROUPS = {False: _groups_pattern(False), True: _groups_pattern(True)}


def value_groups(stmt: str, *, backslash: bool) -> list[tuple[int, int]]:
    """Spans of the top-level `( ... )` row groups after VALUES in an INSERT statement."""
    pat = _GROUPS[backslash]
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


# COPY data (pg_dump)
_COPY_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def copy_field(raw: str) -> str | None:
    if raw == "\\N":
        return None
    if "\\" not in raw:
        return raw
    return re.sub(r"\\(.)", lambda m: _COPY_ESCAPES.get(m.group(1), m.group(1)), raw)
