"""Values written in words: durations in months, enum labels, yes/no, small numbers."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction
from collections.abc import Mapping, Sequence

from .base import NormalizeError, clean, fold, short

_UNITS_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS_WORDS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
NUMBER_WORDS: dict[str, int] = {w: i for i, w in enumerate(_UNITS_WORDS)}
NUMBER_WORDS.update({w: 20 + 10 * i for i, w in enumerate(_TENS_WORDS)})
NUMBER_WORDS.update({"fourty": 40, "a": 1, "an": 1, "single": 1, "dozen": 12})
# Common contract-term numbers in other languages (folded): 1-12, 18, 24, 36, 48, 60.
for _n, _words in {
    1: "ein eine einen un une uno una um uma een", 2: "zwei deux dos due dois twee", 3: "drei trois tres tre drie",
    4: "vier quatre cuatro quattro quatro", 5: "funf cinq cinco cinque vijf", 6: "sechs six seis sei zes",
    7: "sieben sept siete sette zeven", 8: "acht huit ocho otto oito", 9: "neun neuf nueve nove negen",
    10: "zehn dix diez dieci dez tien", 11: "elf onze once undici", 12: "zwolf douze doce dodici twaalf",
    18: "achtzehn dix-huit dieciocho diciotto dezoito achttien",
    24: "vierundzwanzig vingt-quatre veinticuatro ventiquattro vinte-e-quatro vierentwintig",
    36: "sechsunddreissig trente-six treinta-y-seis trentasei trinta-e-seis zesendertig",
    48: "achtundvierzig quarante-huit cuarenta-y-ocho quarantotto achtenveertig",
    60: "sechzig soixante sesenta sessanta sessenta zestig",
}.items():
    for _w in _words.split():
        NUMBER_WORDS.setdefault(_w.replace("-", " "), _n)


def words_to_number(text: str) -> int | None:
    """'thirty-six' -> 36, 'one hundred and twenty' -> 120; None if not all number words."""
    words = [w for w in re.split(r"[\s\-]+", fold(text).strip()) if w]
    if not words:
        return None
    phrase = " ".join(words)
    if phrase in NUMBER_WORDS:
        return NUMBER_WORDS[phrase]
    total = current = 0
    for i, w in enumerate(words):
        if w == "and" and 0 < i < len(words) - 1:
            continue
        if w == "hundred":
            current = max(current, 1) * 100
        elif w == "thousand":
            total += max(current, 1) * 1000
            current = 0
        elif w in NUMBER_WORDS and w not in ("a", "an") or (w in ("a", "an") and i == 0 and len(words) > 1):
            current += NUMBER_WORDS[w]
        else:
            return None
    return total + current


_MONTH_UNITS = {
    Fraction(1): "month months mo mos mth mths mnth mnths mon m monat monate monaten mois mes meses "
    "maand maanden mnd mese mesi miesiac miesiace miesiecy manad manader maned maneder",
    Fraction(12): "year years yr yrs y jahr jahre jahren an ans annee annees ano anos jaar jaren "
    "anno anni rok lata lat ar aar",
    Fraction(3): "quarter quarters qtr qtrs quartal quartale trimestre trimestres kwartaal",
    Fraction(12, 52): "week weeks wk wks woche wochen semaine semaines semana semanas weken "
    "settimana settimane",
    Fraction(12, 365): "day days d tag tage tagen jour jours dia dias dag dagen giorno giorni",
}
UNIT_MONTHS = {w: f for f, words in _MONTH_UNITS.items() for w in words.split()}
_CONNECTORS = {"and", "&", "+", ",", ";", "plus", "und", "et", "y", "e", "en", "i", "och", "og"}


def _number_at(tokens: list[str], i: int) -> tuple[Fraction, int] | None:
    """A number (digits or words) starting at tokens[i]: (value, index after it)."""
    t = tokens[i]
    if t[0].isdigit():
        return Fraction(Decimal(t.replace(",", "."))), i + 1
    best = None
    for j in range(i + 1, min(len(tokens), i + 6) + 1):
        value = words_to_number(" ".join(tokens[i:j]))
        if value is not None:
            best = (Fraction(value), j)
    if best and tokens[i] in ("a", "an") and best[1] == i + 1 and (i + 1 >= len(tokens) or tokens[i + 1] not in UNIT_MONTHS):
        return None  # "a" is one only in "a year", "a month"
    return best


def parse_months(text: str) -> int:
    s = clean(text, "duration")
    f = fold(s).strip().rstrip(".")
    if m := re.fullmatch(r"p(?:(\d+)y)?(?:(\d+)m)?(?:(\d+)w)?(?:(\d+)d)?", f):
        if not any(m.groups()):
            raise NormalizeError(f"cannot read duration {short(s)}")
        years, months, weeks, days = (int(g or 0) for g in m.groups())
        total = Fraction(years * 12 + months) + Fraction(weeks * 12, 52) + Fraction(days * 12, 365)
        return _whole(total, s)
    f = re.sub(r"\bhalf an? (years?|months?)\b", r"0.5 \1", f)
    f = re.sub(r"\b(\d+|[a-z]+) and an? half (?=[a-z])", _and_a_half, f)
    f = re.sub(r"\b(years?|months?) and an? half\b", r"\1 and 0.5 \1", f)
    f = re.sub(r"(\d)([a-z])", r"\1 \2", f)
    tokens = re.findall(r"\d+(?:[.,]\d+)?|[a-z]+|[()&+,;]|[^\s.'’:\"]", f.replace("-", " "))
    if not tokens:
        raise NormalizeError(f"cannot read duration {short(s)}")
    total, groups, state, i = Fraction(0), 0, "start", 0
    while i < len(tokens):
        t = tokens[i]
        got = _number_at(tokens, i)
        if got is None:
            if not t[0].isalnum() and t not in _CONNECTORS and t not in "()":
                raise NormalizeError(f"cannot read duration {short(s)}: unexpected {t!r}")
            if t not in _CONNECTORS and t not in "()" and state == "after":
                state = "trailing"  # words after the duration ("36 months from signature")
            i += 1
            continue
        if state == "trailing":
            raise NormalizeError(f"cannot read duration {short(s)}: more than one duration")
        value, j = got
        alt = _number_at(tokens, j + 1) if j < len(tokens) - 2 and tokens[j] == "(" else None
        if alt and alt[1] < len(tokens) and tokens[alt[1]] == ")":  # "thirty-six (36) months"
            if alt[0] != value:
                raise NormalizeError(f"cannot read duration {short(s)}: {t} and {tokens[j + 1]} disagree")
            j = alt[1] + 1
        if j < len(tokens) and tokens[j] in UNIT_MONTHS:
            total += value * UNIT_MONTHS[tokens[j]]
            groups += 1
            state, i = "after", j + 1
        elif i == 0 and j == len(tokens):
            return _whole(value, s)  # a bare number is already in months
        else:
            raise NormalizeError(f"cannot read duration {short(s)}: a number without a unit")
    if not groups:
        raise NormalizeError(f"cannot read duration {short(s)}: no number of months or years")
    return _whole(total, s)


def _and_a_half(m: re.Match[str]) -> str:
    n = int(m[1]) if m[1].isdigit() else words_to_number(m[1])
    return m[0] if n is None else f"{n}.5 "


def _whole(total: Fraction, s: str) -> int:
    if total.denominator != 1:
        raise NormalizeError(f"duration {short(s)} is not a whole number of months")
    if total < 0:
        raise NormalizeError(f"negative duration {short(s)}")
    return int(total)


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", "", fold(text))


def _phrase(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", fold(text)))


def parse_enum(text: str, values: Sequence[str], synonyms: Mapping[str, Sequence[str]] | None = None) -> str:
    """The value `text` names.

    1. `text` equals a value or a synonym, ignoring case, spaces, underscores and punctuation.
    2. Otherwise values and synonyms are looked for in `text` as whole words; a phrase found
       inside a longer phrase that was also found does not count ("urgent" inside "urgent - no
       water"); if several values are still found, the one listed first in `values` wins
       (schemas list enum values from the most to the least specific or severe).
    """
    if isinstance(values, str) or not values:
        raise NormalizeError("no enum values to choose from")
    s = clean(text, "value")
    synonyms = synonyms or {}
    unknown = [k for k in synonyms if k not in values]
    if unknown:
        raise NormalizeError(f"synonyms given for unknown value(s): {', '.join(map(str, unknown))}")
    key = _key(s)
    phrases: list[tuple[str, str]] = [(v, v) for v in values]
    phrases += [(p, v) for v, ps in synonyms.items() for p in ([ps] if isinstance(ps, str) else ps)]
    for phrase, value in phrases:
        if key and _key(phrase) == key:
            return value
    haystack = f" {_phrase(s)} "
    spans: list[tuple[int, int, str]] = []
    for phrase, value in phrases:
        needle = f" {_phrase(phrase)} "
        if needle.strip():
            spans += [(m.start(), m.start() + len(needle), value) for m in re.finditer(f"(?={re.escape(needle)})", haystack)]
    kept = {v for a, b, v in spans if not any(c <= a and b <= d and (d - c) > (b - a) for c, d, _ in spans)}
    if not kept:
        raise NormalizeError(f"{short(s)} is not one of: {', '.join(values)}")
    return next(v for v in values if v in kept)


_TRUE = {"yes", "y", "true", "t", "1", "on", "x", "checked", "ticked", "ja", "j", "oui", "si", "sim",
         "tak", "vero", "wahr", "yes please", "correct", "agreed", "affirmative", "enabled", "active"}
_FALSE = {"no", "n", "false", "f", "0", "off", "unchecked", "unticked", "nein", "non", "nee", "nej",
          "nie", "nao", "falso", "falsch", "no thanks", "disabled", "inactive"}
_TRUE_MARKS = {"✓", "✔", "☑", "☒", "[x]", "(x)", "✅", "y/-"}
_FALSE_MARKS = {"✗", "✘", "☐", "[ ]", "( )", "[]", "()", "❌"}


def parse_bool(text: str) -> bool:
    s = clean(text, "yes/no value")
    compact = s.lower().strip()
    if compact in _TRUE_MARKS:
        return True
    if compact in _FALSE_MARKS:
        return False
    p = _phrase(s.rstrip(".!"))
    if p in _TRUE:
        return True
    if p in _FALSE:
        return False
    raise NormalizeError(f"cannot read yes/no from {short(s)}")
