"""Evidence from the totals box that an amount read as the document's total is the total.

* Rounding ("+round"): the total is printed below an amount it differs from by exactly the
  printed rounding adjustment ("TOTAL 23.26 / ROUNDING -0.01 / TOTAL 23.25"): the lower one is
  what is payable, and the unrounded reading of a total label loses weight.
* Net: a total reading that a tax printed beside it (or read as the tax) turns into another
  total reading (give or take the printed rounding) is a tax summary's net amount ("TOTAL 16.98 1.02" under "TOTAL PAYABLE 18.00"),
  in the subtotal's role: it loses weight, so it contests the total less.
* Sum ("+sum"): the total is the sum of two amounts printed above it in the totals box
  ("Standard-rated incl. tax 40.28 / Zero-rated 6.50 / Total payable 46.78"), where the box's
  parts are not labelled as the schema's subtotal and tax (when they are, the schema's sum check
  already backs the total: choice.arithmetic, "+check"), and neither part is itself read as a
  total (a total plus a previous balance is the amount due).

* Included tax ("+incl"): a tax printed on the document is exactly the share of the total that a
  rate printed on it makes ("TOTAL 21.20 ... GST 6% ... 1.20": 21.20 x 6/106 = 1.20). It holds for
  the total whether the prices included the tax or not (net + net x r = total), not for the net
  amount; the tax amount need not be labelled (a tax summary's column). So do a net amount and
  its tax at that rate (to a cent: tills round the tax per line), both printed, that add up to
  the total (a tax summary's row). A reading the rounding or a deduction below sets aside is not
  backed by it, nor are two total readings that both hold it.

Each tags the candidate's source and raises its score as the payment check does. The
calibration judges these tags with the schema's sum check ("+check", choice._FAMILY_TAG): they
are the totals box's own arithmetic, and each alone is too rare on the fit half for a curve.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from pipelines.map.extract.amounts import role_amounts
from pipelines.map.extract.choice import amount_value, sum_checks
from pipelines.map.extract.context import Cand, Ctx, amount_tokens
from pipelines.map.extract.sums import line_end_amounts
from pipelines.map.extract.vocab import PERCENT_RE, ROUNDING_WORDS

_WINDOW = 12  # lines above the total: one totals box, also printed as a block of labels then amounts
_BOOST = 0.5
_MAX_READINGS = 200  # total readings of one totals box; the checks below compare readings pairwise
_UNROUNDED = 0.5  # the weight left to an amount the printed rounding turns into another total reading
_MAX_ROUNDING = Decimal("1")
_NET = 0.5  # the weight left to a total reading that a printed tax amount turns into another one  # a rounding adjustment is cents, not an amount of its own


def _tag(c: Cand, tag: str) -> None:
    c.score = 1 - (1 - c.score) * (1 - _BOOST)
    if f"+{tag}" not in c.source:
        c.source += f"+{tag}"


def corroborate_total(ctx: Ctx, total_field: str) -> None:
    """Tag (and raise) total candidates the rounding line or the box's sum backs."""
    cands = [c for c in ctx.cands.get(total_field, []) if isinstance(c.value, Decimal) and c.value != 0]
    if not cands or len(cands) > _MAX_READINGS:
        return  # hundreds of readings are a long list's column, not one totals box: its arithmetic is no evidence
    lines = {c.start: ctx.idx.line_at(c.start) for c in cands}
    # only the lines of the boxes above the readings: the amounts of every line cost a tenth of the run
    ends = line_end_amounts(ctx, {i for line in lines.values() if line is not None
                                  for i in range(max(line.index - _WINDOW, 0), line.index)})
    above = {c.start: [e for i, e in ends.items() if line is not None and 0 < line.index - i <= _WINDOW]
             for c in cands for line in [lines[c.start]]}
    steps = {abs(r) for r in role_amounts(ctx, ROUNDING_WORDS) if 0 < abs(r) < _MAX_ROUNDING}
    unrounded: set[Decimal] = set()
    rounded: set[Decimal] = set()
    for c in cands:
        # the unrounded amount, then the rounding step, then the total, top to bottom
        hits = {u.value for u in above[c.start] if u.value != c.value and abs(c.value - u.value) in steps
                and any(u.line < r.line and abs(r.value) == abs(c.value - u.value) for r in above[c.start])}
        if hits:
            rounded.add(c.value)
            unrounded |= hits
            _tag(c, "round")
    tax_fields = [b for _a, b, total, _tol in sum_checks(ctx.schema) if total == total_field]
    taxes = {t.value for b in tax_fields for t in ctx.cands.get(b, [])
             if isinstance(t.value, Decimal) and t.source.startswith("label:")}
    for c in cands:
        if c.value in unrounded and c.value not in rounded:
            c.score *= _UNROUNDED
        elif _net_of(ctx, c, cands, taxes, steps):
            c.score *= _NET
    adjusted = _adjusted_below(ctx, cands)
    checked = {c.value for c in cands if "+check" in c.source}
    # a reading of the total plus another amount is an amount due with a previous balance, a tip..., not the total
    totals = {c.start for c in cands if c.source.startswith("label:")}
    for c in cands:
        if c.value in checked or c.value in unrounded or c.value in adjusted:
            continue
        if any(o.label == c.label and o.value != c.value and o.start > c.start for o in cands):
            continue  # its label printed again below with another amount: a running total before more parts
        parts = [e for e in above[c.start] if e.value != c.value and abs(e.value) not in steps | {0}
                 and e.start not in totals]
        if any(a.line < b.line and a.value + b.value == c.value for a in parts for b in parts):
            _tag(c, "sum")
    # the included tax: for readings nothing above backs, never one the rounding or a deduction sets aside
    tagged = checked | unrounded | adjusted | {c.value for c in cands if "+sum" in c.source}
    rest = [c for c in cands if c.value > 0 and c.value not in tagged]
    rates = _rates(ctx.doc.text) if rest else set()
    if rates:
        printed = {v for _a, _b, raw, strong, _cur in amount_tokens(ctx.doc.text, 0) if strong
                   for v in [amount_value(ctx, raw)] if v is not None and v > 0}
        ordered = sorted(printed)
        held = [c for c in rest if any(_share(c.value, r) in printed or _net_and_tax(c.value, r, printed, ordered)
                                       for r in rates)]
        # the rounded and the unrounded total often hold the same tax: then it says neither is the total
        if len({c.value for c in held}) == 1:
            for c in held:
                _tag(c, "incl")


_MAX_RATE = Decimal(30)  # VAT, GST and sales-tax rates; a larger percentage is a discount or a tip
_CENT = Decimal("0.01")


def _rates(text: str) -> set[Decimal]:
    """The percentages printed on the document that may be a tax rate."""
    out: set[Decimal] = set()
    for m in PERCENT_RE.finditer(text):
        try:
            r = Decimal(m.group().rstrip("% ").replace(",", "."))
        except InvalidOperation:
            continue
        if 0 < r <= _MAX_RATE:
            out.add(r)
    return out


def _net_and_tax(total: Decimal, rate: Decimal, printed: set[Decimal], ordered: list[Decimal]) -> bool:
    """A net amount and its tax at the rate (to a cent: a till rounds the tax per line) are printed
    that add up to the total: a tax summary's row ("SR @ 6%  14.16  0.84" for a total of 15.00).
    Such a tax lies within a cent of the total's share at the rate, so only the printed amounts
    (`ordered`, sorted) there are tried: a long document prints thousands."""
    share = total * rate / (100 + rate)
    near = ordered[bisect_left(ordered, share - _CENT):bisect_right(ordered, share + _CENT)]
    return any(tax < total and total - tax in printed and abs((total - tax) * rate / 100 - tax) <= _CENT
               for tax in near)


def _share(total: Decimal, rate: Decimal) -> Decimal:
    """The tax a total holds at this rate, to the cent."""
    return (total * rate / (100 + rate)).quantize(_CENT, rounding=ROUND_HALF_UP)


def _net_of(ctx: Ctx, c: Cand, cands: list[Cand], taxes: set[Decimal], steps: set[Decimal]) -> bool:
    """A total reading that, with a tax amount printed after it (on its line or the next two) or
    read as the tax (`taxes`), makes another total reading: a tax summary's net ("TOTAL 11.32
    0.68" under "TOTAL PAYABLE 12.00"), the subtotal's role, not the document's total."""
    line = ctx.idx.line_at(c.start)
    if line is None:
        return False
    end = ctx.idx.lines[min(line.index + 2, len(ctx.idx.lines) - 1)].end
    others = {o.value for o in cands if o.value > c.value and o.source.startswith("label:")
              and (o.start < line.start or o.start > end)}
    if not others:
        return False
    beside = {amount_value(ctx, raw) for _a, _b, raw, _s, _cur in amount_tokens(ctx.doc.text[c.end:end], c.end)}
    # net + tax, rounded by the printed rounding step
    adjust = {Decimal(0)} | steps | {-r for r in steps}
    return any(t is not None and t > 0 and c.value + t + d in others for t in taxes | beside for d in adjust)


def _adjusted_below(ctx: Ctx, cands: list[Cand]) -> set[Decimal]:
    """A total reading followed below by a deduction (a discount, a voucher, a deposit: a negative
    amount) and then by the amount that remains is not what is payable: it keeps half its score,
    so the arithmetic of the box above it (subtotal + tax, items) cannot make it sure. Returns the
    values so read."""
    out: set[Decimal] = set()
    n = len(ctx.idx.lines)
    for c in cands:
        line = ctx.idx.line_at(c.start)
        if line is None:
            continue
        below = sorted(line_end_amounts(ctx, range(line.index + 1, min(line.index + 1 + _WINDOW, n))).values(),
                       key=lambda e: e.line)
        if any(d.value < 0 and abs(d.value) >= _MAX_ROUNDING and r.line > d.line and r.value == c.value + d.value
               for d in below for r in below):
            c.score *= _UNROUNDED
            out.add(c.value)
    return out
