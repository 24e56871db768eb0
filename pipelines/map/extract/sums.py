"""Amounts found by the schema's sum checks where their labels are unknown.

A totals box whose labels are not in the schema ("Goods value", "Balance to settle") still
obeys subtotal + tax == total. When one role of a check "A + B == C" has a label candidate
(the tax line "VAT @ 20%"), the amounts at the ends of the lines around it that complete the sum
become candidates of the other roles: the total is the sum, on a line below its two parts.
A completion is taken only when it is the only one, so a coincidence between line amounts
proposes nothing; each amount must stand alone on its line (an item row carries a quantity,
a price and an amount), and a completed value scores below a labelled one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from pipelines.map.extract.choice import amount_value, sum_checks
from pipelines.map.extract.context import Cand, Ctx, amount_tokens

_NEAR = 4  # lines between the anchor and a completing amount: one totals box
_SCORE = 0.45


@dataclass(frozen=True, slots=True)
class _End:
    line: int
    start: int
    end: int
    raw: str
    value: Decimal


def line_end_amounts(ctx: Ctx, indices: Iterable[int] | None = None) -> dict[int, _End]:
    """Per line (index; of `indices` only, if given), its only amount with decimals, if it has exactly one."""
    out: dict[int, _End] = {}
    text = ctx.doc.text
    lines = ctx.idx.lines if indices is None else [ctx.idx.lines[i] for i in sorted(indices)]
    for line in lines:
        toks = [t for t in amount_tokens(text[line.start:line.end], line.start) if t[3]]
        if len(toks) != 1:
            continue
        a, b, raw, _strong, _cur = toks[0]
        value = amount_value(ctx, raw)
        if value is not None and value != 0:
            out[line.index] = _End(line.index, a, b, raw, value)
    return out


def complete_sums(ctx: Ctx) -> None:
    """Candidates for the unlabelled roles of a sum check, completed from a labelled one."""
    checks = sum_checks(ctx.schema)
    if not checks:
        return
    ends: dict[int, _End] | None = None
    for a_name, b_name, c_name, tol in checks:
        roles = (a_name, b_name, c_name)
        if not all(ctx.wants(n) for n in roles):
            continue  # a restricted run wants none of them (scope.py keeps a check's fields together)
        labelled = {n: [c for c in ctx.cands.get(n, []) if isinstance(c.value, Decimal) and c.score >= 0.3
                        and c.source.startswith("label:")] for n in roles}
        missing = [n for n in roles if not labelled[n]]
        if len(missing) not in (1, 2):
            continue  # all labelled: the sum check only weighs them (choice.arithmetic)
        ends = line_end_amounts(ctx) if ends is None else ends
        found: set[tuple[str, _End]] = set()
        for anchor_name in roles:
            for anchor in labelled[anchor_name]:
                line = ctx.idx.line_at(anchor.start)
                if line is None or ends.get(line.index) is None or ends[line.index].start != anchor.start:
                    continue
                for sol in _solutions(ends, ends[line.index], roles.index(anchor_name), tol):
                    # a labelled role must keep a value its label reads: two item rows that add up to the
                    # total are no subtotal and tax when the tax line says another amount
                    if any(n not in missing and all(abs(e.value - c.value) > tol for c in labelled[n])
                           for n, e in zip(roles, sol)):
                        continue
                    found |= {(n, e) for n, e in zip(roles, sol) if n in missing}
        for name in missing:
            mine = {e for n, e in found if n == name}
            if len(mine) != 1:
                continue  # none or ambiguous: nothing proposed
            e = next(iter(mine))
            ctx.cands[name].append(Cand(e.value, e.start, e.end, ctx.idx.page_at(e.start), _SCORE, "sum", e.raw))


def _solutions(ends: dict[int, _End], anchor: _End, role: int, tol: Decimal) -> list[tuple[_End, _End, _End]]:
    """Triples (a, b, c) with a + b == c, the anchor in position `role`, c below a and b,
    all within one totals box around the anchor."""
    near = [e for i, e in ends.items() if abs(i - anchor.line) <= _NEAR and e is not anchor]
    out = []
    for x in near:
        for y in near:
            if x is y:
                continue
            triple = [x, y]
            triple.insert(role, anchor)
            a, b, c = triple
            # the parts above their sum, listed in the check's order (subtotal, then tax)
            if a.line < b.line < c.line and len({a.value, b.value, c.value}) == 3 \
                    and abs(a.value + b.value - c.value) <= tol:
                out.append((a, b, c))
    return out


def part_sums(ctx: Ctx) -> None:
    """One amount field labelled several times ("VAT 19 %", "VAT 7 %", "Total VAT") where one value
    is the sum of all the others, printed below them: that value is the field's (the total of the
    rates), the parts are its pieces. Labels of any language; an exact sum or nothing."""
    for name, spec in ctx.schema.fields.items():
        if spec.type != "amount" or not ctx.wants(name):
            continue
        by_span: dict[tuple[int, int], Cand] = {}
        for c in ctx.cands.get(name, []):
            if c.source.startswith("label:") and isinstance(c.value, Decimal):
                by_span.setdefault((c.start, c.end), c)
        if len(by_span) < 3:
            continue
        last = max(start for start, _end in by_span)
        for span, total in by_span.items():
            if span[0] != last:
                continue  # the parts are printed above their sum: only a reading that starts last can be it
            parts = [c for s, c in by_span.items() if s != span]
            if total.value == 0 or any(c.start > total.start or c.value == 0 for c in parts):
                continue
            if abs(sum(c.value for c in parts) - total.value) > Decimal("0.01"):
                continue
            pieces = {(p.start, p.end) for p in parts}
            for c in ctx.cands[name]:
                if (c.start, c.end) == span:
                    c.score = 1 - (1 - c.score) * 0.5
                elif (c.start, c.end) in pieces:
                    c.score *= 0.5
            break
