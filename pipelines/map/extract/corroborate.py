"""Evidence from the totals box that an amount read as the document's total is the total.

* Rounding ("+round"): the total is printed below an amount it differs from by exactly the
  printed rounding adjustment ("TOTAL 23.26 / ROUNDING -0.01 / TOTAL 23.25"): the lower one is
  what is payable, and the unrounded reading of a total label loses weight.
* Sum ("+sum"): the total is the sum of two amounts printed above it in the totals box
  ("Standard-rated incl. tax 40.28 / Zero-rated 6.50 / Total payable 46.78"), where the box's
  parts are not labelled as the schema's subtotal and tax (when they are, the schema's sum check
  already backs the total: choice.arithmetic, "+check"), and neither part is itself read as a
  total (a total plus a previous balance is the amount due).

Each tags the candidate's source and raises its score as the payment check does. The
calibration judges both tags with the schema's sum check ("+check", choice._FAMILY_TAG): they
are the totals box's own arithmetic, and each alone is too rare on the fit half for a curve.
"""

from __future__ import annotations

from decimal import Decimal

from pipelines.map.extract.amounts import role_amounts
from pipelines.map.extract.context import Cand, Ctx
from pipelines.map.extract.sums import line_end_amounts
from pipelines.map.extract.vocab import ROUNDING_WORDS

_WINDOW = 12  # lines above the total: one totals box, also printed as a block of labels then amounts
_BOOST = 0.5
_UNROUNDED = 0.5  # the weight left to an amount the printed rounding turns into another total reading
_MAX_ROUNDING = Decimal("1")  # a rounding adjustment is cents, not an amount of its own


def _tag(c: Cand, tag: str) -> None:
    c.score = 1 - (1 - c.score) * (1 - _BOOST)
    if f"+{tag}" not in c.source:
        c.source += f"+{tag}"


def corroborate_total(ctx: Ctx, total_field: str) -> None:
    """Tag (and raise) total candidates the rounding line or the box's sum backs."""
    cands = [c for c in ctx.cands.get(total_field, []) if isinstance(c.value, Decimal) and c.value != 0]
    if not cands:
        return
    ends = line_end_amounts(ctx)
    lines = {c.start: ctx.idx.line_at(c.start) for c in cands}
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
    for c in cands:
        if c.value in unrounded and c.value not in rounded:
            c.score *= _UNROUNDED
    checked = {c.value for c in cands if "+check" in c.source}
    # a reading of the total plus another amount is an amount due with a previous balance, a tip..., not the total
    totals = {c.start for c in cands if c.source.startswith("label:")}
    for c in cands:
        if c.value in checked or c.value in unrounded:
            continue
        if any(o.label == c.label and o.value != c.value and o.start > c.start for o in cands):
            continue  # its label printed again below with another amount: a running total before more parts
        parts = [e for e in above[c.start] if e.value != c.value and abs(e.value) not in steps | {0}
                 and e.start not in totals]
        if any(a.line < b.line and a.value + b.value == c.value for a in parts for b in parts):
            _tag(c, "sum")
