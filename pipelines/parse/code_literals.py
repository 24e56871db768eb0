"""Literal data in Python source, read without evaluating it: `ast.literal_eval` semantics over
dicts, lists, tuples and sets, plus `Decimal("1.5")` and `date(2024, 1, 2)` read as strings;
anything else is kept as its source text and its path listed."""

from __future__ import annotations

import ast
import datetime as _dt
import math
from typing import Any

CONTAINERS = (ast.Dict, ast.List, ast.Tuple, ast.Set)


class NotLiteral(Exception):
    pass


_DECIMAL_CALLS = {"Decimal", "decimal.Decimal"}
_DATE_CALLS = {"date", "datetime.date", "datetime", "datetime.datetime"}


def dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _json_scalar(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="backslashreplace")
    if isinstance(value, complex):
        return repr(value)
    if value is Ellipsis:
        return "..."
    return repr(value)


def _key(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return ", ".join(_key(v) for v in value)
    return str(value) if not isinstance(value, float) else repr(value)


class LiteralReader:
    """JSON-compatible data from literal nodes; non-literal sub-expressions become source text."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.expressions: list[str] = []
        self.literals = 0

    def read(self, node: ast.AST, path: str = "") -> Any:
        try:
            value = ast.literal_eval(node) if not isinstance(node, CONTAINERS) else self._container(node, path)
            if not isinstance(node, CONTAINERS):
                self.literals += 1
                return self._jsonable(value)
            return value
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            pass
        special = self._special_call(node)
        if special is not None:
            self.literals += 1
            return special
        self.expressions.append(path or "$")
        return ast.get_source_segment(self.source, node) or ast.unparse(node)

    def _container(self, node: ast.AST, path: str) -> Any:
        if isinstance(node, ast.Dict):
            out: dict[str, Any] = {}
            for k, v in zip(node.keys, node.values):
                if k is None:  # {**other}
                    self.expressions.append(f"{path}.**" if path else "**")
                    continue
                key_value = self.read(k, path + ".<key>")
                key = _key(key_value)
                out[key] = self.read(v, f"{path}.{key}" if path else key)
            return out
        items = node.elts  # type: ignore[attr-defined]
        values = [self.read(v, f"{path}[{i}]") for i, v in enumerate(items)]
        if isinstance(node, ast.Set):
            try:
                return sorted(values)
            except TypeError:
                return values
        return values

    def _jsonable(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {_key(k): self._jsonable(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._jsonable(v) for v in value]
        if isinstance(value, (set, frozenset)):
            items = [self._jsonable(v) for v in value]
            try:
                return sorted(items)
            except TypeError:
                return items
        return _json_scalar(value)

    def _special_call(self, node: ast.AST) -> Any:
        """Decimal("12.50") -> "12.50"; date(2024, 1, 31) -> "2024-01-31"; -x on literals handled by literal_eval."""
        if not isinstance(node, ast.Call) or node.keywords:
            return None
        name = dotted(node.func)
        args = node.args
        if not all(isinstance(a, ast.Constant) or (isinstance(a, ast.UnaryOp) and isinstance(a.operand, ast.Constant)) for a in args):
            return None
        try:
            values = [ast.literal_eval(a) for a in args]
        except ValueError:
            return None
        if name in _DECIMAL_CALLS and len(values) == 1 and isinstance(values[0], (str, int, float)):
            return str(values[0]).strip()
        if name in _DATE_CALLS and 3 <= len(values) <= 7 and all(isinstance(v, int) for v in values):
            try:
                if len(values) == 3 and name in ("date", "datetime.date"):
                    return _dt.date(*values).isoformat()
                return _dt.datetime(*values).isoformat()
            except (ValueError, TypeError):
                return None
        return None


def records_of(value: Any) -> list[dict[str, Any]] | None:
    """A list of dicts, or a dict of dicts (key kept under `_key`), as a list of records."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return value
    if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
        return [{"_key": k, **{kk: vv for kk, vv in v.items() if kk != "_key"}} for k, v in value.items()]
    return None
