"""Shared pieces of the normalisers: the error type, locale hints and text clean-up.

Public names are re-exported by `pipelines.map.normalize`; import them from there.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from collections.abc import Mapping
from typing import Any


class NormalizeError(ValueError):
    """A raw value could not be understood; the message says what and why, briefly."""


@dataclass(frozen=True)
class Locale:
    """Hints a rule or schema can give; all optional."""

    dayfirst: bool | None = None  # None = infer (day-first unless the text proves otherwise)
    decimal: str | None = None  # "." or ","; None = infer per value
    date_formats: tuple[str, ...] = ()  # strptime formats tried first, e.g. ("%d.%m.%Y",)
    default_currency: str | None = None
    default_region: str = "GB"  # for phone numbers and postcodes

    def __post_init__(self) -> None:
        if self.decimal not in (None, ".", ","):
            raise NormalizeError(f"locale decimal separator must be '.' or ',', not {self.decimal!r}")
        if isinstance(self.date_formats, (list, str)):
            fmts = (self.date_formats,) if isinstance(self.date_formats, str) else tuple(self.date_formats)
            object.__setattr__(self, "date_formats", fmts)
        if self.default_currency is not None:
            object.__setattr__(self, "default_currency", self.default_currency.strip().upper() or None)
        object.__setattr__(self, "default_region", (self.default_region or "GB").strip().upper())

    @classmethod
    def from_mapping(cls, hints: Mapping[str, Any] | None) -> Locale:
        """Build from a schema field's `locale:` mapping; unknown keys are an error."""
        if not hints:
            return cls()
        known = {"dayfirst", "decimal", "date_formats", "default_currency", "default_region"}
        unknown = set(hints) - known
        if unknown:
            raise NormalizeError(f"unknown locale hint(s): {', '.join(sorted(unknown))}")
        return cls(**dict(hints))


INVISIBLE = dict.fromkeys(
    i for i in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0x200E, 0x200F)
)
_DASHES = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-", "\u2010": "-", "\u2011": "-", "\ufe63": "-", "\uff0d": "-"})


def clean(text: object, what: str) -> str:
    """NFKC, drop invisible characters, unify dashes, strip; reject non-strings and empties."""
    if not isinstance(text, str):
        raise NormalizeError(f"expected text for {what}, got {type(text).__name__}")
    s = unicodedata.normalize("NFKC", text).translate(INVISIBLE).translate(_DASHES)
    s = "".join(_ascii_digit(c) for c in s)  # Arabic-Indic and other decimal digits
    s = s.strip()
    if not s:
        raise NormalizeError(f"empty value: no {what}")
    return s


def _ascii_digit(c: str) -> str:
    if c.isascii() or not c.isdigit():
        return c
    d = unicodedata.digit(c, None)
    return c if d is None else str(d)


def fold(text: str) -> str:
    """Lower case without diacritics: 'Février' -> 'fevrier', 'März' -> 'marz'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    out = "".join(c for c in decomposed if not unicodedata.combining(c))
    return out.replace("ł", "l").replace("ø", "o").replace("æ", "ae").replace("đ", "d")


def short(text: str, limit: int = 40) -> str:
    """The value quoted for an error message, shortened."""
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def strip_trailing_punct(text: str) -> str:
    return re.sub(r"[\s.,;:!?]+$", "", text).strip()
