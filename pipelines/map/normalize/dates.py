"""Dates and datetimes written in documents -> `datetime.date` / `datetime.datetime`.

Rules (see also `pipelines.map.normalize`):
- `Locale.date_formats` are tried first, exactly (strptime).
- ISO forms ("2026-02-03", "2026/02/03", "20260203", ISO 8601 datetimes with offsets or Z) are year-first.
- Numeric "a/b/y" (separators / . - or space, the same one twice) is day-first unless
  `Locale.dayfirst` is False; when the preferred reading is impossible and the other one is
  possible (e.g. "02/13/2026"), the text wins. With no locale hint, a weekday written beside
  the date ("Tue 03/02/2026") decides between two possible readings.
- Month names in English, German, Dutch, French, Spanish, Italian, Portuguese, Polish and
  the Scandinavian languages, full or abbreviated (any unambiguous prefix of 3+ letters),
  with ordinals ("3rd", "1er", "3."), weekdays and small words ("de", "of", "the") ignored.
- Two-digit years: < 70 -> 20xx, else 19xx. A date without a year (or a day) is rejected.
- Datetimes keep a written offset (+01:00, +0100, Z, UTC, GMT, common abbreviations such as
  BST/CET/EST); without one they are naive. A date alone is midnight.
"""

from __future__ import annotations

import calendar
import datetime as dt
import email.utils
import re

from .base import Locale, NormalizeError, clean, fold, short, strip_trailing_punct

_MONTH_NAMES = {
    1: "january januar janner januari janvier enero gennaio janeiro styczen stycznia",
    2: "february februar feber februari fevrier febrero febbraio fevereiro luty lutego",
    3: "march marz maart mars marts marzo marco marzec marca",
    4: "april avril abril aprile kwiecien kwietnia",
    5: "may mai mei maj mayo maggio maio maja",
    6: "june juni juin junio giugno junho czerwiec czerwca",
    7: "july juli juillet julio luglio julho lipiec lipca",
    8: "august augustus augusti aout agosto sierpien sierpnia",
    9: "september septembre septiembre setiembre settembre setembro wrzesien wrzesnia",
    10: "october oktober octobre octubre ottobre outubro pazdziernik pazdziernika",
    11: "november novembre noviembre novembro listopad listopada",
    12: "december dezember decembre diciembre dicembre dezembro desember grudzien grudnia",
}
_EXTRA_MONTH_ABBR = {"mrz": 3, "mrt": 3, "sept": 9}


def _month_table() -> dict[str, int]:
    seen: dict[str, set[int]] = {}
    for month, names in _MONTH_NAMES.items():
        for name in names.split():
            for n in range(3, len(name) + 1):
                seen.setdefault(name[:n], set()).add(month)
    table = {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}
    table.update(_EXTRA_MONTH_ABBR)
    return table


MONTHS = _month_table()

_WEEKDAY_NAMES = {
    0: "monday mon montag mo lundi lun lunes lunedi maandag ma segunda poniedzialek mandag",
    1: "tuesday tue tues dienstag di mardi mar martes martedi dinsdag terca wtorek tisdag tirsdag",
    2: "wednesday wed mittwoch mi mercredi mer miercoles mercoledi woensdag wo quarta sroda onsdag",
    3: "thursday thu thur thurs donnerstag do jeudi jeu jueves giovedi donderdag quinta czwartek torsdag",
    4: "friday fri freitag fr vendredi ven viernes venerdi vrijdag vr sexta piatek fredag",
    5: "saturday sat samstag sonnabend sa samedi sam sabado sabato zaterdag za sobota lordag",
    6: "sunday sun sonntag so dimanche dim domingo domenica zondag zo niedziela sondag",
}
WEEKDAYS = {name: day for day, names in _WEEKDAY_NAMES.items() for name in names.split()}
_FILLER = {
    "de", "del", "di", "of", "the", "le", "la", "el", "il", "den", "der", "am", "on", "at", "um",
    "a", "om", "feira", "dnia", "r", "roku", "uhr", "h", "dated", "dia", "day", "this", "jour",
}
_ORDINAL = {"", "st", "nd", "rd", "th", "er", "re", "ere", "eme", "e", "o", "a", "°", "r"}

_TZ_NAMES = {
    "Z": 0, "UTC": 0, "GMT": 0, "UT": 0, "WET": 0, "BST": 60, "IST": 60, "WEST": 60, "CET": 60,
    "MEZ": 60, "CEST": 120, "MESZ": 120, "EET": 120, "EEST": 180, "MSK": 180, "GST": 240,
    "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420, "MDT": -360, "PST": -480,
    "PDT": -420, "AKST": -540, "AKDT": -480, "HST": -600, "JST": 540, "KST": 540, "HKT": 480,
    "SGT": 480, "AWST": 480, "ACST": 570, "ACDT": 630, "AEST": 600, "AEDT": 660, "NZST": 720,
    "NZDT": 780,
}  # IST here is Irish Summer Time (the UK/IE default region); India writes +05:30.


class _Impossible(NormalizeError):
    """The text is a date, but not a real one (31/02/2026): no other reading is tried."""


def _year(text: str) -> int:
    if len(text) == 2:
        y = int(text)
        return 2000 + y if y < 70 else 1900 + y
    if len(text) == 4 and text[0] != "0":
        return int(text)
    raise NormalizeError(f"{text!r} is not a year")


def _make(y: int, m: int, d: int, original: str) -> dt.date:
    try:
        return dt.date(y, m, d)
    except ValueError:
        raise _Impossible(f"impossible date {short(original)} (day {d}, month {m}, year {y})") from None


def _numeric(a: str, b: str, c: str, locale: Locale, weekday: int | None, original: str) -> dt.date:
    if len(a) == 4:  # year first
        if len(c) > 2:
            raise NormalizeError(f"cannot read date {short(original)}")
        return _make(_year(a), int(b), int(c), original)
    if len(a) > 2 or len(b) > 2 or len(c) not in (2, 4):
        raise NormalizeError(f"cannot read date {short(original)}")
    y, x, z = _year(c), int(a), int(b)
    candidates = []
    for dayfirst in (True, False):
        d, m = (x, z) if dayfirst else (z, x)
        if 1 <= m <= 12 and 1 <= d <= calendar.monthrange(y, m)[1]:
            candidates.append((dayfirst, dt.date(y, m, d)))
    if not candidates:
        raise _Impossible(f"impossible date {short(original)}")
    if len(candidates) == 1 or candidates[0][1] == candidates[1][1]:
        return candidates[0][1]
    if locale.dayfirst is None and weekday is not None:
        matching = [c for c in candidates if c[1].weekday() == weekday]
        if len(matching) == 1:
            return matching[0][1]
    prefer = True if locale.dayfirst is None else locale.dayfirst
    return next(dd for first, dd in candidates if first == prefer)


_NUMERIC_RE = re.compile(r"(\d{1,4})\s*([./\-\s])\s*(\d{1,2})\s*\2\s*(\d{1,4})")
_CJK_RE = re.compile(r"(\d{2,4})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]?")


def _date_only(text: str, locale: Locale) -> dt.date:
    original = text
    for fmt in locale.date_formats:
        for candidate in (text, strip_trailing_punct(text)):
            try:
                parsed = dt.datetime.strptime(candidate, fmt)
            except ValueError:
                continue
            if "%Y" not in fmt and "%y" not in fmt:
                raise NormalizeError(f"date format {fmt!r} has no year")
            return parsed.date()
    s = strip_trailing_punct(text).strip("\"'[]")
    if m := _CJK_RE.fullmatch(s):
        return _make(_year(m[1]), int(m[2]), int(m[3]), original)
    if re.fullmatch(r"\d{8}", s):
        y, mo, d = int(s[:4]), int(s[4:6]), int(s[6:])
        if 1800 <= y <= 2200:
            return _make(y, mo, d, original)
        raise NormalizeError(f"cannot read date {short(original)} (expected YYYYMMDD)")
    f = fold(s)
    # a weekday may stand before or after a numeric date: "Tue 03/02/2026", "03.02.2026 (Di)"
    weekday = None
    words = re.findall(r"[a-z]+", f)
    numeric = f
    if words and all(w in WEEKDAYS or w in _FILLER for w in words):
        days = {WEEKDAYS[w] for w in words if w in WEEKDAYS}
        weekday = days.pop() if len(days) == 1 else None
        numeric = re.sub(r"[a-z]+|[(),]", " ", f).strip()
    if m := _NUMERIC_RE.fullmatch(numeric):
        return _numeric(m[1], m[3], m[4], locale, weekday, original)
    if not re.search(r"[a-z]", f):
        raise NormalizeError(f"cannot read date {short(original)}")
    return _textual(f, original)


def _textual(f: str, original: str) -> dt.date:
    f = re.sub(r"[,./\-()'’]", " ", f)
    tokens = re.findall(r"\d+[a-z°]*|[a-z]+|\S", f)
    months: list[tuple[int, int]] = []  # (position, month)
    numbers: list[tuple[int, str, str]] = []  # (position, digits, ordinal suffix)
    weekday_like: list[int] = []
    for i, tok in enumerate(tokens):
        if tok[0].isdigit():
            digits = re.match(r"\d+", tok)[0]
            if tok[len(digits):] not in _ORDINAL:
                raise NormalizeError(f"cannot read date {short(original)}: unexpected {tok!r}")
            numbers.append((i, digits, tok[len(digits):]))
        elif tok in MONTHS:
            months.append((i, MONTHS[tok]))
            if tok in WEEKDAYS:
                weekday_like.append(i)
        elif tok in WEEKDAYS or tok in _FILLER:
            continue
        else:
            raise NormalizeError(f"cannot read date {short(original)}: unexpected {tok!r}")
    if len(months) > 1:  # "mar" is a French/Spanish weekday as well as a month
        months = [mm for mm in months if mm[0] not in weekday_like] or months
    if len(months) != 1:
        raise NormalizeError(f"cannot read date {short(original)}: expected one month name")
    pos, month = months[0]
    if len(numbers) != 2:
        what = "expected a day and a year" if len(numbers) < 2 else "too many numbers"
        raise NormalizeError(f"cannot read date {short(original)}: {what}")
    (p1, n1, o1), (p2, n2, o2) = numbers
    if len(n1) == 4 and len(n2) <= 2 and not o1:
        year, day = n1, n2
    elif len(n2) == 4 and len(n1) <= 2 and not o2:
        day, year = n1, n2
    elif len(n1) <= 2 and len(n2) == 2 and not o2 and pos < p2:
        # "3 Feb 26", "Feb 3, 26": the day comes first, the year last, after the month
        day, year = n1, n2
    else:
        raise NormalizeError(f"cannot read date {short(original)}")
    return _make(_year(year), month, int(day), original)


_TIME_RES = (
    re.compile(r"(?<![\d:.+])(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:\s*([ap])\.?\s?m\.?(?![a-z]))?", re.I),
    re.compile(r"(?<![\d:.])(\d{1,2})h(\d{2})()()()(?!\d)", re.I),
    re.compile(r"(?<![\d:.])(\d{1,2})\.(\d{2})()()()(?=\s*uhr\b)", re.I),
    re.compile(r"(?<![\d:.])(\d{1,2})()()()\s*([ap])\.?\s?m\.?(?![a-z])", re.I),
)
_TZ_RE = re.compile(
    r"\s*(?:(?:UTC|GMT|UT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?(?!\d)|\(?([A-Z]{1,5})\)?(?![A-Za-z]))"
)


def _offset(text: str) -> tuple[dt.tzinfo | None, int]:
    """Offset at the start of `text` (after a time); returns (tz, characters consumed)."""
    m = _TZ_RE.match(text)
    if not m:
        return None, 0
    if m[1]:
        minutes = int(m[2]) * 60 + int(m[3] or 0)
        if int(m[2]) > 14 or int(m[3] or 0) > 59:
            raise _Impossible(f"impossible time zone offset {m[0].strip()!r}")
        minutes = -minutes if m[1] == "-" else minutes
    elif m[4] in _TZ_NAMES:
        minutes = _TZ_NAMES[m[4]]
    else:
        return None, 0
    if minutes == 0:
        return dt.UTC, m.end()
    return dt.timezone(dt.timedelta(minutes=minutes)), m.end()


def _time(h: str, mi: str, s: str, frac: str, ampm: str, original: str) -> dt.time:
    hour, minute, second = int(h), int(mi or 0), int(s or 0)
    if ampm:
        if not 1 <= hour <= 12:
            raise _Impossible(f"impossible time in {short(original)}")
        hour = hour % 12 + (12 if ampm.lower() == "p" else 0)
    micro = int((frac + "000000")[:6]) if frac else 0
    try:
        return dt.time(hour, minute, second, micro)
    except ValueError:
        raise _Impossible(f"impossible time in {short(original)}") from None


def _iso(s: str) -> dt.datetime | None:
    if not re.match(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|\d{8}T\d{4}", s):
        return None
    t = re.sub(r"(\.\d{6})\d+", r"\1", s.replace("z", "Z"))
    t = re.sub(r"\s+(?=[+-]\d{2}:?\d{2}$|Z$)", "", t)
    try:
        return dt.datetime.fromisoformat(t)
    except ValueError:
        return None


def parse_datetime(text: str, locale: Locale = Locale()) -> dt.datetime:
    s = clean(text, "date and time")
    for fmt in locale.date_formats:
        try:
            return dt.datetime.strptime(strip_trailing_punct(s), fmt)
        except ValueError:
            continue
    s = strip_trailing_punct(s)
    if (iso := _iso(s)) is not None:
        return iso
    work = re.sub(r"(?<=\d)T(?=\d{1,2}:)", " ", s)
    for rx in _TIME_RES:
        if m := rx.search(work):
            when = _time(m[1], m[2], m[3], m[4], m[5], s)
            tail = work[m.end():]
            tz, used = _offset(tail)
            rest = (work[: m.start()] + " " + tail[used:]).strip()
            if pm := re.search(r"\(([^()]*)\)\s*$", rest):  # "(UTC)", "(GMT Standard Time)"
                ptz, used2 = _offset(pm[1])
                if tz is None and ptz is not None and used2 == len(pm[1]):
                    tz, rest = ptz, rest[: pm.start()]
                elif tz is not None and re.fullmatch(r"[A-Za-z .]+", pm[1]):
                    rest = rest[: pm.start()]
            rest = re.sub(r"\(\s*\)", " ", rest).strip(" ,-@|;")
            try:
                day = _date_only(rest, Locale(dayfirst=locale.dayfirst)) if rest else None
            except _Impossible:
                raise
            except NormalizeError:
                day = None
            if day is None:
                break
            return dt.datetime.combine(day, when, tzinfo=tz)
    try:
        return dt.datetime.combine(_date_only(s, locale), dt.time())
    except _Impossible:
        raise
    except NormalizeError as exc:
        fallback = _email_date(s)
        if fallback is not None:
            return fallback
        raise NormalizeError(f"cannot read date and time {short(s)}") from exc


_RFC2822_RE = re.compile(
    r"(?:[A-Za-z]{3},?\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?"
    r"(?:\s*(?:[+-]\d{4}|[A-Za-z]{1,5}))?(?:\s*\([^()]*\))?"
)


def _email_date(s: str) -> dt.datetime | None:
    if not _RFC2822_RE.fullmatch(s):
        return None
    try:
        return email.utils.parsedate_to_datetime(s)
    except (TypeError, ValueError, IndexError):
        return None


def parse_date(text: str, locale: Locale = Locale()) -> dt.date:
    s = clean(text, "date")
    try:
        return _date_only(s, locale)
    except _Impossible:
        raise
    except NormalizeError as exc:
        if not re.search(r"\d[:h.]\d\d|[ap]\.?m\b|\dT\d", s, re.I):
            raise
        try:
            return parse_datetime(s, locale).date()
        except NormalizeError:
            raise exc from None
