"""Contact and bank details: phone numbers (E.164), e-mail addresses, postcodes, IBANs.

Postcodes: the text is checked against the format of `Locale.default_region` (GB by default;
GG, JE, IM and UK use the GB format). When it does not fit, every other known format is tried
and the value is accepted if they agree on one result (or one result equals the text as
written): "1012ab" -> "1012 AB" (NL), "10115" -> "10115", but "1234567" (PT or JP?) is refused.
A country prefix such as "D-10115" or "NL-1012 AB" picks that country's format. Regions
without a known format: upper case, single spaces, 2-10 letters/digits/spaces/hyphens with
at least one digit.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import phonenumbers

from .base import Locale, NormalizeError, clean, short

# --- phone -----------------------------------------------------------------------------------

_PHONE_PREFIX = re.compile(
    r"^(?:tel(?:ephone)?|phone|ph|mob(?:ile)?|cell|fax|direct|dd|t|m|p|f)\s*[.:]?\s*(?:no\.?|number|#)?\s*[.:]?\s*(?=[+(\d])",
    re.I,
)


def parse_phone(text: str, locale: Locale = Locale()) -> str:
    s = clean(text, "phone number")
    s = _PHONE_PREFIX.sub("", s, count=1)
    s = re.sub(r"\s*[(\[][^\d()\[\]]*[)\]]\s*$", "", s)  # "01632 960123 (office)"
    if not re.search(r"\d", s):
        raise NormalizeError(f"no digits in phone number {short(s)}")
    region = locale.default_region if locale.default_region != "UK" else "GB"
    try:
        number = phonenumbers.parse(s, region)
    except phonenumbers.NumberParseException as exc:
        raise NormalizeError(f"cannot read phone number {short(s)}: {exc._msg}") from None
    if not phonenumbers.is_possible_number(number):
        raise NormalizeError(f"{short(s)} is not a possible phone number (region {region})")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# --- e-mail ----------------------------------------------------------------------------------

_LOCAL = r"[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*"
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_EMAIL_RE = re.compile(rf"({_LOCAL})@((?:{_LABEL}\.)+{_LABEL})")


def _bare_address(token: str) -> str:
    token = token.strip("\"'()[]<>.,;:")
    token = re.sub(r"^mailto:", "", token, flags=re.I).split("?")[0]
    return token.strip("\"'()[]<>.,;:").lower()


def parse_email(text: str) -> str:
    s = clean(text, "email address")
    if angled := [a for a in re.findall(r"<([^<>]*)>", s) if "@" in a]:
        if len({a.strip().lower() for a in angled}) > 1:
            raise NormalizeError(f"more than one email address in {short(s)}")
        s = angled[0]
    s = re.sub(r"\s*@\s*", "@", s)
    candidates = {_bare_address(t) for t in re.split(r"[\s,;]+", s) if "@" in t}
    if not candidates:
        raise NormalizeError(f"no email address in {short(s)}")
    if len(candidates) > 1:
        raise NormalizeError(f"more than one email address in {short(s)}")
    address = candidates.pop()
    m = _EMAIL_RE.fullmatch(address)
    if not m or len(address) > 254 or len(m[1]) > 64:
        raise NormalizeError(f"{short(address)} is not a valid email address")
    domain = m[2]
    tld = domain.rsplit(".", 1)[1]
    if tld.isdigit() or (tld.isascii() and len(tld) < 2):
        raise NormalizeError(f"{short(address)} is not a valid email address (domain {domain!r})")
    try:
        domain.encode("idna")
    except UnicodeError:
        raise NormalizeError(f"{short(address)} is not a valid email address (domain {domain!r})") from None
    return address


# --- postcodes -------------------------------------------------------------------------------

_GB = re.compile(
    r"GIR0AA|(?:ASCN|STHL|TDCU|BBND|BIQQ|FIQQ|PCRN|SIQQ|TKCA)1ZZ|"
    r"[A-PR-UWYZ](?:[0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPSTUW]|[A-HK-Y][0-9][ABEHMNPRV-Y])"
    r"[0-9][ABD-HJLNP-UW-Z]{2}"
)


def _split(at: int, sep: str = " ") -> Callable[[str], str]:
    return lambda c: c[:at] + sep + c[at:]


def _same(c: str) -> str:
    return c


_POSTCODE_FORMATS: dict[str, tuple[str, Callable[[str], str]]] = {
    "GB": (_GB.pattern, lambda c: c[:-3] + " " + c[-3:]),
    "IE": (r"(?:[AC-FHKNPRTV-Y][0-9]{2}|D6W)[0-9AC-FHKNPRTV-Y]{4}", _split(3)),
    "US": (r"[0-9]{5}(?:[0-9]{4})?", lambda c: c if len(c) == 5 else c[:5] + "-" + c[5:]),
    "CA": (r"[ABCEGHJ-NPRSTVXY][0-9][ABCEGHJ-NPRSTV-Z][0-9][ABCEGHJ-NPRSTV-Z][0-9]", _split(3)),
    "NL": (r"[1-9][0-9]{3}(?!SA|SD|SS)[A-Z]{2}", _split(4)),
    "PL": (r"[0-9]{5}", _split(2, "-")),
    "PT": (r"[1-9][0-9]{6}", _split(4, "-")),
    "BR": (r"[0-9]{8}", _split(5, "-")),
    "JP": (r"[0-9]{7}", _split(3, "-")),
    "LV": (r"[0-9]{4}", lambda c: "LV-" + c),
    "LT": (r"[0-9]{5}", lambda c: "LT-" + c),
    "IN": (r"[1-9][0-9]{5}", _same),
    **{r: (r"[0-9]{5}", _split(3)) for r in ("SE", "CZ", "SK", "GR")},
    **{r: (r"[0-9]{5}", _same) for r in "DE FR IT ES FI EE HR MX KR MY TR UA MC SM VA".split()},
    **{r: (r"[0-9]{4}", _same) for r in "AT BE BG CH CY DK HU LU NO SI AU NZ ZA LI IS MK GE PH".split()},
    **{r: (r"[0-9]{6}", _same) for r in "SG CN RU RO BY KZ".split()},
}
_REGION_ALIASES = {"UK": "GB", "GG": "GB", "JE": "GB", "IM": "GB"}
# one-letter country prefixes written before postcodes ("D-10115", "F-75001")
_PLATE_CODES = {"D": "DE", "F": "FR", "A": "AT", "B": "BE", "I": "IT", "E": "ES", "L": "LU", "S": "SE", "N": "NO",
                "P": "PT", "H": "HU"}


def _fit(region: str, compact: str) -> str | None:
    pattern, fmt = _POSTCODE_FORMATS[region]
    return fmt(compact) if re.fullmatch(pattern, compact) else None


def parse_postcode(text: str, locale: Locale = Locale()) -> str:
    s = clean(text, "postcode").upper().strip(" .,;:")
    s = " ".join(s.split())
    region = _REGION_ALIASES.get(locale.default_region, locale.default_region)
    if m := re.match(r"([A-Z]{1,2})-(?=[0-9])", s):
        prefixed = _PLATE_CODES.get(m[1], m[1])
        if prefixed in _POSTCODE_FORMATS:
            region, s = prefixed, s[m.end():]
    compact = re.sub(r"[\s\-]", "", s)
    if re.fullmatch(r"BFPO[0-9]{1,4}", compact) and region == "GB":
        return "BFPO " + compact[4:]
    if region in _POSTCODE_FORMATS:
        if (result := _fit(region, compact)) is not None:
            return result
        results = {r for other in _POSTCODE_FORMATS if (r := _fit(other, compact)) is not None}
        if len(results) == 1 or s in results:
            return s if s in results else results.pop()
        why = "matches no known format" if not results else "could be " + " or ".join(sorted(results))
        raise NormalizeError(f"{short(s)} is not a valid {region} postcode ({why})")
    if re.fullmatch(r"[A-Z0-9][A-Z0-9 \-]{1,9}", s) and re.search(r"[0-9]", s):
        return s
    raise NormalizeError(f"{short(s)} is not a postcode")


# --- IBAN ------------------------------------------------------------------------------------

_BBAN_PART = re.compile(r"(\d+)!?([nac])")
_BBAN_CHARS = {"n": "[0-9]", "a": "[A-Z]", "c": "[A-Z0-9]"}


def _bban_format(country: str) -> tuple[re.Pattern[str], int] | None:
    """The country's BBAN structure (python-stdnum's copy of the SWIFT IBAN registry) and IBAN length."""
    from stdnum import numdb

    info = numdb.get("iban").info(country)
    structure = info[0][1].get("bban") if info and info[0][1] else None
    if not structure:
        return None
    parts = _BBAN_PART.findall(structure)
    pattern = "".join(f"{_BBAN_CHARS[kind]}{{{count}}}" for count, kind in parts)
    return re.compile(pattern), 4 + sum(int(count) for count, _ in parts)


def parse_iban(text: str) -> str:
    """A valid IBAN, compact: the country's BBAN structure, mod-97 and, where python-stdnum knows
    them, the national check digits. An unknown bank code is not an error (bank registries age)."""
    from stdnum.exceptions import InvalidComponent, ValidationError
    from stdnum.util import get_cc_module

    s = clean(text, "IBAN")
    s = re.sub(r"^\s*IBAN\s*(?:NO\.?|NUMBER|NR\.?)?\s*[:.]?\s*", "", s, flags=re.I)
    compact = re.sub(r"[\s\-.]", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]+", compact):
        raise NormalizeError(f"{short(s)} is not an IBAN (expected 2 letters, 2 check digits, then letters/digits)")
    country = compact[:2]
    fmt = _bban_format(country)
    if fmt is None:
        raise NormalizeError(f"IBAN {short(compact)}: unknown country code {country!r}")
    pattern, length = fmt
    if len(compact) != length:
        raise NormalizeError(f"IBAN {short(compact)}: a {country} IBAN has {length} characters, this has {len(compact)}")
    if not pattern.fullmatch(compact[4:]):
        raise NormalizeError(f"IBAN {short(compact)}: the account part does not have the {country} format")
    rearranged = compact[4:] + compact[:4]
    if int("".join(str(int(c, 36)) for c in rearranged)) % 97 != 1:
        raise NormalizeError(f"IBAN {short(compact)}: check digits are wrong (mod-97 check failed)")
    national = get_cc_module(country.lower(), "iban")
    if national is not None:
        try:
            national.validate(compact)
        except InvalidComponent:
            pass
        except ValidationError as exc:
            raise NormalizeError(f"IBAN {short(compact)}: the national check digits are wrong") from exc
    return compact
