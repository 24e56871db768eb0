"""Currency reference data embedded for offline use: ISO 4217 codes, symbols, names.

Sources: the ISO 4217 list of active codes (SIX, amendment of 2025: XCG and ZWG included;
XTS and XXX, which are not currencies, left out), plus a few codes withdrawn recently enough
to appear on documents still being processed.
"""

from __future__ import annotations

ISO_4217 = frozenset("""
AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP
BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB
EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD
JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP
MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR
RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND
TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG XAU XBA XBB
XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XUA YER ZAR ZMW ZWG
""".split())

# Withdrawn codes still seen on older documents (accepted, returned as written).
ISO_4217_WITHDRAWN = frozenset("ANG HRK SLL VEF ZWL CUC LTL LVL EEK BYR MRO STD ZMK".split())

KNOWN_CODES = ISO_4217 | ISO_4217_WITHDRAWN

# Digits after the decimal point (ISO 4217 "minor unit"); 2 unless listed.
MINOR_UNITS = {
    **dict.fromkeys("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    "CLF": 4, "UYW": 4,
}

_DOLLARS = frozenset(
    "USD AUD CAD NZD SGD HKD TWD MXN ARS CLP COP BSD BBD BZD BMD BND FJD GYD JMD KYD LRD NAD SBD "
    "SRD TTD XCD CUP DOP UYU".split()
)
_POUNDS = frozenset("GBP EGP GIP FKP SHP SSP SYP LBP".split())
_YEN_YUAN = frozenset({"JPY", "CNY"})
_RUPEES = frozenset("INR PKR LKR NPR MUR SCR".split())
_KRONOR = frozenset("SEK NOK DKK ISK".split())
_FRANCS = frozenset("CHF XOF XAF XPF".split())
_DIRHAMS = frozenset({"AED", "MAD"})
_RIYALS = frozenset({"SAR", "QAR", "OMR", "YER"})


def _one(code: str) -> tuple[frozenset[str], str]:
    return frozenset({code}), code


# Symbols, matched case-sensitively: symbol -> (codes it can mean, code when nothing narrows it
# down or None when it stays ambiguous). `Locale.default_currency` picks within the set.
SYMBOLS: dict[str, tuple[frozenset[str], str | None]] = {
    "$": (_DOLLARS, "USD"), "US$": _one("USD"), "U$S": _one("USD"), "USD$": _one("USD"),
    "A$": _one("AUD"), "AU$": _one("AUD"), "AUD$": _one("AUD"), "C$": _one("CAD"), "CA$": _one("CAD"),
    "CAD$": _one("CAD"), "NZ$": _one("NZD"), "HK$": _one("HKD"), "S$": _one("SGD"), "SG$": _one("SGD"),
    "R$": _one("BRL"), "MX$": _one("MXN"), "Mex$": _one("MXN"), "NT$": _one("TWD"), "RD$": _one("DOP"),
    "J$": _one("JMD"), "TT$": _one("TTD"), "EC$": _one("XCD"),
    "£": (_POUNDS, "GBP"), "€": _one("EUR"), "¥": (_YEN_YUAN, "JPY"), "JP¥": _one("JPY"),
    "CN¥": _one("CNY"), "元": _one("CNY"), "円": _one("JPY"), "RMB": _one("CNY"),
    "₹": _one("INR"), "Rs.": (_RUPEES, "INR"), "Rs": (_RUPEES, "INR"), "RS": (_RUPEES, "INR"),
    "₽": _one("RUB"), "₩": _one("KRW"), "₪": _one("ILS"), "₺": _one("TRY"), "₫": _one("VND"),
    "฿": _one("THB"), "₱": _one("PHP"), "₴": _one("UAH"), "₦": _one("NGN"), "₵": _one("GHS"),
    "₸": _one("KZT"), "₾": _one("GEL"), "₼": _one("AZN"), "₡": _one("CRC"), "₲": _one("PYG"),
    "zł": _one("PLN"), "Zł": _one("PLN"), "ZŁ": _one("PLN"), "Kč": _one("CZK"), "Ft": _one("HUF"),
    "lei": _one("RON"), "Lei": _one("RON"), "лв": _one("BGN"), "лв.": _one("BGN"), "RM": _one("MYR"),
    "Rp": _one("IDR"), "Rp.": _one("IDR"), "SFr.": _one("CHF"), "Fr.": (_FRANCS, "CHF"),
    "kr": (_KRONOR, None), "kr.": (_KRONOR, None), "Kr": (_KRONOR, None), "Kr.": (_KRONOR, None),
    "R": _one("ZAR"),
}

# Names, compared after `fold()` (lower case, no accents) with dots removed.
NAMES: dict[str, tuple[frozenset[str], str | None]] = {}


def _names(codes: frozenset[str] | str, default: str | None, *names: str) -> None:
    entry = _one(codes) if isinstance(codes, str) else (codes, default)
    for name in names:
        NAMES[name] = entry


_names("EUR", None, "euro", "euros", "eur", "euro cents")
_names("GBP", None, "pound sterling", "pounds sterling", "sterling", "british pound", "british pounds",
       "gb pound", "gb pounds", "uk pound", "uk pounds", "pfund sterling", "livre sterling",
       "livres sterling", "libra esterlina", "libras esterlinas", "sterlina", "sterline")
_names(_POUNDS, "GBP", "pound", "pounds", "pfund", "livre", "livres", "libra", "libras")
_names("USD", None, "us dollar", "us dollars", "u s dollars", "united states dollar",
       "united states dollars", "american dollar", "american dollars", "usd dollars")
_names(_DOLLARS, "USD", "dollar", "dollars", "dolar", "dolares", "dollaro", "dollari")
_names("CAD", None, "canadian dollar", "canadian dollars")
_names("AUD", None, "australian dollar", "australian dollars")
_names("NZD", None, "new zealand dollar", "new zealand dollars")
_names("HKD", None, "hong kong dollar", "hong kong dollars")
_names("SGD", None, "singapore dollar", "singapore dollars")
_names("CHF", None, "swiss franc", "swiss francs", "schweizer franken", "franken", "franc suisse",
       "francs suisses", "franchi svizzeri", "franco svizzero")
_names(_FRANCS, "CHF", "franc", "francs")
_names("JPY", None, "yen", "japanese yen")
_names("CNY", None, "yuan", "renminbi", "chinese yuan", "rmb")
_names("INR", None, "indian rupee", "indian rupees")
_names(_RUPEES, "INR", "rupee", "rupees")
_names("PLN", None, "zloty", "zlotys", "zlotych", "zlote", "polish zloty")
_names("SEK", None, "swedish krona", "swedish kronor", "svenska kronor")
_names("NOK", None, "norwegian krone", "norwegian kroner", "norske kroner")
_names("DKK", None, "danish krone", "danish kroner", "danske kroner")
_names("ISK", None, "icelandic krona", "icelandic kronur")
_names(_KRONOR, None, "krona", "kronor", "krone", "kroner")
_names("CZK", None, "czech koruna", "koruna", "korun", "koruny")
_names("HUF", None, "forint", "forints", "hungarian forint")
_names("ZAR", None, "rand", "south african rand")
_names("BRL", None, "real", "reais", "brazilian real", "brazilian reais")
_names("MXN", None, "mexican peso", "mexican pesos")
_names("RUB", None, "ruble", "rubles", "rouble", "roubles", "russian ruble", "russian rouble")
_names("TRY", None, "turkish lira", "lira", "lire", "turk lirasi")
_names("AED", None, "uae dirham", "emirati dirham")
_names(_DIRHAMS, "AED", "dirham", "dirhams")
_names("SAR", None, "saudi riyal", "saudi riyals")
_names(_RIYALS, "SAR", "riyal", "riyals")
_names("KRW", None, "korean won", "south korean won")
_names("THB", None, "baht", "thai baht")
_names("MYR", None, "ringgit", "malaysian ringgit")
_names("IDR", None, "rupiah", "indonesian rupiah")
_names("VND", None, "dong", "vietnamese dong")
_names("ILS", None, "shekel", "shekels", "new israeli shekel", "new israeli shekels")
_names("RON", None, "leu", "romanian leu")
_names("BGN", None, "lev", "leva", "bulgarian lev")
_names("HRK", None, "kuna", "croatian kuna")
_names("UAH", None, "hryvnia", "hryvnias")
_names("NGN", None, "naira")
_names("GHS", None, "cedi", "cedis")
_names("KES", None, "kenyan shilling", "kenyan shillings")
