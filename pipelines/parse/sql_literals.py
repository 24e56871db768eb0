"""Plain literals in SQL INSERT rows, read without a SQL parser (see `sql_inserts`)."""

from __future__ import annotations

import re
from typing import Any

# A plain literal: a quoted string without backslashes (their reading depends on the dialect),
# a number, NULL, TRUE or FALSE.
_LIT = r"'(?:[^'\\]|'')*'|-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|NULL|TRUE|FALSE"
_LITERAL = re.compile(r"(?P<s>'(?:[^'\\]|'')*')|(?P<n>-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)|(?P<w>NULL|TRUE|FALSE)", re.I | re.A)
_ROW = re.compile(rf"\(\s*(?:{_LIT})\s*(?:,\s*(?:{_LIT})\s*)*\)", re.I | re.A)
_SEP = re.compile(r"\s*,\s*")
# `INSERT [IGNORE] INTO name [(columns)] VALUES`, names plain or quoted, no strings or comments.
_HEAD_SRC = r"""\s*(?:INSERT|REPLACE)\b(?:[^'"`(;\-/]|"[^"]*"|`[^`]*`|\((?:[^()'"`]|"[^"]*"|`[^`]*`)*\))*?\bVALUES?\s*"""
_HEAD = re.compile(_HEAD_SRC, re.I)
# A whole INSERT statement of plain-literal rows up to its `;`: the scanner takes it in one match.
STATEMENT = re.compile(rf"{_HEAD_SRC}(?:{_ROW.pattern})(?:\s*,\s*(?:{_ROW.pattern}))*\s*(?=;)", re.I | re.A)


def literal_row(row: str) -> list[Any] | None:
    """Values of a `( ... )` row of plain literals, or None if any item is something else."""
    if _ROW.fullmatch(row) is None:
        return None
    return values_in(row, 0, len(row))


def values_in(text: str, start: int, end: int) -> list[Any]:
    out: list[Any] = []
    for s, num, word in _LITERAL.findall(text, start, end):
        if s:
            out.append(s[1:-1].replace("''", "'"))
        elif num:
            out.append(int(num) if num.lstrip("-").isdigit() else float(num))  # as sqlglot's reading
        else:
            word = word.upper()
            out.append(None if word == "NULL" else word == "TRUE")
    return out


def literal_groups(stmt: str) -> list[tuple[int, int]] | None:
    """Spans of the rows of an INSERT whose rows are all plain literals, or None."""
    head = _HEAD.match(stmt)
    if head is None:
        return None
    groups, pos, n = [], head.end(), len(stmt)
    while True:
        row = _ROW.match(stmt, pos)
        if row is None:
            return None
        groups.append((row.start(), row.end()))
        sep = _SEP.match(stmt, row.end())
        if sep is None:
            return groups if not stmt[row.end():n].strip() else None
        pos = sep.end()
