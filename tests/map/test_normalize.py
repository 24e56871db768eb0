"""Table-driven tests of pipelines.map.normalize: raw document strings -> canonical values."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from pipelines.map.normalize import (
    Locale,
    NormalizeError,
    normalize,
    parse_amount,
    parse_bool,
    parse_currency,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_email,
    parse_enum,
    parse_iban,
    parse_integer,
    parse_months,
    parse_phone,
    parse_postcode,
)

D = dt.date
UTC = dt.UTC


def tz(hours: float) -> dt.timezone:
    return dt.timezone(dt.timedelta(hours=hours))


# --- dates -----------------------------------------------------------------------------------

DATES = [
    ("2026-02-03", Locale(), D(2026, 2, 3)),
    ("03/02/2026", Locale(), D(2026, 2, 3)),
    ("3/2/2026", Locale(), D(2026, 2, 3)),
    ("03/02/2026", Locale(dayfirst=False), D(2026, 3, 2)),
    ("02/13/2026", Locale(), D(2026, 2, 13)),  # day > 12 proves month-first
    ("13/02/2026", Locale(dayfirst=False), D(2026, 2, 13)),  # the text wins over the hint
    ("3 February 2026", Locale(), D(2026, 2, 3)),
    ("3rd Feb 2026", Locale(), D(2026, 2, 3)),
    ("Feb 3, 2026", Locale(), D(2026, 2, 3)),
    ("Feb. 3, 2026", Locale(), D(2026, 2, 3)),
    ("February 3rd, 2026", Locale(), D(2026, 2, 3)),
    ("03.02.2026", Locale(), D(2026, 2, 3)),
    ("3.2.26", Locale(), D(2026, 2, 3)),
    ("03/02/26", Locale(), D(2026, 2, 3)),
    ("1/1/99", Locale(), D(1999, 1, 1)),
    ("2026/02/03", Locale(), D(2026, 2, 3)),
    ("2026.02.03", Locale(), D(2026, 2, 3)),
    ("03-Feb-2026", Locale(), D(2026, 2, 3)),
    ("03-Feb-26", Locale(), D(2026, 2, 3)),
    ("20260203", Locale(), D(2026, 2, 3)),
    ("3. Februar 2026", Locale(), D(2026, 2, 3)),
    ("3. März 2026", Locale(), D(2026, 3, 3)),
    ("3 Mrz 2026", Locale(), D(2026, 3, 3)),
    ("3 februari 2026", Locale(), D(2026, 2, 3)),
    ("3 mrt 2026", Locale(), D(2026, 3, 3)),
    ("3 février 2026", Locale(), D(2026, 2, 3)),
    ("le 1er mars 2026", Locale(), D(2026, 3, 1)),
    ("mardi 3 mars 2026", Locale(), D(2026, 3, 3)),
    ("3 juil. 2026", Locale(), D(2026, 7, 3)),
    ("3 de febrero de 2026", Locale(), D(2026, 2, 3)),
    ("3 marzo 2026", Locale(), D(2026, 3, 3)),
    ("3 de fevereiro de 2026", Locale(), D(2026, 2, 3)),
    ("3 lutego 2026 r.", Locale(), D(2026, 2, 3)),
    ("3 augusti 2026", Locale(), D(2026, 8, 3)),
    ("2026年2月3日", Locale(), D(2026, 2, 3)),
    ("Tuesday, 3rd of February, 2026", Locale(), D(2026, 2, 3)),
    ("this 3rd day of February 2026", Locale(), D(2026, 2, 3)),
    ("03/02/2026.", Locale(), D(2026, 2, 3)),  # trailing punctuation
    ("3 February 2026,", Locale(), D(2026, 2, 3)),
    ("Tue 03/02/2026", Locale(), D(2026, 2, 3)),  # the weekday agrees with day-first
    ("Mon 03/02/2026", Locale(), D(2026, 3, 2)),  # ... or settles it: 2 March 2026 is a Monday
    ("03.02.2026", Locale(date_formats=("%d.%m.%Y",)), D(2026, 2, 3)),
    ("02-03-2026", Locale(date_formats=("%m-%d-%Y",)), D(2026, 2, 3)),
    ("2026-02-03T09:15:00Z", Locale(), D(2026, 2, 3)),  # a datetime given for a date
    ("3 Feb 2026 09:15", Locale(), D(2026, 2, 3)),
    ("29/02/2024", Locale(), D(2024, 2, 29)),
]


@pytest.mark.parametrize("text,locale,expected", DATES, ids=[c[0] for c in DATES])
def test_parse_date(text, locale, expected):
    assert parse_date(text, locale) == expected


BAD_DATES = ["", "   ", "garbage", "12", "3 Feb", "February 2026", "3rd 12 February", "Q1 2026",
             "31/02/2026", "29/02/2025", "2026-02-30",
             "32.01.2026", "13/13/2026", "0/0/2026", "1.1.1", "3 jui 2026", "3 Feb 2026 approx", "2026",
             "31 Februar 2026", "99999999"]


@pytest.mark.parametrize("text", BAD_DATES)
def test_parse_date_rejects(text):
    with pytest.raises(NormalizeError):
        parse_date(text)


def test_impossible_date_message_says_so():
    with pytest.raises(NormalizeError, match="impossible"):
        parse_date("31/02/2026")


DATETIMES = [
    ("Tue, 03 Feb 2026 09:15:00 +0000", dt.datetime(2026, 2, 3, 9, 15, tzinfo=UTC)),
    ("Tue, 3 Feb 2026 09:15:00 -0500 (EST)", dt.datetime(2026, 2, 3, 9, 15, tzinfo=tz(-5))),
    ("Mon, 2 Feb 2026 17:45:12 +0100 (CET)", dt.datetime(2026, 2, 2, 17, 45, 12, tzinfo=tz(1))),
    ("Tue, 03 Feb 2026 09:15:00 GMT", dt.datetime(2026, 2, 3, 9, 15, tzinfo=UTC)),
    ("Thu, 5 Feb 26 10:00:00 +0100", dt.datetime(2026, 2, 5, 10, 0, tzinfo=tz(1))),
    ("2026-02-03T09:15:00+01:00", dt.datetime(2026, 2, 3, 9, 15, tzinfo=tz(1))),
    ("2026-02-03T09:15:00Z", dt.datetime(2026, 2, 3, 9, 15, tzinfo=UTC)),
    ("2026-02-03T09:15:00.123Z", dt.datetime(2026, 2, 3, 9, 15, 0, 123000, tzinfo=UTC)),
    ("2026-02-03 09:15:00.123456789", dt.datetime(2026, 2, 3, 9, 15, 0, 123456)),
    ("2026-02-03T09:15:00 +05:30", dt.datetime(2026, 2, 3, 9, 15, tzinfo=tz(5.5))),
    ("2026-02-03 09:15 UTC", dt.datetime(2026, 2, 3, 9, 15, tzinfo=UTC)),
    ("03/02/2026 09:15", dt.datetime(2026, 2, 3, 9, 15)),
    ("03/02/2026 9:15 pm", dt.datetime(2026, 2, 3, 21, 15)),
    ("Feb 3, 2026 9:15 PM EST", dt.datetime(2026, 2, 3, 21, 15, tzinfo=tz(-5))),
    ("Tuesday, February 3, 2026 at 9:15:30 AM", dt.datetime(2026, 2, 3, 9, 15, 30)),
    ("3 Feb 2026, 12am", dt.datetime(2026, 2, 3, 0, 0)),
    ("03.02.2026 09.15 Uhr", dt.datetime(2026, 2, 3, 9, 15)),
    ("3 févr. 2026 à 09h15", dt.datetime(2026, 2, 3, 9, 15)),
    ("2026-02-03", dt.datetime(2026, 2, 3)),  # a date alone is midnight
]


@pytest.mark.parametrize("text,expected", DATETIMES, ids=[c[0] for c in DATETIMES])
def test_parse_datetime(text, expected):
    got = parse_datetime(text)
    assert got == expected
    assert (got.utcoffset() is None) == (expected.utcoffset() is None)


@pytest.mark.parametrize("text", ["", "garbage", "25:00 3 Feb 2026", "31/02/2026 09:15", "09:15", "3 Feb 09:15",
                                  "03/02/2026 09:15 +25:00"])
def test_parse_datetime_rejects(text):
    with pytest.raises(NormalizeError):
        parse_datetime(text)


# --- amounts, decimals, integers, currencies -------------------------------------------------

AMOUNTS = [
    ("£1,234.56", Locale(), "1234.56", "GBP"),
    ("1.234,56 €", Locale(), "1234.56", "EUR"),
    ("EUR 1 234,56", Locale(), "1234.56", "EUR"),
    ("EUR1,234.56", Locale(), "1234.56", "EUR"),
    ("1\u00a0234,56\u00a0€", Locale(), "1234.56", "EUR"),
    ("1\u202f234,56 €", Locale(), "1234.56", "EUR"),
    ("1'234.56", Locale(), "1234.56", None),
    ("CHF 1’234.50", Locale(), "1234.50", "CHF"),
    ("(123.45)", Locale(), "-123.45", None),
    ("(£12.00)", Locale(), "-12.00", "GBP"),
    ("-123.45", Locale(), "-123.45", None),
    ("−123.45", Locale(), "-123.45", None),  # unicode minus
    ("123.45-", Locale(), "-123.45", None),
    ("123.45 CR", Locale(), "-123.45", None),
    ("£12.00 DR", Locale(), "12.00", "GBP"),
    ("-£12", Locale(), "-12", "GBP"),
    ("£-12", Locale(), "-12", "GBP"),
    ("USD -1,234.56", Locale(), "-1234.56", "USD"),
    ("$ 12", Locale(), "12", "USD"),
    ("US$ 1,000", Locale(), "1000", "USD"),
    ("A$5", Locale(), "5", "AUD"),
    ("C$ 7.50", Locale(), "7.50", "CAD"),
    ("$5", Locale(default_currency="AUD"), "5", "AUD"),  # the locale resolves "$"
    ("$100 CAD", Locale(), "100", "CAD"),
    ("¥1200", Locale(), "1200", "JPY"),
    ("₹1,23,456.00", Locale(), "123456.00", "INR"),  # Indian grouping
    ("Rs. 500", Locale(), "500", "INR"),
    ("1 234,56 zł", Locale(), "1234.56", "PLN"),
    ("R$ 10,00", Locale(), "10.00", "BRL"),
    ("R 1,234.56", Locale(), "1234.56", "ZAR"),
    ("kr 100", Locale(), "100", None),  # kr: SEK, NOK, DKK or ISK?
    ("100 kr", Locale(default_currency="NOK"), "100", "NOK"),
    ("100 SEK", Locale(), "100", "SEK"),
    ("12.5", Locale(), "12.5", None),
    ("1,234", Locale(), "1234", None),
    ("1,234", Locale(decimal=","), "1.234", None),
    ("0,50", Locale(), "0.50", None),
    ("1.234", Locale(), "1.234", None),
    ("1.234", Locale(decimal=","), "1234", None),
    ("€1.234", Locale(), "1234", "EUR"),  # EUR has 2 minor digits: "." + 3 digits is thousands
    ("1.234 EUR", Locale(), "1234", "EUR"),
    ("12,5", Locale(decimal="."), "12.5", None),  # the text proves "," is decimal
    ("1.234.567,89", Locale(), "1234567.89", None),
    ("1,234,567.89", Locale(), "1234567.89", None),
    ("1.234.567", Locale(), "1234567", None),
    ("€ 1.234,-", Locale(), "1234", "EUR"),
    ("£12.50.", Locale(), "12.50", "GBP"),
    ("12,50 EUR", Locale(), "12.50", "EUR"),
    ("12.50 euros", Locale(), "12.50", "EUR"),
    ("100 US dollars", Locale(), "100", "USD"),
    ("£1,234.56 GBP", Locale(), "1234.56", "GBP"),
    ("£1.2m", Locale(), "1200000", "GBP"),
    ("€2,5 Mio.", Locale(), "2500000", "EUR"),
    ("$2.5bn", Locale(), "2500000000", "USD"),
    ("£1.95/m3", Locale(), "1.95", "GBP"),
    ("£2.50 per hour", Locale(), "2.50", "GBP"),
    ("£1.459/ltr", Locale(), "1.459", "GBP"),  # a unit price: 3 decimals are normal there
    ("KWD 1.234", Locale(), "1.234", "KWD"),  # KWD has 3 minor digits
    ("Rs. 1,000 only", Locale(), "1000", "INR"),
    ("CHF 1'234.–", Locale(), "1234", "CHF"),
    ("12.00CR", Locale(), "-12.00", None),
    (".99", Locale(), "0.99", None),
    ("0.1234", Locale(), "0.1234", None),
    ("１２３", Locale(), "123", None),  # full-width digits
]


@pytest.mark.parametrize("text,locale,amount,currency", AMOUNTS, ids=[c[0] for c in AMOUNTS])
def test_parse_amount(text, locale, amount, currency):
    value, code = parse_amount(text, locale)
    assert (value, code) == (Decimal(amount), currency)
    assert str(value) == amount  # exactly as written: no float, trailing zeros kept


BAD_AMOUNTS = ["", "abc", "-", "12 34", "36 m", "12/05/2026", "Invoice 123", "1,234.56 1,000.00",
               "1,234,56", "1,234.567.89", "12 XYZ", "€12 GBP", "15%", "--12",
               "(12", "12 and 13", "£12 approx", "1.2.3,4,5"]


@pytest.mark.parametrize("text", BAD_AMOUNTS)
def test_parse_amount_rejects(text):
    with pytest.raises(NormalizeError):
        parse_amount(text)


DECIMALS = [
    ("12.5", Locale(), "12.5"),
    ("1,234.50", Locale(), "1234.50"),
    ("£0.1234", Locale(), "0.1234"),
    ("1.234", Locale(), "1.234"),
    ("1.234", Locale(decimal=","), "1234"),
    ("0,75", Locale(), "0.75"),
    ("2.5 hrs", Locale(), "2.5"),
    ("10 m3", Locale(), "10"),
    ("3 x", Locale(), "3"),
    ("1.5E3", Locale(), "1500"),
    ("-0.5", Locale(), "-0.5"),
]


@pytest.mark.parametrize("text,locale,expected", DECIMALS, ids=[c[0] for c in DECIMALS])
def test_parse_decimal(text, locale, expected):
    assert str(parse_decimal(text, locale)) == expected


@pytest.mark.parametrize("text", ["", "n/a", "twelve-ish", "1,2,3"])
def test_parse_decimal_rejects(text):
    with pytest.raises(NormalizeError):
        parse_decimal(text)


INTEGERS = [("12", 12), ("1,234", 1234), ("1.234", 1234), ("1 000", 1000), ("12.0", 12), ("-5", -5),
            ("1.234.567", 1234567), ("twelve", 12), ("thirty-six", 36), ("one hundred and twenty", 120)]


@pytest.mark.parametrize("text,expected", INTEGERS)
def test_parse_integer(text, expected):
    assert parse_integer(text) == expected


@pytest.mark.parametrize("text", ["", "12.5", "abc", "1,5"])
def test_parse_integer_rejects(text):
    with pytest.raises(NormalizeError):
        parse_integer(text)


CURRENCIES = [
    ("€", "EUR"), ("eur", "EUR"), ("EUR", "EUR"), ("Euro", "EUR"), ("euros", "EUR"), ("£", "GBP"),
    ("GBP", "GBP"), ("pounds sterling", "GBP"), ("Pound Sterling (GBP)", "GBP"), ("sterling", "GBP"),
    ("GBP - British Pound", "GBP"), ("$", "USD"), ("US$", "USD"), ("usd", "USD"), ("US dollars", "USD"),
    ("A$", "AUD"), ("C$", "CAD"), ("Canadian dollars", "CAD"), ("¥", "JPY"), ("yen", "JPY"), ("₹", "INR"),
    ("Rs.", "INR"), ("zł", "PLN"), ("złoty", "PLN"), ("CHF", "CHF"), ("Swiss francs", "CHF"),
    ("SEK", "SEK"), ("EUR (€)", "EUR"), ("HRK", "HRK"),
]


@pytest.mark.parametrize("text,expected", CURRENCIES)
def test_parse_currency(text, expected):
    assert parse_currency(text) == expected


@pytest.mark.parametrize("text", ["XYZ", "xyz", "", "kr", "blah", "€ / GBP", "12"])
def test_parse_currency_rejects(text):
    with pytest.raises(NormalizeError):
        parse_currency(text)


def test_unknown_currency_message():
    with pytest.raises(NormalizeError, match="unknown currency"):
        parse_currency("XYZ")


# --- phone, email, postcode, IBAN ------------------------------------------------------------

PHONES = [
    ("01632 960123", Locale(), "+441632960123"),
    ("+44 (0)1632 960123", Locale(), "+441632960123"),
    ("07700 900123", Locale(), "+447700900123"),
    ("0044 20 7946 0958", Locale(), "+442079460958"),
    ("tel: +44 20 7946 0958", Locale(), "+442079460958"),
    ("Tel. 020 7946 0958", Locale(), "+442079460958"),
    ("Mob: 07700 900123", Locale(), "+447700900123"),
    ("01632 960123 (office)", Locale(), "+441632960123"),
    ("020 7946 0958 ext. 123", Locale(), "+442079460958"),  # E.164 has no extension
    ("(555) 123-4567", Locale(default_region="US"), "+15551234567"),
    ("+49 30 123456", Locale(), "+4930123456"),
    ("030 123456", Locale(default_region="DE"), "+4930123456"),
]


@pytest.mark.parametrize("text,locale,expected", PHONES, ids=[c[0] for c in PHONES])
def test_parse_phone(text, locale, expected):
    assert parse_phone(text, locale) == expected


@pytest.mark.parametrize("text", ["", "12", "call me", "01632 960123 / 07700 900123"])
def test_parse_phone_rejects(text):
    with pytest.raises(NormalizeError):
        parse_phone(text)


EMAILS = [
    ("John.Smith@Example.COM", "john.smith@example.com"),
    ("John Smith <John.Smith@Example.com>", "john.smith@example.com"),
    ('"Smith, John" <js@example.co.uk>', "js@example.co.uk"),
    ("<a@example.com>", "a@example.com"),
    ("mailto:a@example.com", "a@example.com"),
    ("John Smith [mailto:John@Example.com]", "john@example.com"),
    ("john.smith@example.com (John Smith)", "john.smith@example.com"),
    ("a @ example.com", "a@example.com"),
    ("first.o'brien+tag@sub.example.org.", "first.o'brien+tag@sub.example.org"),
]


@pytest.mark.parametrize("text,expected", EMAILS)
def test_parse_email(text, expected):
    assert parse_email(text) == expected


@pytest.mark.parametrize("text", ["", "a@b", "not an email", "a@b.com; c@d.com", "user@localhost", "a..b@c.com",
                                  "@example.com", "a@-example.com", "a@example.123"])
def test_parse_email_rejects(text):
    with pytest.raises(NormalizeError):
        parse_email(text)


POSTCODES = [
    ("sw1a1aa", Locale(), "SW1A 1AA"),
    ("SW1A 1AA", Locale(), "SW1A 1AA"),
    (" ec1a  1bb ", Locale(), "EC1A 1BB"),
    ("M1 1AE", Locale(), "M1 1AE"),
    ("W1A 0AX", Locale(), "W1A 0AX"),
    ("DN55 1PT", Locale(), "DN55 1PT"),
    ("GIR 0AA", Locale(), "GIR 0AA"),
    ("gir0aa", Locale(), "GIR 0AA"),
    ("BFPO 1234", Locale(), "BFPO 1234"),
    ("GY1 1AA", Locale(default_region="GG"), "GY1 1AA"),
    ("90210", Locale(default_region="US"), "90210"),
    ("902101234", Locale(default_region="US"), "90210-1234"),
    ("1012ab", Locale(default_region="NL"), "1012 AB"),
    ("10115", Locale(default_region="DE"), "10115"),
    ("12345", Locale(default_region="SE"), "123 45"),
    ("00001", Locale(default_region="PL"), "00-001"),
    ("K1A0B1", Locale(default_region="CA"), "K1A 0B1"),
    ("d02x285", Locale(default_region="IE"), "D02 X285"),
    ("1012 ab", Locale(), "1012 AB"),  # not GB, but only NL fits
    ("D-10115", Locale(), "10115"),  # country prefix
    ("NL-1012 AB", Locale(), "1012 AB"),
    ("12345-6789", Locale(), "12345-6789"),
    ("75 001", Locale(default_region="XX"), "75 001"),  # unknown region: upper case, spaces tidied
]


@pytest.mark.parametrize("text,locale,expected", POSTCODES, ids=[c[0] for c in POSTCODES])
def test_parse_postcode(text, locale, expected):
    assert parse_postcode(text, locale) == expected


@pytest.mark.parametrize("text,locale", [
    ("", Locale()), ("ABC", Locale()), ("Q1 1AA", Locale()), ("SW1A 1A", Locale()), ("1234567", Locale()),
    ("1012 SA", Locale(default_region="NL")), ("hello world", Locale(default_region="XX")),
])
def test_parse_postcode_rejects(text, locale):
    with pytest.raises(NormalizeError):
        parse_postcode(text, locale)


IBANS = [
    ("GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432"),
    ("gb82-west-1234-5698-7654-32", "GB82WEST12345698765432"),
    ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
    ("IBAN: NL91 ABNA 0417 1643 00", "NL91ABNA0417164300"),
    ("FR14 2004 1010 0505 0001 3M02 606", "FR1420041010050500013M02606"),
    ("BE68 5390 0754 7034", "BE68539007547034"),
]


@pytest.mark.parametrize("text,expected", IBANS)
def test_parse_iban(text, expected):
    assert parse_iban(text) == expected


@pytest.mark.parametrize("text,why", [
    ("GB82 WEST 1234 5698 7654 33", "mod-97"),
    ("GB82 WEST 1234 5698 7654 3", "22 characters"),
    ("XX82 WEST 1234 5698 7654 32", "unknown country"),
    ("DE0537040044053201300A", "does not have the DE format"),  # a letter in a numeric account
    ("BE41539007547035", "national check digits"),  # mod-97 right, Belgian check digits wrong
    ("hello", "not an IBAN"),
    ("", "empty"),
])
def test_parse_iban_rejects_with_reason(text, why):
    with pytest.raises(NormalizeError, match=why):
        parse_iban(text)


# --- months, enums, booleans -----------------------------------------------------------------

MONTHS = [
    ("36 months", 36), ("thirty-six (36) months", 36), ("36 (thirty-six) months", 36), ("3 years", 36),
    ("three years", 36), ("18 mo", 18), ("2 years and 6 months", 30), ("P2Y6M", 30), ("P3Y", 36),
    ("36", 36), ("a year", 12), ("one year", 12), ("12-month", 12), ("36m", 36), ("3yrs", 36),
    ("1.5 years", 18), ("one and a half years", 18), ("a year and a half", 18), ("half a year", 6),
    ("52 weeks", 12), ("Twelve (12) months", 12), ("one hundred and twenty months", 120),
    ("initial term of 24 months", 24), ("36 months from the Effective Date", 36), ("24 Monate", 24),
    ("2 Jahre", 24), ("36 mois", 36), ("un an", 12), ("2 años y 6 meses", 30), ("24 maanden", 24),
    ("36 mesi", 36), ("4 quarters", 12),
]


@pytest.mark.parametrize("text,expected", MONTHS)
def test_parse_months(text, expected):
    assert parse_months(text) == expected


@pytest.mark.parametrize("text", ["", "rolling", "month-to-month", "90 days", "thirteen (12) months", "P",
                                  "36 months, renewable for 12 months", "0.3 years"])
def test_parse_months_rejects(text):
    with pytest.raises(NormalizeError):
        parse_months(text)


PRIORITY = ["emergency", "high", "normal", "low"]
PRIORITY_SYNONYMS = {"emergency": ["urgent - no water", "critical"], "high": ["urgent", "asap"]}
ENUMS = [
    ("Emergency", "emergency"), ("HIGH", "high"), (" normal ", "normal"), ("urgent - no water", "emergency"),
    ("URGENT: no water since 6am", "emergency"), ("Urgent", "high"), ("ASAP", "high"), ("critical", "emergency"),
    ("Priority: LOW", "low"),
    ("urgent, critical", "emergency"),  # two values found: the one listed first wins
    ("high or low", "high"),
]


@pytest.mark.parametrize("text,expected", ENUMS)
def test_parse_enum(text, expected):
    assert parse_enum(text, PRIORITY, PRIORITY_SYNONYMS) == expected


@pytest.mark.parametrize("text", ["No Supply", "no_supply", "NO-SUPPLY", "nosupply"])
def test_parse_enum_ignores_case_space_underscore(text):
    assert parse_enum(text, ["no_supply", "water_quality"]) == "no_supply"


@pytest.mark.parametrize("text", ["", "meh", "highlow", "not-a-priority"])
def test_parse_enum_rejects(text):
    with pytest.raises(NormalizeError):
        parse_enum(text, PRIORITY, PRIORITY_SYNONYMS)


BOOLS = [("yes", True), ("Y", True), ("TRUE", True), ("1", True), ("x", True), ("✓", True), ("Ja", True),
         ("oui", True), ("no", False), ("N", False), ("false", False), ("0", False), ("nein", False), ("☐", False)]


@pytest.mark.parametrize("text,expected", BOOLS)
def test_parse_bool(text, expected):
    assert parse_bool(text) is expected


@pytest.mark.parametrize("text", ["", "maybe", "n/a", "2"])
def test_parse_bool_rejects(text):
    with pytest.raises(NormalizeError):
        parse_bool(text)


# --- normalize() dispatch --------------------------------------------------------------------

NORMALIZE = [
    ("  Acme   Water\n Ltd ", "string", {}, "Acme Water Ltd"),
    (12345, "string", {}, "12345"),
    ("  line one\nline two  ", "text", {}, "line one\nline two"),
    ("Acme\u00a0Water\u200b™ Ltd", "string", {}, "Acme Water™ Ltd"),  # NFC, not NFKC: ™ stays
    ("1,234", "integer", {}, 1234),
    (7, "integer", {}, 7),
    (Decimal("7.0"), "integer", {}, 7),
    ("12.50", "decimal", {}, Decimal("12.50")),
    (0.1, "decimal", {}, Decimal("0.1")),
    (Decimal("1.50"), "decimal", {}, Decimal("1.50")),
    (3, "decimal", {}, Decimal(3)),
    ("£1,234.56", "amount", {}, Decimal("1234.56")),
    (12.5, "amount", {}, Decimal("12.5")),
    ("1.234,56", "amount", {"locale": Locale(decimal=",")}, Decimal("1234.56")),
    ("03/02/2026", "date", {}, D(2026, 2, 3)),
    ("03/02/2026", "date", {"locale": Locale(dayfirst=False)}, D(2026, 3, 2)),
    (D(2026, 2, 3), "date", {}, D(2026, 2, 3)),
    (dt.datetime(2026, 2, 3, 9, 15), "date", {}, D(2026, 2, 3)),
    ("2026-02-03T09:15:00Z", "datetime", {}, dt.datetime(2026, 2, 3, 9, 15, tzinfo=UTC)),
    (D(2026, 2, 3), "datetime", {}, dt.datetime(2026, 2, 3)),
    ("euro", "currency", {}, "EUR"),
    ("07700 900123", "phone", {}, "+447700900123"),
    ("A <A@B.COM>", "email", {}, "a@b.com"),
    ("sw1a1aa", "postcode", {}, "SW1A 1AA"),
    ("GB82 WEST 1234 5698 7654 32", "iban", {}, "GB82WEST12345698765432"),
    ("3 years", "months", {}, 36),
    (24, "months", {}, 24),
    ("Urgent", "enum", {"enum_values": PRIORITY, "synonyms": PRIORITY_SYNONYMS}, "high"),
    ("yes", "boolean", {}, True),
    (False, "boolean", {}, False),
]


@pytest.mark.parametrize("value,type_name,kwargs,expected", NORMALIZE, ids=[f"{c[1]}:{c[0]!r}" for c in NORMALIZE])
def test_normalize(value, type_name, kwargs, expected):
    got = normalize(value, type_name, **kwargs)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("value,type_name", [
    (None, "string"), ("", "string"), ("   ", "text"), ("x", "nope"), (True, "integer"), (float("nan"), "decimal"),
    ("31/02/2026", "date"), ("XYZ", "currency"), ("GB82 WEST 1234 5698 7654 33", "iban"), ("x", "enum"),
    (1.5, "integer"), ([], "string"), (-3, "months"),
])
def test_normalize_rejects(value, type_name):
    with pytest.raises(NormalizeError):
        normalize(value, type_name, enum_values=PRIORITY)


def test_normalize_error_is_value_error():
    assert issubclass(NormalizeError, ValueError)


def test_locale_is_frozen_and_validated():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Locale().dayfirst = True  # type: ignore[misc]
    with pytest.raises(NormalizeError):
        Locale(decimal=";")
    assert Locale.from_mapping({"dayfirst": False, "date_formats": ["%d.%m.%Y"]}).date_formats == ("%d.%m.%Y",)


def test_a_text_read_again_gives_the_same_value_and_a_fresh_error() -> None:
    """Readings of texts are remembered (the finders read the same amounts many times): the value
    is the same, the locale still counts, and each failure is its own exception."""
    assert normalize("1.234,50", "amount", locale=Locale(decimal=",")) == Decimal("1234.50")
    assert normalize("1.234,50", "amount", locale=Locale(decimal=",")) == Decimal("1234.50")
    assert normalize("03/04/2024", "date", locale=Locale(dayfirst=True)) == dt.date(2024, 4, 3)
    assert normalize("03/04/2024", "date", locale=Locale(dayfirst=False)) == dt.date(2024, 3, 4)
    errors = []
    for _ in range(2):
        with pytest.raises(NormalizeError) as info:
            normalize("31/02/2024", "date", locale=Locale(dayfirst=True))
        errors.append(info.value)
    assert errors[0] is not errors[1] and str(errors[0]) == str(errors[1])
