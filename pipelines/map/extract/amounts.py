"""Amount finders and roles: what the labels alone get wrong on receipts and totals boxes.

* Label and value columns read apart: see columns.py.
* Roles: an amount read next to a label of an amount field, on a line that also says what was
  paid, given back, rounded away or counted ("TOTAL QTY", "CASH", "CHANGE", "ROUNDING"), is not
  that field's value unless the field's own label says so; it is kept at a fraction of its score.
* Payment check: a total T for which the receipt shows an amount tendered C and change G with
  C - G == T is boosted, as the schema's sum checks boost subtotal + tax == total; with no change
  line, a card (or exact cash) payment C == T backs it.
"""

from __future__ import annotations

import re
from decimal import Decimal

from pipelines.map.extract.choice import sum_checks
from pipelines.map.extract.context import Cand, Ctx, scalar_fields, scalar_type
from pipelines.model.layout import Line
from pipelines.map.extract.labels import fold_label, match_labels
from pipelines.map.extract.misread import one_digit_apart
from pipelines.map.extract.vocab import PAYMENT_CUES
from pipelines.model.schema import FieldSpec

_ROLE_PENALTY = 0.2
TENDERED_WORDS = ("cash", "tendered", "tender", "paid", "bar", "gegeben", "especes", "contant", "efectivo", "contanti",
             "payment", "visa", "mastercard", "amex", "card", "karte", "carte", "kaart", "carta", "tarjeta")
_BETWEEN = re.compile(r"^\s*:?\s*(?:[A-Z]{2,3}|[$€£¥])?\s*:?\s*$", re.IGNORECASE)  # a lone ':' or currency between label and amount
CHANGE_WORDS = ("change", "ruckgeld", "rendu", "wisselgeld", "cambio", "resto")


def amount_fields(ctx: Ctx) -> dict[str, FieldSpec]:
    return {n: s for n, s in scalar_fields(ctx.schema).items() if scalar_type(s) in ("amount", "decimal")}


def _line_words(ctx: Ctx, line: Line) -> set[str]:
    return set(fold_label(ctx.doc.text[line.start:line.end]).split())


def role_penalties(ctx: Ctx) -> None:
    """Lower label candidates of amount fields whose label line names another role."""
    fields = amount_fields(ctx)
    cues: dict[int, set[str]] = {}  # a line's payment words, read once: a long line holds many candidates
    for name in fields:
        own = {w for a in ctx.schema.fields[name].aliases for w in fold_label(a).split()}
        for c in ctx.cands.get(name, []):
            if not (c.source.startswith("label:") or c.source == "row") or c.match is None:
                continue
            line = ctx.idx.line_at(c.match[0])
            if line is None:
                continue
            if line.index not in cues:
                cues[line.index] = _line_words(ctx, line) & PAYMENT_CUES
            if cues[line.index] - own:
                c.score *= _ROLE_PENALTY


def payment_check(ctx: Ctx, total_field: str) -> None:
    """Boost total candidates that equal amount tendered minus change."""
    cands = [c for c in ctx.cands.get(total_field, []) if isinstance(c.value, Decimal)]
    if not cands:
        return
    tendered = [abs(t) for t in role_amounts(ctx, TENDERED_WORDS)]  # some tills print the tender negative
    change = role_amounts(ctx, CHANGE_WORDS)
    if not tendered:
        return
    # no change line: the amount paid by card (or cash, exactly) is the total itself
    paid = {c.value for c in cands if any(abs(t - g - c.value) <= Decimal("0.01") and g >= 0 and t > 0
                                         for t in tendered for g in (change or [Decimal(0)]))}
    on_tender = _tender_lines(ctx)
    for c in cands:
        line = ctx.idx.line_at(c.start)
        if c.source.startswith("tender"):
            continue  # tendered - change itself: it backs no reading, not even its own
        if c.value in paid and (line is None or line.index not in on_tender):
            c.score = 1 - (1 - c.score) * (1 - 0.4)
            if "+pay" not in c.source:
                c.source += "+pay"
        elif len(paid) == 1:
            c.score *= 0.6  # tendered - change says the total is another amount (the unrounded one, a subtotal)
        elif not paid and change and line is not None and line.index not in on_tender:
            # what was tendered and given back is printed, and no total reading is what was paid:
            # a check on the total failed, so no other agreement may vouch for it (choice._family)
            if "+unpaid" not in c.source:
                c.source += "+unpaid"


def role_amounts(ctx: Ctx, words: tuple[str, ...]) -> list[Decimal]:
    """Amounts on, right after, or paired in a column run with lines that name a role."""
    out = [v for v, _, _ in role_spans(ctx, words)]
    for label, value in getattr(ctx, "column_pairs", []):
        if set(label.split()) & set(words):
            out.append(value)
    return out


def role_spans(ctx: Ctx, words: tuple[str, ...]) -> list[tuple[Decimal, int, int]]:
    """Amounts (with their spans) on or right after lines that name a role."""
    text = ctx.doc.text
    out: list[tuple[Decimal, int, int]] = []
    for m in match_labels(ctx.doc, words):
        line = ctx.idx.line_at(m.start)
        if line is None:
            continue
        tail = text[m.end:line.end]
        after = []
        for nxt in ctx.idx.lines[line.index + 1:line.index + 3] if line.index >= 0 else []:
            after.append(text[nxt.start:nxt.end])
            if not _BETWEEN.match(after[-1]):
                break  # 'CASH :' / 'RM' / '39.80': the amount may sit two lines down
        at = m.end
        for k, raw in enumerate((tail, *after)):
            at = at if k == 0 else ctx.idx.lines[line.index + k].start
            mm = re.search(r"-?(?:\d+(?:[.,]\d{3})*)?[.,]\d{2}(?!\d)", raw)  # ".00": a till prints no change so
            if mm:
                try:
                    out.append((Decimal(mm.group().replace(",", ".")) if mm.group().count(",") == 1 and "." not in mm.group()
                                else Decimal(mm.group().replace(",", "")), at + mm.start(), at + mm.end()))
                except ArithmeticError:
                    pass
                break
    return out


def tender_candidate(ctx: Ctx, total_field: str) -> None:
    """The amount tendered minus the change printed under it, as a candidate of the total when no
    reading of the total is that amount (its label's amount misread or lost on a photo: 'Total
    Amount: Bl e,' above 'Cash 50.00 / Change 30.80'). Only when tendered and change give one
    amount; it scores below a label's reading, and payment_check weighs the other readings against it
    but does not raise it (it is tendered - change itself)."""
    tendered = [(abs(v), a, b) for v, a, b in role_spans(ctx, TENDERED_WORDS)]
    change = [(v, a, b) for v, a, b in role_spans(ctx, CHANGE_WORDS) if v >= 0]
    if not change and "ocr" in ctx.doc.metadata:
        _underpaid(ctx, total_field, tendered)
        return
    pairs = [(t - g, ta, gb) for t, ta, tb in tendered for g, ga, gb in change
             if t - g > 0 and ta < ga and (ta, tb) != (ga, gb)]
    if len({v for v, _, _ in pairs}) != 1:
        return
    value, a, b = pairs[0]
    if any(isinstance(c.value, Decimal) and c.value == value for c in ctx.cands.get(total_field, [])):
        return  # read already: payment_check backs that reading
    ctx.cands[total_field].append(Cand(value, a, b, ctx.idx.page_at(a), _TENDER_SCORE, "tender", ctx.doc.text[a:b]))


_TENDER_SCORE = 0.4


def _underpaid(ctx: Ctx, total_field: str, tendered: list[tuple[Decimal, int, int]]) -> None:
    """No change read: a total read one look-alike digit above the amount paid ('23.86' over
    'CASH 23.80', a dotted 0 read as 6) was misread, as no one pays less than the total; the amount
    paid becomes the total's candidate, at the reading's score, and the reading loses half of it."""
    for c in ctx.cands.get(total_field, []):
        if not (c.source.startswith("label:") and isinstance(c.value, Decimal)):
            continue
        for t, a, b in tendered:
            if t < c.value and one_digit_apart(f"{c.value:.2f}", f"{t:.2f}"):
                ctx.cands[total_field].append(Cand(t, a, b, ctx.idx.page_at(a), c.score, "tender", ctx.doc.text[a:b]))
                c.score *= 0.5
                return


def _tender_lines(ctx: Ctx) -> set[int]:
    """Lines that name a tender or the change: an amount there is what was paid, not the total."""
    out = set()
    for m in match_labels(ctx.doc, (*TENDERED_WORDS, *CHANGE_WORDS)):
        line = ctx.idx.line_at(m.start)
        if line is not None:
            out.add(line.index)
    return out


def total_fields(ctx: Ctx) -> list[str]:
    """Amount fields that are the right side of a schema sum check (the document's total)."""
    return list(dict.fromkeys(c for _, _, c, _ in sum_checks(ctx.schema)))
