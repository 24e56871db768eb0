"""A date on a page read by OCR that one misread digit made impossible ("36/03/2018" for
30/03/2018, "19/62/2018" for 19/02/2018): the date it was, when exactly one look-alike digit
makes it a valid one. Receipt printers' dotted or broken zeros come out as 6, 8 or 9. More than one
valid reading (or none) is no correction: the value is left out, as before. The same for a date
decades in the future ("14 Jun 2074", a 1 read as 7): no business paper is dated so far ahead, so
the one look-alike digit that gives a year not past next year is taken; none or two: kept as read.
"""

from __future__ import annotations

from typing import Any, Callable

from pipelines.map.normalize import NormalizeError

# Years past today + this are no business paper's date (a contract's end date may be decades ahead).
FAR_FUTURE_YEARS = 20
# Glyphs Tesseract confuses on receipt print (lower-cased, as text is compared): each maps to the
# first of its group.
LOOK_ALIKE = str.maketrans({ch: g[0] for g in ("il1|!tj", "o0dq", "s5$", "b8", "z2", "g69", "mnh", "uv", "ec")
                            for ch in g[1:]})
# Legal-form words read back when OCR misread one letter: alone at a line's end, or as the word
# that completes a legal form with its neighbour ("SON BHD" -> "SDN BHD"); no plain word of a name.
OCR_LEGAL_WORDS = ("SDN", "BHD", "LTD", "INC", "LLC", "PLC", "GMBH", "CORP", "BERHAD", "LIMITED")
# Digits Tesseract confuses on receipt print, each with what it may have been printed as.
LOOK_ALIKE_DIGITS = {"0": "689", "6": "085", "8": "0369", "9": "08", "3": "8", "5": "6", "1": "7", "7": "1"}


def misread_date(raw: str, parse: Callable[[str], Any], accept: Callable[[Any], bool] = lambda _: True) -> Any | None:
    """The one valid (and `accept`ed) date `parse` gives `raw` with one digit replaced by a
    look-alike; else None."""
    found = set()
    for i, ch in enumerate(raw):
        for alt in LOOK_ALIKE_DIGITS.get(ch, ""):
            try:
                value = parse(raw[:i] + alt + raw[i + 1:])
            except NormalizeError:
                continue
            if not accept(value):
                continue
            found.add(value)
            if len(found) > 1:
                return None
    return found.pop() if found else None


def one_digit_apart(a: str, b: str) -> bool:
    """`a` and `b` are one reading apart: the same text but for one look-alike digit."""
    diff = [(x, y) for x, y in zip(a, b) if x != y]
    return len(a) == len(b) and len(diff) == 1 and diff[0][1] in LOOK_ALIKE_DIGITS.get(diff[0][0], "")


def legal_word(token: str) -> str | None:
    """The legal-form word `token` is with one look-alike letter misread ("SON" -> "SDN"); else None."""
    up = token.upper()
    for word in OCR_LEGAL_WORDS:
        if len(up) == len(word) and up != word and up.lower().translate(LOOK_ALIKE) == word.lower().translate(LOOK_ALIKE) \
                and sum(a != b for a, b in zip(up, word)) == 1:
            return word if token.isupper() or not token.isalpha() else word.capitalize()
    return None
