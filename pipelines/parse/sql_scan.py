"""SQL scanner: split a script into statements, comments and COPY data without parsing it.

Knows SQL quoting (a `;` in a string or comment does not end a statement), T-SQL `GO` batch
lines, MySQL `DELIMITER` lines and PostgreSQL `COPY ... FROM stdin` data blocks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pipelines.parse.sql_literals import STATEMENT as INSERT_STATEMENT


@dataclass(slots=True)
class Segment:
    kind: str  # "statement" | "comment" | "copy_data"
    start: int
    end: int
    info: dict[str, Any] = field(default_factory=dict)


_NON_SPACE = re.compile(r"\S")
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
        m = _NON_SPACE.search(text, a, b)
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
                # An INSERT of plain literals (most of a dump) in one match, not token by token.
                whole = INSERT_STATEMENT.match(text, c) if delimiter == ";" else None
                if whole is not None:
                    yield Segment("statement", c, _rstrip_end(text, c, whole.end()))
                    pos, line_start = whole.end() + 1, False
                    continue
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
