"""Cross-field checks written as small, safe expressions (no eval of arbitrary code).

Allowed: field names, numbers and strings, + - * /, comparisons, and/or/not, and the
functions `abs`, `len`, `sum_of(list_field, 'sub_field')`. A check whose fields are not all
present is skipped: missing values are reported by the required-field check instead (an
`or` skips only the alternatives whose fields are missing).
`==` between numbers honours the check's tolerance.
"""

from __future__ import annotations

import ast
import operator
from decimal import Decimal
from typing import Any


class CheckSyntaxError(ValueError):
    pass


class Skip(Exception):
    """A referenced field is missing."""


_BIN = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def _sum_of(items: Any, key: str) -> Decimal:
    if not items:
        raise Skip
    vals = [i.get(key) for i in items if isinstance(i, dict)]
    if any(v is None for v in vals):
        raise Skip
    return sum((Decimal(str(v)) for v in vals), Decimal(0))


_FUNCS = {"abs": abs, "len": len, "sum_of": _sum_of}


def names_in(expr: str) -> set[str]:
    tree = _parse(expr)
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id not in _FUNCS}


def _parse(expr: str) -> ast.Expression:
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as exc:
        raise CheckSyntaxError(f"check {expr!r} is not a valid expression: {exc.msg}") from exc
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in _FUNCS):
            raise CheckSyntaxError(f"check {expr!r} calls a function other than {sorted(_FUNCS)}")
        if isinstance(node, (ast.Attribute, ast.Subscript, ast.Lambda, ast.comprehension)):
            raise CheckSyntaxError(f"check {expr!r} uses {type(node).__name__}, which checks do not allow")
    return tree


def evaluate(expr: str, values: dict[str, Any], tolerance: float = 0.0) -> bool | None:
    """True/False, or None when a referenced field is missing (the check does not apply)."""
    tree = _parse(expr)
    tol = Decimal(str(tolerance))

    def num(v: Any) -> Any:
        return Decimal(str(v)) if isinstance(v, (int, float)) and not isinstance(v, bool) else v

    def ev(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            return num(node.value)
        if isinstance(node, ast.Name):
            if values.get(node.id) is None:
                raise Skip
            return num(values[node.id])
        if isinstance(node, ast.BinOp) and type(node.op) in _BIN:
            return _BIN[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return not ev(node.operand)
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            # An alternative whose fields are missing does not count; the check is skipped
            # only when no alternative can be evaluated.
            known = []
            for v in node.values:
                try:
                    known.append(bool(ev(v)))
                except Skip:
                    continue
                if known[-1]:
                    return True
            if not known:
                raise Skip
            return False
        if isinstance(node, ast.BoolOp):
            return all(ev(v) for v in node.values)
        if isinstance(node, ast.Compare):
            left = ev(node.left)
            for op, comp in zip(node.ops, node.comparators):
                right = ev(comp)
                if not _compare(op, left, right, tol):
                    return False
                left = right
            return True
        if isinstance(node, ast.Call):
            return _FUNCS[node.func.id](*[ev(a) for a in node.args])  # type: ignore[union-attr]
        raise CheckSyntaxError(f"unsupported expression element {type(node).__name__}")

    try:
        return bool(ev(tree))
    except Skip:
        return None


def _compare(op: ast.cmpop, a: Any, b: Any, tol: Decimal) -> bool:
    numeric = isinstance(a, Decimal) and isinstance(b, Decimal)
    if isinstance(op, ast.Eq):
        return abs(a - b) <= tol if numeric else a == b
    if isinstance(op, ast.NotEq):
        return abs(a - b) > tol if numeric else a != b
    ops = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge}
    return ops[type(op)](a, b)
