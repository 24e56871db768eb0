"""Amount finders and roles: what the labels alone get wrong on receipts and totals boxes.

* Label and value columns read apart: OCR often returns a column of labels ("SUBTOTAL",
  "TAX", "TOTAL", "CASH", "CHANGE") and then the column of their amounts, one per line. A run
  of label lines followed by a run of as many amount lines is paired in order.
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
from pipelines.map.extract.context import Cand, Ctx, norm_value, scalar_fields, scalar_type
from pipelines.model.layout import Line
from pipelines.map.extract.labels import fold_label, match_labels
from pipelines.map.extract.vocab import PAYMENT_CUES
from pipelines.map.normalize import NormalizeError
from pipelines.model.schema import FieldSpec

_AMOUNT_LINE = re.compile(r"^\s*(?:[A-Z]{2,3}|[$€£¥]|RM)?\s*-?\s*(?:\d{1,3}(?:[,. ]\d{3})*|\d+)[.,]\d{2}\s*$")
_ROLE_PENALTY = 0.2
_PERCENT = re.compile(r"@?\s?\d+(?:[.,]\d+)?\s?%")
_TENDERED = ("cash", "tendered", "tender", "paid", "bar", "gegeben", "especes", "contant", "efectivo", "contanti",
             "payment", "visa", "mastercard", "amex", "card", "karte", "carte", "kaart", "carta", "tarjeta")
_BETWEEN = re.compile(r"^\s*:?\s*(?:[A-Z]{2,3}|[$€£¥])?\s*:?\s*$", re.IGNORECASE)  # a lone ':' or currency between label and amount
_CHANGE = ("change", "ruckgeld", "rendu", "wisselgeld", "cambio", "resto")


def _amount_fields(ctx: Ctx) -> dict[str, FieldSpec]:
    return {n: s for n, s in scalar_fields(ctx.schema).items() if scalar_type(s) in ("amount", "decimal")}


def _line_words(ctx: Ctx, line: Line) -> set[str]:
    return set(fold_label(ctx.doc.text[line.start:line.end]).split())


def role_penalties(ctx: Ctx) -> None:
    """Lower label candidates of amount fields whose label line names another role."""
    fields = _amount_fields(ctx)
    for name in fields:
        own = {w for a in ctx.schema.fields[name].aliases for w in fold_label(a).split()}
        for c in ctx.cands.get(name, []):
            if not (c.source.startswith("label:") or c.source == "row") or c.match is None:
                continue
            line = ctx.idx.line_at(c.match[0])
            if line is None:
                continue
            if (_line_words(ctx, line) & PAYMENT_CUES) - own:
                c.score *= _ROLE_PENALTY


def column_runs(ctx: Ctx) -> None:
    """Pair a run of label lines with the run of amount lines that follows it, in order."""
    fields = _amount_fields(ctx)
    if not fields:
        return
    text = ctx.doc.text
    lines = [ln for ln in ctx.idx.lines if ln.words is None and not ln.in_table]
    alias_fields: dict[str, list[str]] = {}
    for name in fields:
        for a in ctx.schema.fields[name].aliases:
            alias_fields.setdefault(fold_label(a), []).append(name)
    pairs: list[tuple[str, Decimal]] = []
    ctx.column_pairs = pairs  # type: ignore[attr-defined]
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and _is_label_line(text, lines[j]):
            j += 1
        k = j
        while k < len(lines) and _AMOUNT_LINE.match(text[lines[k].start:lines[k].end]):
            k += 1
        n_lab, n_val = j - i, k - j
        if n_lab >= 2 and n_val >= n_lab and _consecutive(lines[i:k]):
            # more amounts than labels: the column is aligned at its end (a stray amount above)
            shift, score = n_val - n_lab, (0.6 if n_val == n_lab else 0.45)
            for off in range(n_lab):
                lab, val = lines[i + off], lines[j + shift + off]
                label = fold_label(_PERCENT.sub("", text[lab.start:lab.end]))
                raw = text[val.start:val.end].strip()
                try:
                    pairs.append((label, Decimal(re.sub(r"[^\d.\-]", "", raw.replace(",", ".")))))
                except ArithmeticError:
                    pass
                names = alias_fields.get(label, [])
                if not names:
                    continue
                a = val.start + text[val.start:val.end].index(raw)
                for name in names:
                    try:
                        value = norm_value(ctx, ctx.schema.fields[name], raw)
                    except NormalizeError:
                        continue
                    ctx.cands[name].append(Cand(value, a, a + len(raw), val.page, score, "label:column", raw,
                                                label, (lab.start, lab.end)))
        i = max(k, i + 1)


def _is_label_line(text: str, line: Line) -> bool:
    t = text[line.start:line.end].strip().rstrip(":").strip()
    t = _PERCENT.sub("", t)  # "GST 6%" is still a label
    return bool(t) and not any(c.isdigit() for c in t) and len(t.split()) <= 5


def _consecutive(lines: list[Line]) -> bool:
    return all(b.index == a.index + 1 for a, b in zip(lines, lines[1:]))


def payment_check(ctx: Ctx, total_field: str) -> None:
    """Boost total candidates that equal amount tendered minus change."""
    cands = [c for c in ctx.cands.get(total_field, []) if isinstance(c.value, Decimal)]
    if not cands:
        return
    tendered = [abs(t) for t in _role_amounts(ctx, _TENDERED)]  # some tills print the tender negative
    change = _role_amounts(ctx, _CHANGE)
    if not tendered:
        return
    # no change line: the amount paid by card (or cash, exactly) is the total itself
    paid = {c.value for c in cands if any(abs(t - g - c.value) <= Decimal("0.01") and g >= 0 and t > 0
                                         for t in tendered for g in (change or [Decimal(0)]))}
    on_tender = _tender_lines(ctx)
    for c in cands:
        line = ctx.idx.line_at(c.start)
        if c.value in paid and (line is None or line.index not in on_tender):
            c.score = 1 - (1 - c.score) * (1 - 0.4)
            if "+pay" not in c.source:
                c.source += "+pay"
        elif len(paid) == 1:
            c.score *= 0.6  # tendered - change says the total is another amount (the unrounded one, a subtotal)


def _role_amounts(ctx: Ctx, words: tuple[str, ...]) -> list[Decimal]:
    """Amounts on, right after, or paired in a column run with lines that name a role."""
    text = ctx.doc.text
    out: list[Decimal] = []
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
        for raw in (tail, *after):
            mm = re.search(r"-?(?:\d+(?:[.,]\d{3})*)?[.,]\d{2}(?!\d)", raw)  # ".00": a till prints no change so
            if mm:
                try:
                    out.append(Decimal(mm.group().replace(",", ".")) if mm.group().count(",") == 1 and "." not in mm.group()
                               else Decimal(mm.group().replace(",", "")))
                except ArithmeticError:
                    pass
                break
    for label, value in getattr(ctx, "column_pairs", []):
        if set(label.split()) & set(words):
            out.append(value)
    return out


def _tender_lines(ctx: Ctx) -> set[int]:
    """Lines that name a tender or the change: an amount there is what was paid, not the total."""
    out = set()
    for m in match_labels(ctx.doc, (*_TENDERED, *_CHANGE)):
        line = ctx.idx.line_at(m.start)
        if line is not None:
            out.add(line.index)
    return out


def total_fields(ctx: Ctx) -> list[str]:
    """Amount fields that are the right side of a schema sum check (the document's total)."""
    return list(dict.fromkeys(c for _, _, c, _ in sum_checks(ctx.schema)))
