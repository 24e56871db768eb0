"""Turn raw strings found in documents into canonical typed values.

Every parser raises `NormalizeError` (a `ValueError`) with a short message saying what could
not be understood. `Locale` carries the hints a rule or schema can give. The rules for each
kind of value are documented beside its implementation:

- dates and datetimes: `dates.py` (day-first unless told or proven otherwise; month
  names in EN/DE/NL/FR/ES/IT/PT/PL/Nordic; two-digit years < 70 -> 20xx; no year -> error);
- numbers, amounts, currencies: `numbers.py` (separator rules; "," + 3 digits is
  thousands and "." + 3 digits is decimal unless the locale or an amount's currency says
  otherwise; negatives as -x, x-, (x), x CR; symbol/ISO code/name for the currency);
- phone, email, postcode, IBAN: `contact.py` (E.164 via `phonenumbers`; GB postcodes
  validated and spaced; IBAN length table and mod-97 check);
- months, enums, booleans: `words.py` (bare numbers are months; days/weeks only when
  they make whole months; enum: exact value/synonym first, then whole-word phrases, a phrase
  inside a longer found phrase not counting, the value listed first winning).

python-dateutil is deliberately not used: it invents missing parts ("12" -> this month's 12th).
"""

from __future__ import annotations

from functools import lru_cache

import datetime as dt
import math
import unicodedata
from decimal import Decimal
from collections.abc import Callable, Mapping, Sequence

from .base import INVISIBLE, Locale, NormalizeError
from .contact import parse_email, parse_iban, parse_phone, parse_postcode
from .dates import parse_date, parse_datetime
from .numbers import parse_amount, parse_currency, parse_decimal, parse_integer
from .words import parse_bool, parse_enum, parse_months

__all__ = [
    "Locale", "NormalizeError", "TYPE_NAMES", "normalize", "parse_amount", "parse_bool", "parse_currency",
    "parse_date", "parse_datetime", "parse_decimal", "parse_email", "parse_enum", "parse_iban",
    "parse_integer", "parse_months", "parse_phone", "parse_postcode",
]

TYPE_NAMES = frozenset({
    "string", "text", "integer", "decimal", "amount", "date", "datetime", "currency", "phone",
    "email", "postcode", "iban", "months", "enum", "boolean",
})


def _text(value: object) -> str:
    """Stripped, NFC (not NFKC: free text keeps its characters), zero-width characters removed."""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal, float)):
        raise NormalizeError(f"expected text, got {type(value).__name__}")
    s = unicodedata.normalize("NFC", value if isinstance(value, str) else str(value))
    s = s.translate(INVISIBLE).strip()
    if not s:
        raise NormalizeError("empty value: no text")
    return s


def _string(value: object) -> str:
    return " ".join(_text(value).split())


def _number(value: object, locale: Locale, parse: Callable[[str, Locale], Decimal]) -> Decimal:
    if isinstance(value, bool):
        raise NormalizeError("expected a number, got a boolean")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise NormalizeError(f"not a finite number: {value}")
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise NormalizeError(f"not a finite number: {value}")
        return Decimal(str(value))
    return parse(value, locale)  # type: ignore[arg-type]


def _integer(value: object, locale: Locale) -> int:
    if isinstance(value, bool):
        raise NormalizeError("expected a whole number, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, (Decimal, float)):
        d = _number(value, locale, parse_decimal)
        if d != d.to_integral_value():
            raise NormalizeError(f"{value} is not a whole number")
        return int(d)
    return parse_integer(value, locale)  # type: ignore[arg-type]


def _date(value: object, locale: Locale) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return parse_date(value, locale)  # type: ignore[arg-type]


def _datetime(value: object, locale: Locale) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    return parse_datetime(value, locale)  # type: ignore[arg-type]


def _months(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise NormalizeError(f"negative duration {value}")
        return value
    if isinstance(value, (Decimal, float)) and not isinstance(value, bool):
        return _integer(value, Locale())
    return parse_months(value)  # type: ignore[arg-type]


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return parse_bool(value)  # type: ignore[arg-type]


def normalize(
    value: object,
    type_name: str,
    *,
    locale: Locale = Locale(),
    enum_values: Sequence[str] = (),
    synonyms: Mapping[str, Sequence[str]] | None = None,
) -> object:
    """Normalise `value` as schema type `type_name`; values already of the right type pass through
    (floats become `Decimal(str(x))`); strings are stripped, and "string" collapses whitespace."""
    if type(value) is str and type_name in _MEMO_TYPES:
        ok, out = _normalize_text(value, type_name, locale)
        if not ok:
            raise NormalizeError(out)
        return out
    return _normalize(value, type_name, locale=locale, enum_values=enum_values, synonyms=synonyms)


# Types whose reading of a text depends on the text and the locale alone, and is immutable.
_MEMO_TYPES = frozenset({"string", "text", "integer", "decimal", "amount", "date", "datetime", "months", "boolean",
                         "currency", "phone", "email", "postcode", "iban"})


@lru_cache(maxsize=16384)
def _normalize_text(value: str, type_name: str, locale: Locale) -> tuple[bool, object]:
    """(True, value) or (False, the error's message). The extractor's finders read the same texts
    again and again (an amount is a label's value, a row's, a column's and a sum's)."""
    try:
        return True, _normalize(value, type_name, locale=locale)
    except NormalizeError as exc:
        return False, str(exc)


def _normalize(value: object, type_name: str, *, locale: Locale, enum_values: Sequence[str] = (),
               synonyms: Mapping[str, Sequence[str]] | None = None) -> object:
    if value is None:
        raise NormalizeError(f"no value for {type_name}")
    if type_name == "string":
        return _string(value)
    if type_name == "text":
        return _text(value)
    if type_name == "integer":
        return _integer(value, locale)
    if type_name == "decimal":
        return _number(value, locale, parse_decimal)
    if type_name == "amount":
        return _number(value, locale, lambda s, loc: parse_amount(s, loc)[0])
    if type_name == "date":
        return _date(value, locale)
    if type_name == "datetime":
        return _datetime(value, locale)
    if type_name == "months":
        return _months(value)
    if type_name == "boolean":
        return _boolean(value)
    if type_name == "enum":
        if not isinstance(value, str):
            raise NormalizeError(f"expected text for enum, got {type(value).__name__}")
        return parse_enum(value, enum_values, synonyms)
    simple: dict[str, Callable[[str], str]] = {
        "currency": parse_currency,
        "phone": lambda s: parse_phone(s, locale),
        "email": parse_email,
        "postcode": lambda s: parse_postcode(s, locale),
        "iban": parse_iban,
    }
    if type_name not in simple:
        raise NormalizeError(f"unknown type {type_name!r}")
    if isinstance(value, int) and not isinstance(value, bool) and type_name in ("phone", "postcode"):
        value = str(value)  # spreadsheets and JSON turn these into numbers
    if not isinstance(value, str):
        raise NormalizeError(f"expected text for {type_name}, got {type(value).__name__}")
    return simple[type_name](value)
