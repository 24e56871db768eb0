"""Numbers, amounts and currencies written in documents -> `Decimal`, `int`, ISO 4217 codes.

Separator rules (the number is the one run of digits and separators in the text):
- Spaces, non-breaking spaces and apostrophes between digit groups are thousands separators
  ("1 234,56", "1'234.56"); groups must be 3 digits (Indian 2-digit groups are accepted:
  "1,23,456.78").
- Both "." and "," present: the last one is the decimal separator ("1.234,56", "1,234.56").
- One kind present more than once: thousands ("1.234.567", "1,234,567").
- One separator once, followed by other than 3 digits: decimal ("12.5", "0,50", "1,5").
- One separator once, followed by exactly 3 digits (ambiguous): `Locale.decimal` decides when
  given; otherwise "," is thousands ("1,234" -> 1234) and "." is decimal ("1.234" -> 1.234),
  except that a leading 0 makes it decimal ("0,125"), an integer is wanted (`parse_integer`)
  makes it thousands, and an amount in a currency written beside it with fewer than 3 minor
  digits ("€1.234", "1.234 EUR") makes "." thousands too.
- A locale hint never overrides what the text proves: "12,5" is 12.5 even with decimal ".".
- "1.234,-" (zero cents mark) is 1234.
Negative: "-12", "12-", "(12)", "12 CR"; "DR" and "+" are positive. Currency symbols, ISO codes
and names may stand before or after the number; "$", "£", "¥", "kr", "Rs", "Fr." are resolved
with `Locale.default_currency` when it is one of the currencies they can mean, else "$" -> USD,
"£" -> GBP, "¥" -> JPY, "Rs" -> INR, "Fr." -> CHF, and "kr" stays unknown (None).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from .base import Locale, NormalizeError, clean, fold, short
from .currency_data import ISO_4217, KNOWN_CODES, MINOR_UNITS, NAMES, SYMBOLS
from .words import words_to_number

_SYMBOL_RE = re.compile(
    "|".join(
        re.escape(sym) + (r"(?![^\W\d_])" if sym[-1].isalpha() else "")
        for sym in sorted(SYMBOLS, key=len, reverse=True)
    )
)
_WORD_RES = [re.compile(r"[^\W\d_]+" + r"(?:[\s.]+[^\W\d_]+)" * k) for k in (2, 1, 0)]
_MULTIPLIERS = {
    "k": 3, "thousand": 3, "thousands": 3, "tsd": 3, "m": 6, "mn": 6, "mm": 6, "mio": 6,
    "million": 6, "millions": 6, "millionen": 6, "miljoen": 6, "millones": 6, "milioni": 6,
    "bn": 9, "billion": 9, "billions": 9, "mrd": 9, "md": 9, "milliard": 9, "milliards": 9,
    "milliarden": 9, "lakh": 5, "lakhs": 5, "lac": 5, "crore": 7, "crores": 7, "cr": None,
}
_UNITS = set(
    "x pcs pc piece pieces unit units item items ea each no nos hrs hr h hour hours day days d "
    "week weeks wk wks month months mo mth mths year years yr yrs kg g t tonne tonnes l ltr "
    "litre litres liter liters ml m m2 m3 km kwh mwh kw mw kva sqm sqft ft stk stuck st std "
    "stunden tage uur stuks pz ore heures jours".split()
)
_CORE_RE = re.compile(r"[.,]?\d(?:[.,'’ ]?\d)*")


class _Parts:
    def __init__(self) -> None:
        self.mentions: list[tuple[str, tuple[frozenset[str], str | None]]] = []
        self.negative = 0
        self.parens = 0
        self.exponent = 0
        self.abbreviated = False  # "£1.2m": a short multiplier, only taken beside a currency
        self.units = 0
        self.forced_decimal: str | None = None
        self.what = "amount"
        self.per_unit = False  # "£1.459/litre": a unit price, where 3 decimals are common


def _consume(text: str, suffix: bool, parts: _Parts, *, units: bool, multipliers: bool, original: str) -> None:
    pos = 0
    if suffix and (m := re.match(r"([.,])(?:-{1,2}|—)(?!\d)", text)):
        parts.forced_decimal = m[1]
        pos = m.end()
    while pos < len(text):
        rest = text[pos:]
        ch = rest[0]
        if ch.isspace():
            pos += 1
            continue
        if m := _SYMBOL_RE.match(rest):
            parts.mentions.append((m[0], SYMBOLS[m[0]]))
            pos += m.end()
            continue
        if ch == "-":
            parts.negative += 1
        elif ch == "(" and not suffix or ch == ")" and suffix:
            parts.parens += 1
        elif ch == "+" and not suffix:
            pass
        elif ch == "/" and suffix and (m := re.match(r"/\s*[^\W\d_]+[23²³]?\b", rest)):
            parts.per_unit = True
            pos += m.end()
            continue
        elif ch in ".,;:*" and suffix and not rest[1:].strip(".,;:* "):
            return
        elif ch.isalpha():
            pos += _word(rest, suffix, parts, units=units, multipliers=multipliers, original=original)
            continue
        else:
            raise NormalizeError(f"cannot read {parts.what} {short(original)}: unexpected {ch!r}")
        pos += 1


def _word(rest: str, suffix: bool, parts: _Parts, *, units: bool, multipliers: bool, original: str) -> int:
    for rx in _WORD_RES:
        m = rx.match(rest)
        if m and (name := re.sub(r"[\s.]+", " ", fold(m[0])).strip()) in NAMES:
            parts.mentions.append((m[0], NAMES[name]))
            return m.end()
    m = re.match(r"[^\W\d_]+\.?", rest)
    word = m[0].rstrip(".")
    low = fold(word)
    if len(word) == 3 and word.upper() in KNOWN_CODES:
        parts.mentions.append((word, (frozenset({word.upper()}), word.upper())))
    elif low in ("cr", "dr"):
        parts.negative += low == "cr"
    elif suffix and multipliers and _MULTIPLIERS.get(low):
        if parts.exponent:
            raise NormalizeError(f"cannot read {parts.what} {short(original)}: two multipliers")
        parts.exponent = _MULTIPLIERS[low]
        parts.abbreviated = len(low) <= 2
    elif suffix and low == "per" and (u := re.match(r"per\s+[^\W\d_]+[23²³]?", rest, re.I)):
        parts.per_unit = True
        return u.end()
    elif suffix and low == "only":  # "Rs. 1,000 only"
        pass
    elif suffix and units and (u := re.match(r"([^\W\d_]+)([23])?\.?(?!\w)", rest)) and (
        fold(u[1]) in _UNITS or (u[2] and len(u[1]) <= 3)
    ):
        parts.units += 1
        return u.end()  # "2.5 hrs", "10 m3", "3 pcs."
    elif len(word) == 3 and word.isupper():
        raise NormalizeError(f"unknown currency code {word!r}")
    else:
        raise NormalizeError(f"cannot read {parts.what} {short(original)}: unexpected {word!r}")
    return m.end()


def resolve_currency(mentions: list[tuple[str, tuple[frozenset[str], str | None]]], default: str | None) -> str | None:
    """The one currency all mentions agree on; None when they stay ambiguous ("kr")."""
    if not mentions:
        return None
    possible = frozenset.intersection(*(codes for _, (codes, _) in mentions))
    if not possible:
        raise NormalizeError("conflicting currencies: " + ", ".join(repr(w) for w, _ in mentions))
    if default in possible:
        return default
    if len(possible) == 1:
        return next(iter(possible))
    preferred = {pref for _, (_, pref) in mentions}
    if len(preferred) == 1 and (p := preferred.pop()) in possible:
        return p
    return None


def _groups_ok(int_part: str, seps: set[str]) -> bool:
    if not seps:
        return True
    first, *middle, last = re.split("[" + re.escape("".join(seps)) + "]", int_part)
    if len(last) != 3:
        return False
    western = 1 <= len(first) <= 3 and all(len(g) == 3 for g in middle)
    indian = 1 <= len(first) <= 2 and bool(middle) and all(len(g) == 2 for g in middle)
    return western or indian


def _to_decimal(core: str, locale: Locale, parts: _Parts, *, prefer_thousands: bool, minor: int | None, original: str) -> Decimal:
    core = core.replace("’", "'")
    bad = NormalizeError(f"cannot read number {short(original)}")
    dots, commas = core.count("."), core.count(",")
    dec: str | None = parts.forced_decimal
    if dec:
        if dec in core:
            raise bad
    elif dots and commas:
        dec = "." if core.rfind(".") > core.rfind(",") else ","
        if core.count(dec) > 1:
            raise bad
    elif dots + commas == 1:
        sep = "." if dots else ","
        left, right = core.split(sep)
        if parts.exponent or len(right) != 3 or left in ("", "0") or left.startswith("0"):
            dec = sep  # "12.5", "0,500", "1.2 million": cannot be a thousands separator
        elif "'" in left or " " in left:
            dec = sep  # "1 234.567": thousands are already grouped by spaces
        elif locale.decimal is not None:
            dec = sep if sep == locale.decimal else None
        elif prefer_thousands or sep == ",":
            dec = None
        else:
            dec = None if (minor is not None and minor < 3) else "."
    int_part, frac = core.split(dec) if dec and dec in core else (core, "")
    seps = set(int_part) - set("0123456789")
    if len(seps) > 1 or not _groups_ok(int_part, seps) or (frac and not frac.isdigit()):
        raise bad
    try:
        value = Decimal((re.sub(r"\D", "", int_part) or "0") + ("." + frac if frac else ""))
    except InvalidOperation:
        raise bad from None
    if parts.exponent:
        value = value * (Decimal(10) ** parts.exponent)
        if value == value.to_integral_value():
            value = value.quantize(Decimal(1))
    return value


def _parse(
    text: str, locale: Locale, *, units: bool, multipliers: bool, prefer_thousands: bool, what: str
) -> tuple[Decimal, str | None]:
    s = " ".join(clean(text, what).split())
    if m := re.fullmatch(r"([-+]?)(\d+(?:\.\d+)?[eE][-+]?\d+)", s):
        return Decimal(format(Decimal(m[1] + m[2]), "f")), None
    cores = list(_CORE_RE.finditer(s))
    if not cores:
        raise NormalizeError(f"no number in {short(s)}")
    core = cores[0]
    parts = _Parts()
    parts.what = what
    _consume(s[: core.start()], False, parts, units=False, multipliers=False, original=s)
    _consume(s[core.end():], True, parts, units=units, multipliers=multipliers, original=s)
    if parts.parens not in (0, 2):
        raise NormalizeError(f"cannot read {what} {short(s)}: unbalanced brackets")
    if parts.units > 1:
        raise NormalizeError(f"cannot read {what} {short(s)}: more than one unit")
    if parts.abbreviated and not parts.mentions:
        raise NormalizeError(f"cannot read {what} {short(s)}: a multiplier such as 'm' or 'k' needs a currency")
    negatives = parts.negative + (parts.parens == 2)
    if negatives > 1:
        raise NormalizeError(f"cannot read {what} {short(s)}: more than one minus sign")
    currency = resolve_currency(parts.mentions, locale.default_currency)
    minor = MINOR_UNITS.get(currency, 2) if currency and not parts.per_unit else None
    value = _to_decimal(core[0], locale, parts, prefer_thousands=prefer_thousands, minor=minor, original=s)
    return (-value if negatives else value), currency


def parse_amount(text: str, locale: Locale = Locale()) -> tuple[Decimal, str | None]:
    return _parse(text, locale, units=False, multipliers=True, prefer_thousands=False, what="amount")


def parse_decimal(text: str, locale: Locale = Locale()) -> Decimal:
    return _parse(text, locale, units=True, multipliers=False, prefer_thousands=False, what="number")[0]


def parse_integer(text: str, locale: Locale = Locale()) -> int:
    s = clean(text, "integer")
    if not re.search(r"\d", s):
        n = words_to_number(fold(s))
        if n is None:
            raise NormalizeError(f"no number in {short(s)}")
        return n
    value = _parse(s, locale, units=True, multipliers=False, prefer_thousands=True, what="integer")[0]
    if value != value.to_integral_value():
        raise NormalizeError(f"{short(s)} is not a whole number")
    return int(value)


def parse_currency(text: str) -> str:
    s = clean(text, "currency")
    if re.fullmatch(r"[A-Za-z]{3}", s) and s.upper() in KNOWN_CODES:
        return s.upper()
    parts = _Parts()
    stripped = re.sub(r"[()\[\]/,:;\-–|]", " ", s)
    try:
        _consume(stripped, False, parts, units=False, multipliers=False, original=s)
    except NormalizeError:
        parts.mentions = []
    if parts.negative or parts.parens or not parts.mentions:
        what = "currency code" if re.fullmatch(r"[A-Za-z]{3}", s) else "currency"
        raise NormalizeError(f"unknown {what} {short(s)}") from None
    code = resolve_currency(parts.mentions, None)
    if code is None:
        raise NormalizeError(f"ambiguous currency {short(s)}: name the ISO code (e.g. SEK, NOK, DKK)")
    return code


__all__ = ["parse_amount", "parse_currency", "parse_decimal", "parse_integer", "resolve_currency", "ISO_4217"]
