"""Shared helpers: money, dates, identifiers (IBAN, VAT), phone/postcode normalisation, golden JSON."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

SEED = 20260203
CENT = Decimal("0.01")


# --------------------------------------------------------------------------- money
def D(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def money(value: Any) -> Decimal:
    return D(value).quantize(CENT, rounding=ROUND_HALF_UP)


def fmt_num(value: Decimal, thousands: str = ",", decimal: str = ".", places: int = 2) -> str:
    """1234.5 -> '1,234.50' (or '1.234,50' with thousands='.', decimal=',')."""
    q = D(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if q < 0 else ""
    whole, _, frac = f"{abs(q):f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    out = thousands.join(groups)
    return sign + out + (decimal + frac if places else "")


def gbp(value: Decimal, symbol: str = "£") -> str:
    s = fmt_num(value)
    return f"-{symbol}{s[1:]}" if s.startswith("-") else f"{symbol}{s}"


def eur_de(value: Decimal) -> str:
    return fmt_num(value, thousands=".", decimal=",")


def fmt_qty(q: Decimal) -> str:
    q = D(q)
    return f"{q:f}" if q != q.to_integral() else f"{int(q)}"


# --------------------------------------------------------------------------- dates
def d_slash(d: dt.date) -> str:  # 03/02/2026
    return d.strftime("%d/%m/%Y")


def d_long(d: dt.date) -> str:  # 3 February 2026
    return f"{d.day} {d.strftime('%B %Y')}"


def d_dots(d: dt.date) -> str:  # 03.02.2026
    return d.strftime("%d.%m.%Y")


def d_us(d: dt.date) -> str:  # Feb 3, 2026
    return f"{d.strftime('%b')} {d.day}, {d.year}"


def d_dmy_abbr(d: dt.date) -> str:  # 03-Feb-2026
    return d.strftime("%d-%b-%Y")


def d_ordinal(d: dt.date) -> str:  # 3rd February 2026
    suffix = "th" if 11 <= d.day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d.day % 10, "th")
    return f"{d.day}{suffix} {d.strftime('%B %Y')}"


# --------------------------------------------------------------------------- identifiers
def _iban_check(country: str, bban: str) -> str:
    digits = "".join(str(int(c, 36)) for c in (bban + country + "00").upper())
    return f"{98 - int(digits) % 97:02d}"


def make_iban(country: str, bban: str) -> str:
    return f"{country}{_iban_check(country, bban)}{bban}"


def iban_ok(iban: str) -> bool:
    s = iban.replace(" ", "").upper()
    digits = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(digits) % 97 == 1


def iban_spaced(iban: str) -> str:
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


def uk_vat(seven_digits: str) -> str:
    """A GB VAT number with a valid (mod-97) check pair: GB + 9 digits."""
    total = sum(int(c) * w for c, w in zip(seven_digits, range(8, 1, -1)))
    check = (-total) % 97
    return f"GB{seven_digits}{check:02d}"


def uk_vat_spaced(vat: str) -> str:  # GB 318 4472 90
    n = vat[2:]
    return f"GB {n[:3]} {n[3:7]} {n[7:]}"


def de_vat(eight_digits: str) -> str:
    """German USt-IdNr with ISO 7064 MOD 11,10 check digit."""
    product = 10
    for c in eight_digits:
        s = (int(c) + product) % 10 or 10
        product = (2 * s) % 11
    check = (11 - product) % 10
    return f"DE{eight_digits}{check}"


def e164_uk(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("44"):
        digits = digits[2:]
    return "+44" + digits.lstrip("0")


def norm_postcode(pc: str) -> str:
    s = re.sub(r"\s", "", pc).upper()
    return f"{s[:-3]} {s[-3:]}"


# --------------------------------------------------------------------------- golden JSON
def _dump(value: Any, indent: int) -> str:
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f'{inner}{_dump(str(k), 0)}: {_dump(v, indent + 1)}' for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(inner + _dump(v, indent + 1) for v in value) + "\n" + pad + "]"
    if isinstance(value, Decimal):
        return f"{value:f}"  # keeps the exponent: money always prints with 2 decimals
    if isinstance(value, (dt.datetime, dt.date)):
        return _dump(value.isoformat(), 0)
    import json

    return json.dumps(value, ensure_ascii=False)


def dumps_json(value: Any) -> str:
    return _dump(value, 0) + "\n"


def record(schema: str, fields: dict, source: str = ".") -> dict:
    return {"schema": schema, "source": source, "fields": dict(fields)}


def write_expected(doc_path: Path, records: list[dict]) -> None:
    out = doc_path.with_name(doc_path.name + ".expected.json")
    out.write_text(dumps_json({"records": records}), encoding="utf-8")


# --------------------------------------------------------------------------- zip (docx) normalisation
def normalize_zip(path: Path) -> None:
    """Rewrite a zip so every entry has a fixed timestamp and attributes (python-docx stamps 'now')."""
    src = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=(2026, 3, 1, 9, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            zi.create_system = 3
            dst.writestr(zi, src.read(info.filename))
    path.write_bytes(buf.getvalue())
