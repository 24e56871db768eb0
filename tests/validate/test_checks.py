from datetime import date
from decimal import Decimal

import pytest

from pipelines.validate.checks import CheckSyntaxError, evaluate


def test_sum_within_tolerance():
    v = {"subtotal_amount": Decimal("100.00"), "tax_amount": Decimal("20.00"), "total_amount": Decimal("120.01")}
    assert evaluate("subtotal_amount + tax_amount == total_amount", v, 0.01) is True
    assert evaluate("subtotal_amount + tax_amount == total_amount", v, 0.0) is False


def test_missing_field_means_not_applicable():
    assert evaluate("due_date >= issue_date", {"issue_date": date(2026, 1, 1)}) is None


def test_dates_and_line_sums():
    assert evaluate("due_date >= issue_date", {"issue_date": date(2026, 1, 2), "due_date": date(2026, 1, 1)}) is False
    items = [{"amount": Decimal("1.5")}, {"amount": Decimal("2.5")}]
    assert evaluate("sum_of(line_items, 'amount') == subtotal_amount", {"line_items": items, "subtotal_amount": Decimal(4)}) is True


@pytest.mark.parametrize("expr", ["__import__('os').system('x')", "a.b == 1", "(lambda: 1)() == 1", "x[0] == 1"])
def test_unsafe_expressions_are_refused(expr):
    with pytest.raises(CheckSyntaxError):
        evaluate(expr, {"a": 1, "x": [1]})


def test_or_skips_only_the_alternatives_whose_fields_are_missing():
    from pipelines.validate.checks import evaluate

    expr = "a == b or a + c == b"
    assert evaluate(expr, {"a": 1, "b": 1}) is True
    assert evaluate(expr, {"a": 1, "b": 2}) is False  # c missing: only the first alternative counts
    assert evaluate(expr, {"a": 1, "b": 2, "c": 1}) is True
    assert evaluate(expr, {"b": 2}) is None
