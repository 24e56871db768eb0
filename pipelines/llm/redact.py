"""Personal data replaced by placeholders before text leaves for an LLM, restored in its answer.

Detected kinds: e-mail addresses, phone numbers (libphonenumber over a few regions plus "+xx"
forms), IBANs (mod-97 checksum), payment card numbers (Luhn), postcodes (UK; US ZIP with a
state or ZIP+4; Canadian; country-prefixed "D-50735"; German five digits after a street line)
and personal names (given, or found by `names_from_document`). Overlapping matches: the longest
wins. One Redactor keeps one mapping, so the same value gets the same placeholder everywhere.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import phonenumbers

from pipelines.parse.email_headers import split_addresses

KINDS = ("email", "phone", "iban", "card", "postcode", "name")
_PRIORITY = {k: i for i, k in enumerate(("email", "iban", "card", "phone", "postcode", "name"))}

_EMAIL = re.compile(r"(?<![\w.+'-])[\w.+'-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}(?![\w-])")
_IBAN = re.compile(r"\b[A-Za-z]{2} ?\d{2}(?:[ \u00a0.-]{0,2}[A-Za-z0-9]){11,32}")  # any case, spaced or not
# "jane dot doe at example dot com", "jane[at]example[.]com", "jane (at) example (dot) co (dot) uk"
_DOT = r"(?:\s*[\[({<]\s*(?:dot|\.)\s*[\])}>]\s*|\s+(?i:dot)\s+|\.)"
_AT = r"(?:\s*[\[({<]\s*(?:at|@)\s*[\])}>]\s*|\s+(?i:at)\s+|@)"
_TLDS = ("com|org|net|edu|gov|info|biz|io|co|uk|de|fr|nl|be|es|it|eu|ie|at|ch|us|ca|au|nz|dk|se|no|fi|pl|pt|"
         "cz|lu|in|jp|cn|br|mx|za|ae|sg|hk|email|online|site|tech|app|dev|me|tv")
_OBFUSCATED_EMAIL = re.compile(
    rf"(?<![\w.@-])[A-Za-z0-9][\w+-]*(?:{_DOT}[A-Za-z0-9][\w+-]*)*{_AT}[A-Za-z0-9][\w-]*(?:{_DOT}[A-Za-z0-9][\w-]*)*"
    rf"{_DOT}(?i:{_TLDS})(?![\w-])")
_CARD = re.compile(r"(?<![\w-])[2-6]\d{3}(?:[ -]?\d){9,15}(?![\w-])")
_PHONE_INTL = re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .\-]?\(?\d+\)?){2,6}")
_PHONE_LABEL = re.compile(r"\b(?:tel|telephone|phone|mob|mobile|cell|fax|call|ring|whatsapp|sms)\b[^\n\d]{0,20}$", re.I)
_DATE_SHAPED = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")
_US_GROUPED = re.compile(r"\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}")
_PHONE_REGIONS = ("GB", "US", "DE", "FR", "IE", "NL")
_US_STATES = ("AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV "
              "NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY").split()
_POSTCODES = [
    re.compile(r"(?<![\w-])(?:GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})(?![\w-])"),  # UK
    re.compile(r"(?<![\w-])(?:gir ?0aa|[a-z]{1,2}\d[a-z\d]? ?\d(?!st|nd|rd|th)[a-z]{2})(?![\w-])"),  # UK, lower case; not "b2 2nd"
    re.compile(rf"(?<=\b(?:{'|'.join(_US_STATES)}) )\d{{5}}(?:-\d{{4}})?(?![\w-])"),  # US: "CA 94105"
    re.compile(r"(?<![\w-])\d{5}-\d{4}(?![\w-])"),  # US ZIP+4
    re.compile(r"(?<![\w-])[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] \d[ABCEGHJ-NPRSTV-Z]\d(?![\w-])"),  # Canada
    re.compile(r"(?<![\w-])(?:D|DE|A|AT|CH|F|FR|NL|B|BE|I|IT|E|ES|L|LU)-\d{4,5}(?: ?[A-Z]{2})?(?![\w-])"),
]
_DE_POSTCODE = re.compile(r"(?<![\w.,-])\d{5}(?= [A-ZÄÖÜ][a-zäöüß]+(?:[ \t]*(?:[\n\t,·]|$)))")
_STREET = re.compile(r"(?:straße|strasse|str\.|weg|platz|allee|gasse|damm|ufer)\s+\d+", re.I)
_PLACEHOLDER = re.compile(r"\[\s*([A-Za-z]+)[\s_-]*(\d+)\s*\]")

# ---- names ---------------------------------------------------------------------------------
_UP, _LO = "A-ZÀ-ÖØ-Þ", "a-zß-öø-ÿ"
_TOK = rf"(?:[{_UP}][{_LO}]+(?:[{_UP}][{_LO}]+)?(?:['’-][{_UP}][{_LO}]+)?|[{_UP}]\.)"
_NAME = rf"{_TOK}(?:[ \t]+{_TOK}){{0,3}}"
_TITLE = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?"
_END = r"(?=[ \t]*(?:[,(\n\t!:;]|$))"
_SALUTATION = re.compile(rf"^[> \t]*(?i:dear|hi|hello|hey|morning|good (?:morning|afternoon|evening))[ \t]+(?:{_TITLE}[ \t]+)?({_NAME}){_END}", re.M)
_SIGNOFF = re.compile(
    rf"^[> \t]*(?i:(?:kind|best|warm|warmest|many) regards|regards|best wishes|many thanks|thanks(?: very much| again)?|"
    rf"thank you|cheers|(?:yours )?(?:sincerely|faithfully|truly)|best)[ \t]*[,.!]?[ \t]*\n[> \t]*(?:{_TITLE}[ \t]+)?({_NAME})[ \t]*$", re.M)
_LABELLED = re.compile(
    rf"(?i:\b(?:contact(?: name| person)?|attn|attention|fao|name|customer name|account holder|written by|prepared by|"
    rf"signed by|requested by|reported by))[ \t]*[:.]+[ \t]*(?:{_TITLE}[ \t]+)?({_NAME}){_END}")
_KEYED = re.compile(  # data files: "name": "Sam Marlow", contact_name='Jane Smith'
    rf"(?<![\w])[\"']?(?i:name|full[_ ]?name|contact(?:[_ ]?(?:name|person))?)[\"']?[ \t]*[:=][ \t]*[\"']"
    rf"(?:{_TITLE}[ \t]+)?({_NAME})[\"']")
_TITLED = re.compile(rf"\b{_TITLE}[ \t]+((?:[{_UP}]\.[ \t]*)*{_TOK}(?:[ \t]+{_TOK})?)(?![\w.])")
_ANGLE = re.compile(r"(?:^|[,:;>])[ \t]*\"?([^,:;<>\"\n]{2,60}?)\"?[ \t]*<[^<>\s@]+@[^<>\s]+>", re.M)
_NOT_NAME = set("""ltd limited plc llp inc llc gmbh ag co company corp services service team customer customers support
accounts account billing finance sales department dept office council group bank water energy gas electric power hotel
school primary trust care home centre center club solutions systems engineering labs laboratory laboratories holdings
partners associates admin info enquiries helpdesk desk operations management manager director registered head sir madam
all the and of for dear regards thanks thank you hi hello kind best team's supplier customer's procurement payable
invoice bill total date account number reference street road lane house unit court park control credit bookings
booking reception orders payments payroll purchasing marketing legal compliance noreply enquiry contact mail""".split())
_AFTER_TITLE = "(?:" + "|".join(rf"(?<={t}{d} )" for t in ("Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof") for d in ("", ".")) + ")"
_ORG_AFTER = re.compile(rf"(?: (?:{_TOK}|&))* (?:Ltd|Limited|plc|PLC|LLP|Inc|LLC|GmbH|AG|Co)\b")  # not across a tab (column)


def _load_given_names() -> frozenset[str]:
    path = Path(__file__).with_name("data") / "given_names.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(ln.strip().casefold() for ln in lines if ln.strip() and not ln.startswith("#"))


def _plain(word: str) -> str:
    """Case and accents folded: "Jürgen" -> "jurgen"."""
    return "".join(c for c in unicodedata.normalize("NFKD", word.casefold()) if not unicodedata.combining(c))


_GIVEN = _load_given_names()
_CAP_WORD = re.compile(rf"(?<![\w@.'’-])[{_UP}][{_LO}]+(?:-[{_UP}][{_LO}]+)?")
_SURNAME = re.compile(rf"[ \t]+(?:[{_UP}]\.[ \t]*)?((?:(?:van|von|de|der|den|da|di|du|le|la|del|mac|mc)[ \t]+)*"
                      rf"(?:[{_UP}]['’])?[{_UP}][{_LO}]+(?:['’-][{_UP}]?[{_LO}]+)?)(?![\w@])")


def prose_names(text: str) -> Iterable[tuple[int, int]]:
    """Names in running prose: a known given name followed by a capitalised surname ("Sarah
    Jennings", "Tom van der Berg"), not an organisation ("Tom Baxter Ltd") or a label."""
    for m in _CAP_WORD.finditer(text):
        if _plain(m.group()) not in _GIVEN:
            continue
        tail = _SURNAME.match(text, m.end())
        if tail is None or tail.group(1).casefold() in _NOT_NAME:
            continue
        if _ORG_AFTER.match(text, tail.end()):
            continue
        yield m.start(), tail.end()


def _clean_name(raw: str) -> str | None:
    """A personal name from a candidate, or None (organisations, greetings, lone initials)."""
    raw = re.sub(rf"^{_TITLE}\s+", "", " ".join(raw.split()))
    if not re.fullmatch(_NAME, raw):
        return None
    toks = raw.split()
    if any(t.lower().strip(".") in _NOT_NAME for t in toks) or toks[-1].endswith("."):
        return None
    return raw


def names_from_document(doc: Any) -> list[str]:
    """Personal names in a document tree: e-mail display names, salutations, sign-offs, labelled
    contacts ("Contact:", "Attn:", "Name:"), data keys ("name": "..."), titled names ("Mrs D. Allen"),
    "Name <address>"."""
    found: dict[str, None] = {}
    for d in doc.walk():
        meta = (d.metadata or {}).get("email") or {}
        raws = [meta.get("from_name") or ""]
        for key in ("to", "cc", "bcc", "reply_to"):
            vals = meta.get(key) or []
            for v in vals if isinstance(vals, list) else [vals]:
                raws += [n for n, _ in split_addresses(str(v))]
        for pat in (_SALUTATION, _SIGNOFF, _LABELLED, _KEYED, _TITLED, _ANGLE):
            raws += [m.group(1) for m in pat.finditer(d.text)]
        raws += [d.text[a:b] for a, b in prose_names(d.text)]
        for raw in raws:
            if raw and (name := _clean_name(raw)):
                found.setdefault(name)
    return list(found)


def _iban_ok(compact: str) -> bool:
    compact = compact.upper()
    if not compact[:2].isalpha():
        return False
    moved = compact[4:] + compact[:4]
    return 15 <= len(compact) <= 34 and int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _luhn(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        n = int(c) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


class Redactor:
    def __init__(self, kinds: Iterable[str] = KINDS, names: Iterable[str] = ()) -> None:
        self.kinds = tuple(kinds)
        unknown = set(self.kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown PII kinds: {sorted(unknown)}")
        self._by_original: dict[tuple[str, str], str] = {}
        self._mapping: dict[str, str] = {}
        self._next: dict[str, int] = {}
        self._name_patterns = self._compile_names(names)

    # ---- public -------------------------------------------------------------------------
    @property
    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in self.kinds}
        for kind, _ in self._by_original:
            out[kind] += 1
        return out

    @property
    def mapping(self) -> dict[str, str]:
        return dict(self._mapping)

    def redact(self, text: str) -> str:
        reserved = {(k.upper(), int(n)) for k, n in _PLACEHOLDER.findall(text)}
        out, pos = [], 0
        for s, e, kind in self.find(text):
            out += [text[pos:s], self._placeholder(kind, text[s:e], reserved)]
            pos = e
        return "".join(out) + text[pos:]

    def restore(self, text: str) -> str:
        def back(m: re.Match[str]) -> str:
            return self._mapping.get(f"[{m.group(1).upper()}_{int(m.group(2))}]", m.group(0))
        return _PLACEHOLDER.sub(back, text)

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """Non-overlapping (start, end, kind) spans of personal data, in text order."""
        spans: list[tuple[int, int, str]] = []
        finders = {"email": _emails, "iban": _ibans, "card": _cards, "phone": _phones,
                   "postcode": _postcodes, "name": self._names}
        for kind in self.kinds:
            spans += [(s, e, kind) for s, e in finders[kind](text)]
        spans.sort(key=lambda t: (t[0] - t[1], _PRIORITY[t[2]], t[0]))
        taken: list[tuple[int, int, str]] = []
        for s, e, k in spans:  # longest first: a shorter match inside or across it loses
            if all(e <= ts or s >= te for ts, te, _ in taken):
                taken.append((s, e, k))
        return sorted(taken)

    # ---- internals ----------------------------------------------------------------------
    def _placeholder(self, kind: str, original: str, reserved: set[tuple[str, int]]) -> str:
        key = (kind, original)
        if key not in self._by_original:
            n = self._next.get(kind, 0) + 1
            while (kind.upper(), n) in reserved:  # never reuse a placeholder already in the text
                n += 1
            self._next[kind] = n
            ph = f"[{kind.upper()}_{n}]"
            self._by_original[key] = ph
            self._mapping[ph] = original
        return self._by_original[key]

    @staticmethod
    def _compile_names(names: Iterable[str]) -> list[re.Pattern[str]]:
        variants: dict[str, None] = {}
        for raw in names:
            toks = re.sub(rf"^{_TITLE}\s+", "", " ".join(str(raw).split())).split()
            if not toks:
                continue
            variants.setdefault(r"\s+".join(map(re.escape, toks)))
            first, last = toks[0], toks[-1]
            if len(toks) > 1 and not first.endswith(".") and len(first) > 1:
                variants.setdefault(re.escape(first))  # "Jane" alone for a known "Jane Smith"
            if len(toks) > 1:
                # the surname after a title ("Ms Smith"); alone too when the given name is an initial
                title = "" if first.endswith(".") else _AFTER_TITLE
                variants.setdefault(title + re.escape(last))
        ordered = sorted(variants, key=len, reverse=True)
        return [re.compile(rf"(?<![\w@.]){v}(?![\w@])") for v in ordered]

    def _names(self, text: str) -> Iterable[tuple[int, int]]:
        yield from prose_names(text)
        for pat in self._name_patterns:
            for m in pat.finditer(text):
                if not _ORG_AFTER.match(text, m.end()):  # "Marlow" in "Marlow Brewing Co Ltd" is a company
                    yield m.span()


def _emails(text: str) -> Iterable[tuple[int, int]]:
    yield from (m.span() for m in _EMAIL.finditer(text))
    for m in _OBFUSCATED_EMAIL.finditer(text):
        if "@" not in m.group() or re.search(r"[\[({<]", m.group()):
            yield m.span()


def _ibans(text: str) -> Iterable[tuple[int, int]]:
    for m in _IBAN.finditer(text):
        s, cand = m.start(), m.group()
        # try the longest prefix that ends at a group boundary and passes the checksum
        ends = [i for i in range(len(cand), 0, -1) if i == len(cand) or not cand[i].isalnum()]
        for end in ends:
            if not (end == len(cand) and end < len(text) - s and text[s + end].isalnum()):
                compact = re.sub(r"[\s.-]", "", cand[:end])
                if _iban_ok(compact):
                    yield s, s + end
                    break


def _cards(text: str) -> Iterable[tuple[int, int]]:
    for m in _CARD.finditer(text):
        raw = m.group()
        seps = set(re.sub(r"\d", "", raw))
        digits = re.sub(r"\D", "", raw)
        if len(seps) <= 1 and 13 <= len(digits) <= 19 and _luhn(digits):
            yield m.span()


def _phone_ok(text: str, s: int, e: int, number: Any) -> bool:
    raw = text[s:e]
    digits = sum(c.isdigit() for c in raw)
    if not 7 <= digits <= 15 or _DATE_SHAPED.fullmatch(raw):
        return False
    before, after = text[s - 1:s] if s else "", text[e:e + 2]
    if before and (before.isalnum() or before in "-/_."):
        return False  # inside an identifier such as "SVW-B-2026-006021"
    if after and (after[0].isalnum() or after[0] in "-/_" or re.match(r"[.,]\d", after)):
        return False
    labelled = bool(_PHONE_LABEL.search(text[max(0, s - 30):s]))
    head = raw.lstrip("( ")
    if head.startswith("+"):
        return digits >= 8
    if head.startswith("0"):  # national form with a trunk prefix (GB, DE, FR, NL, IE ...)
        return digits >= 10 or (labelled and digits >= 7)
    return phonenumbers.is_valid_number(number) and (labelled or bool(_US_GROUPED.fullmatch(raw)))


def _phones(text: str) -> Iterable[tuple[int, int]]:
    seen: set[tuple[int, int]] = set()
    for region in _PHONE_REGIONS:
        for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE):
            span = (m.start, m.end)
            if span not in seen and _phone_ok(text, m.start, m.end, m.number):
                seen.add(span)
                yield span
    for m in _PHONE_INTL.finditer(text):
        if m.span() not in seen and 8 <= sum(c.isdigit() for c in m.group()) <= 15:
            yield m.span()


def _postcodes(text: str) -> Iterable[tuple[int, int]]:
    for pat in _POSTCODES:
        yield from (m.span() for m in pat.finditer(text))
    for m in _DE_POSTCODE.finditer(text):
        if _STREET.search(text[max(0, m.start() - 150):m.start()]):
            yield m.span()
