"""Label and value columns read apart: OCR often returns a block of totals labels ("SUBTOTAL",
"ROUNDING", "TOTAL", "CASH", "CHANGE") and then the block of their amounts, one per line.

A run of label lines, then (past lines holding only ':' or a currency code) a run of amount lines:
* as many amounts as labels: paired in order;
* a different count: a stray label or amount sits at one end of a run, so several alignments are
  possible. One is taken only when the pairs it makes are consistent (tendered - change == total,
  subtotal + rounding == total, subtotal + tax == total) and no other alignment is consistent
  with another total. Otherwise only a run with more amounts than labels is paired, aligned at
  its end (a stray amount above), at a lower score; the total stays unsure or missing.
A label read loosely (a currency code dropped, "TOTAL SALES INCL GST" by its alias "Total Sales")
names a field only in a consistent run. A run without a total label whose tendered - change
equals another amount's value (a subtotal) makes that amount a total candidate: nothing was
added after it. A pairing that can be checked and fails every check scores lower.
Every pair is also kept as (label, amount) on the context for the payment check (amounts.py).
"""

from __future__ import annotations

import re
from decimal import Decimal

from pipelines.map.extract.amounts import CHANGE_WORDS, TENDERED_WORDS, amount_fields
from pipelines.map.extract.choice import sum_checks
from pipelines.map.extract.context import Cand, Ctx, norm_value
from pipelines.map.extract.labels import fold_label
from pipelines.map.normalize import NormalizeError
from pipelines.map.normalize.currency_data import KNOWN_CODES, SYMBOLS
from pipelines.model.layout import Line

_CUR = r"(?:[A-Z]{2,3}|[$€£¥])"
# "19.90", "RM19.90", "-RM0.01", "0.01-", ".20" (a till drops the leading zero), "5.00 RM", a lone "0"
_AMOUNT_LINE = re.compile(r"^\s*-?\s*" + _CUR + r"?\s*-?\s*(?:(?:\d{1,3}(?:[,. ]\d{3})*|\d+)?[.,]\d{2}|0)\s*-?\s*" + _CUR + r"?\s*$")
# currency codes and the normaliser's lettered signs ("RM", "Rp"), folded: a label may end with one
_CODES = frozenset(c.casefold() for c in (*KNOWN_CODES, *(s for s in SYMBOLS if s.isalpha())))
_SIGNS = frozenset(s for s in SYMBOLS if not s.isalpha())


def _filler(text: str) -> bool:
    """Only ':' or a currency ('RM', 'EUR', '$') on the line: it sits between the two runs."""
    t = text.strip().strip(":.-").strip()
    return not t or t.casefold() in _CODES or t in _SIGNS
_PERCENT = re.compile(r"@?\s?\d+(?:[.,]\d+)?\s?%")
_ROUNDING = ("rounding", "round", "adj", "adjustment", "rundung", "arrondi", "afronding", "arrotondamento", "redondeo")
_TOL = Decimal("0.01")
_SCORE_EQUAL, _SCORE_SHIFTED = 0.6, 0.45
_FAILED = 0.5  # a pairing whose checks all fail: its label values are likely shifted


def _is_label_line(text: str, line: Line) -> bool:
    t = text[line.start:line.end].strip().rstrip(":").strip()
    t = _PERCENT.sub("", t)  # "GST 6%" is still a label
    return bool(t) and not any(c.isdigit() for c in t) and len(t.split()) <= 5


def _label_key(text: str) -> str:
    """The folded label without a rate, a currency code or a colon around it ("TOTAL SALES RM")."""
    words = fold_label(_PERCENT.sub("", text)).split()
    while len(words) > 1 and words[-1] in _CODES:
        words.pop()
    return " ".join(words)


def _amount(raw: str) -> Decimal | None:
    s = raw.replace(" ", "")
    neg = "-" in s
    s = re.sub(r"[^\d.,]", "", s)
    if not s:
        return None
    if "," in s and "." not in s and re.search(r",\d{2}$", s):
        s = s.replace(",", ".")
    s = s.replace(",", "")
    try:
        v = Decimal(s)
    except ArithmeticError:
        return None
    return -v if neg else v


def _fields_of(key: str, by_alias: dict[str, list[str]]) -> list[str]:
    """Amount fields a label names: its exact alias, else the longest alias it starts with
    ("total sales inclusive gst" -> "total sales")."""
    if key in by_alias:
        return by_alias[key]
    best = max((a for a in by_alias if key.startswith(a + " ")), key=len, default=None)
    return by_alias[best] if best else []


def _has(key: str, words: tuple[str, ...]) -> bool:
    return bool(set(key.split()) & set(words))


def _consistent(ctx: Ctx, pairs: list[tuple[str, Decimal, list[str]]], total: set[str]) -> tuple[bool, set[Decimal]]:
    """(checkable?, totals the pairs make consistent)."""
    totals = [v for k, v, f in pairs if set(f) & total and v > 0 and not _has(k, TENDERED_WORDS + CHANGE_WORDS)]
    tendered = [abs(v) for k, v, _ in pairs if _has(k, TENDERED_WORDS) and not _has(k, CHANGE_WORDS)]
    change = [v for k, v, _ in pairs if _has(k, CHANGE_WORDS)]
    rounding = [v for k, v, f in pairs if _has(k, _ROUNDING) and not (set(f) & total)]
    named = {n: [v for _, v, f in pairs if n in f] for _, _, fs in pairs for n in fs}
    ok: set[Decimal] = set()
    checkable = bool(totals) and bool(tendered or rounding)
    for t in totals:
        # tendered - change == total (no change line: the amount paid is the total)
        if any(abs(c - g - t) <= _TOL and g >= 0 for c in tendered for g in (change or [Decimal(0)])):
            ok.add(t)
        for a_name, b_name, c_name, tol in sum_checks(ctx.schema):
            if c_name in total and any(abs(a + b - t) <= tol for a in named.get(a_name, []) for b in named.get(b_name, [])):
                checkable = True
                ok.add(t)
        subtotals = [v for _, v, f in pairs if f and not set(f) & total]
        if any(abs(s + r - t) <= _TOL for s in subtotals for r in rounding if r != 0):
            ok.add(t)
    return checkable, ok


def _paid(pairs: list[tuple[str, Decimal, list[str]]]) -> set[Decimal]:
    """Tendered - change, where the run has both (a positive amount)."""
    tendered = [abs(v) for k, v, _ in pairs if _has(k, TENDERED_WORDS) and not _has(k, CHANGE_WORDS)]
    change = [v for k, v, _ in pairs if _has(k, CHANGE_WORDS)]
    return {c - g for c in tendered for g in change if c - g > 0 and g >= 0}


def _pairs(ctx: Ctx, labels: list[Line], values: list[Line], by_alias: dict[str, list[str]]) -> list[tuple[str, Decimal, list[str]]]:
    text = ctx.doc.text
    out = []
    for lab, val in zip(labels, values):
        v = _amount(text[val.start:val.end])
        if v is None:
            return []
        key = _label_key(text[lab.start:lab.end])
        out.append((key, v, _fields_of(key, by_alias)))
    return out


def _strict(ctx: Ctx, line: Line, by_alias: dict[str, list[str]]) -> list[str]:
    """The fields a label names exactly as written (no currency code dropped, no prefix)."""
    return by_alias.get(fold_label(_PERCENT.sub("", ctx.doc.text[line.start:line.end])), [])


def column_runs(ctx: Ctx) -> None:
    """Pair a run of label lines with the run of amount lines that follows it (see the module)."""
    fields = amount_fields(ctx)
    pairs_out: list[tuple[str, Decimal]] = []
    ctx.column_pairs = pairs_out  # type: ignore[attr-defined]
    if not fields:
        return
    text = ctx.doc.text
    total = {c for _, _, c, _ in sum_checks(ctx.schema)}
    lines = [ln for ln in ctx.idx.lines if ln.words is None and not ln.in_table]
    by_alias: dict[str, list[str]] = {}
    for name in fields:
        for a in ctx.schema.fields[name].aliases:
            by_alias.setdefault(fold_label(a), []).append(name)
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and _is_label_line(text, lines[j]) and not _filler(text[lines[j].start:lines[j].end]):
            j += 1
        f = j
        while f < len(lines) and f - j < j - i and _filler(text[lines[f].start:lines[f].end]):
            f += 1
        k = f
        while k < len(lines) and _AMOUNT_LINE.match(text[lines[k].start:lines[k].end]):
            k += 1
        labels, values = lines[i:j], lines[f:k]
        if len(labels) >= 2 and len(values) >= 2 and _consecutive(lines[i:k]):
            _pair_run(ctx, labels, values, by_alias, total, pairs_out)
        i = max(j, i + 1)


def _pair_run(ctx: Ctx, labels: list[Line], values: list[Line], by_alias: dict[str, list[str]],
              total: set[str], pairs_out: list[tuple[str, Decimal]]) -> None:
    n = min(len(labels), len(values))
    verified = False
    if len(labels) == len(values):
        chosen = (labels, values)
        pairs = _pairs(ctx, labels, values, by_alias)
        checkable, ok = _consistent(ctx, pairs, total)
        verified = bool(ok)
        score = _SCORE_EQUAL * (_FAILED if checkable and not ok else 1.0)
    else:
        # the stray line sits at either end of the longer run: take the one consistent alignment
        found = []
        for labs, vals in ((labels[:n], values[:n]), (labels[-n:], values[-n:])):
            pairs = _pairs(ctx, labs, vals, by_alias)
            _, ok = _consistent(ctx, pairs, total)
            if ok:
                found.append((labs, vals, pairs, ok))
        if len({frozenset(ok) for *_, ok in found}) == 1 and len(found[0][3]) == 1:
            labs, vals, pairs, _ = found[0]
            chosen, score, verified = (labs, vals), _SCORE_SHIFTED, True
        elif len(values) > len(labels):
            # unchecked: a stray amount above the column (aligned at its end), read as before
            chosen = (labels, values[-n:])
            pairs = _pairs(ctx, *chosen, by_alias)
            checkable, ok = _consistent(ctx, pairs, total)
            score = _SCORE_SHIFTED * (_FAILED if checkable else 1.0)
        else:
            return
    text = ctx.doc.text
    # no total label in the run, but what was paid (tendered - change) is another amount's value
    # ("SUBTOTAL / CASH / CHANGE"): with nothing added after it, that amount is the total
    paid = _paid(pairs) if not any(set(f) & total for _, _, f in pairs) else set()
    for lab, val, (key, value, names) in zip(*chosen, pairs):
        pairs_out.append((key, value))
        if not verified:
            names = _strict(ctx, lab, by_alias)  # a label read loosely counts only in a consistent run
        if names and value in paid and not _has(key, TENDERED_WORDS + CHANGE_WORDS):
            names = [*names, *sorted(total)]
        raw = text[val.start:val.end].strip()
        a = val.start + text[val.start:val.end].index(raw)
        for name in names:
            try:
                v = norm_value(ctx, ctx.schema.fields[name], raw)
            except NormalizeError:
                continue
            ctx.cands[name].append(Cand(v, a, a + len(raw), val.page, score, "label:column", raw, key, (lab.start, lab.end)))


def _consecutive(lines: list[Line]) -> bool:
    return all(b.index == a.index + 1 for a, b in zip(lines, lines[1:]))
