"""Parties of an agreement: the names its preamble lists, or those above its signature marks.

The preamble: the names after "between" / "by and among" / "Parties:", split at "and", ";" and
after a defined-term parenthetical ("Acme, Inc. (the "Company"), and ..."); descriptors ("a
Delaware corporation") and parentheticals are skipped; "(1)"-style numbering and a table of
parties (one row each) are read too. A role noun or a defined term ("the Company") is not a name.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pipelines.map.extract.contract_language import Language
from pipelines.map.extract.vocab import LEGAL_FORM

PREAMBLE_CHARS = 6000  # the parties are named near the top of an agreement
MAX_PARTIES = 8
_CAP = r"[“\"]?(?:[A-Z0-9¢$][\w'’.\-&¢@!]*|[A-Z]\.)[”\"]?"
_LINK = r"(?:&|of|the|de|du|des|van|von|der|den|la|le|for|und|e|y|di|da|del)"
_ENUM = re.compile(r"(?:\(\s*(?:\d{1,2}|[a-z]|[ivx]{1,4})\s*\)|(?:\d{1,2}|[a-z])[.)])\s+")  # "(1)", "a)", "2."

Name = tuple[str, int, int]  # the name, where it starts and ends in the text

@lru_cache(maxsize=4)
def _party_pattern(lang: Language) -> re.Pattern[str]:
    legal = rf"(?:{LEGAL_FORM.pattern}|(?:{lang.legal_extra})(?!\w))"
    sp = r"[^\S\t]+"  # a name wraps across lines but never spans table cells
    return re.compile(rf"{_CAP}(?:{sp}(?:{_LINK}{sp})*{_CAP})*(?:,?{sp}{legal})*")


def find_parties(text: str, lang: Language) -> tuple[list[Name], float] | None:
    """The parties' names and a confidence for the list (None: no names found)."""
    name_re = _party_pattern(lang)
    defined = {fold_name(t) for t in re.findall(r"[“\"]([^”\"]{1,40})[”\"]", text)}
    found: list[Name] = []
    tight = 0
    for op in lang.opener.finditer(text[:PREAMBLE_CHARS]):
        found, tight = _table_names(text, op.end(), name_re, lang, defined)
        if not found:
            found, tight = _preamble_names(text, op.end(), name_re, lang, defined)
        if found:
            break
    # measured on real agreements (US NDAs): two or more names from the preamble are the whole
    # list about 8 times in 10, a little more often when they all sign it too; one name, 1 in 2
    score = {0: 0.0, 1: 0.5}.get(len(found), 0.8)
    if len(found) >= 2 and tight >= 2 and _signed(text, found):
        score = 0.85
    if len(found) < 2:
        seen = {fold_name(n) for n, _, _ in found}
        for name, a, b in _signature_names(text, name_re, lang, defined):
            if fold_name(name) not in seen and len(found) < MAX_PARTIES:
                seen.add(fold_name(name))
                found.append((name, a, b))
                score = 0.35 if len(found) >= 2 else 0.25  # from signature blocks: about 1 in 3
    if not found:
        return None
    return found, score


def _signed(text: str, names: list[Name]) -> bool:
    """Every name appears again after the preamble, where the agreement is signed."""
    tail = fold_name(text[max(max(b for _, _, b in names), len(text) * 2 // 3):])
    # the name's first words: the legal form may be written differently where it is signed
    return all(f" {' '.join(fold_name(n).split()[:2])} " in f" {tail} " for n, _, _ in names)


def _preamble_names(text: str, pos: int, name_re: re.Pattern[str], lang: Language,
                    defined: set[str]) -> tuple[list[Name], int]:
    """Names in the list that starts at `pos`; also how many were followed by a defined term
    or a descriptor (the sign of a real party list)."""
    names: list[Name] = []
    tight = 0
    end = min(len(text), pos + 1500)
    stop = lang.sentence_stops.search(text, pos, end)
    end = stop.start() if stop else end
    i, depth, expect, descr = pos, 0, True, False
    while i < end and len(names) < MAX_PARTIES:
        if expect and depth == 0:
            j = i + len(text[i:end]) - len(text[i:end].lstrip(" \t\n,"))
            j += len(m.group(0)) if (m := _ENUM.match(text, j, end)) else 0
            j += len(m.group(0)) if (m := re.match(r"(?:the|The)\s+", text[j:end])) else 0
            m = name_re.match(text, j, end)
            expect = False
            if m:
                name = _clean_name(m.group(0), lang)
                if _is_name(name, lang, defined):
                    names.append((name, j, j + len(m.group(0))))
                    if re.match(r"\s*(?:,\s*(?:an?|the)\s|\()", text[m.end():m.end() + 8]):
                        tight += 1
                # after "Name," comes a descriptor ("a company incorporated in England and Wales"):
                # there, "and" joins parties only after a parenthetical or a comma
                descr = text[m.end():m.end() + 1] == ","
                i = m.end()
                continue
        c = text[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth = max(0, depth - 1)
            expect = depth == 0 and bool(re.match(r"\s*[,;]", text[i + 1:i + 4]))
        elif depth == 0 and c == ";":
            expect = True
        elif depth == 0 and c in ".:" and re.match(r"\s+[A-Z(“\"]", text[i + 1:i + 4]) and not abbreviation(text, i):
            break
        elif depth == 0 and text[i - 1:i].isspace() and (j := lang.joiner.match(text, i)) and (
                not descr or text[:i].rstrip()[-1:] in "),;"):
            i = j.end()
            expect = True
            continue
        i += 1
    return names, tight


def _table_names(text: str, pos: int, name_re: re.Pattern[str], lang: Language,
                 defined: set[str]) -> tuple[list[Name], int]:
    """Parties in a table after the opener ("Party | Details | Role"): each row's first cell."""
    if not re.match(r"[ \t]*\n", text[pos:pos + 40]):
        return [], 0
    names: list[Name] = []
    at = text.index("\n", pos) + 1
    for line in text[at:at + 3000].split("\n"):
        if "\t" not in line or len(names) >= MAX_PARTIES:
            break
        cell = line.split("\t", 1)[0]
        name = _clean_name(cell, lang)
        if name_re.fullmatch(cell.strip()) and _is_name(name, lang, defined):
            a = at + line.index(cell.strip()[:1]) if cell.strip() else at
            names.append((name, a, a + len(cell.strip())))
        at += len(line) + 1
    return (names, len(names)) if len(names) >= 2 else ([], 0)


def abbreviation(text: str, i: int) -> bool:
    """A full stop that ends an abbreviation (Inc., L.P., J.) rather than a sentence."""
    w = re.search(r"(\S+)$", text[max(0, i - 12):i])
    word = w.group(1) if w else ""
    return len(word.strip(".,")) <= 3 or word.count(".") >= 1


def _clean_name(name: str, lang: Language) -> str:
    name = re.sub(r"\s+", " ", name).strip(" ,;")
    name = lang.person_suffix.sub("", name).strip(" ,;")
    for long, short in lang.legal_short.items():  # the legal form as names are recorded
        if name.endswith(" " + long):
            return name[: -len(long)] + short
    return name


def _is_name(name: str, lang: Language, defined: set[str]) -> bool:
    f = fold_name(name)
    if not f or f in lang.stopwords or len(name.split()) > 12 or not re.search(r"[^\W\d_]{2}", name):
        return False
    if any(lang.joiner.fullmatch(w + " ") for w in f.split()) or lang.signature.match(name):
        return False  # "ACKNOWLEDGED AND AGREED", "By"
    # a defined term ("the Company") stands for a party; a multi-word legal name may equal its own
    # defined term only when it is long ("Acme Holdings" defined as "Acme Holdings")
    return f not in defined or len(f.split()) >= 3


def _signature_names(text: str, name_re: re.Pattern[str], lang: Language, defined: set[str]) -> list[Name]:
    out: list[Name] = []
    for mark in lang.signature.finditer(text):
        lines = text[max(0, mark.start() - 300):mark.start()].rstrip().split("\n")
        base = mark.start() - len(text[max(0, mark.start() - 300):mark.start()])
        offset = base + sum(len(ln) + 1 for ln in lines[:-2])
        for line in lines[-2:]:
            stripped = line.strip().rstrip(":")
            m = name_re.fullmatch(stripped)
            if m and (stripped.isupper() or re.search(r"[a-z]", stripped)) and _is_name(_clean_name(stripped, lang), lang, defined):
                a = offset + line.find(stripped)
                out.append((_clean_name(stripped, lang), a, a + len(stripped)))
            offset += len(line) + 1
    return out


def fold_name(s: str) -> str:
    """Case, accents and punctuation folded away: "NIKE, Inc." and "Nike Inc" are one name."""
    s = unicodedata.normalize("NFKD", s)
    return " ".join(re.sub(r"[^\w]+", " ", "".join(c for c in s if not unicodedata.combining(c))).casefold().split())
