"""A date on a page read by OCR that one misread digit made impossible ("36/03/2018" for
30/03/2018, "19/62/2018" for 19/02/2018): the date it was, when exactly one look-alike digit
makes it a valid one. Receipt printers' dotted or broken zeros come out as 6, 8 or 9. More than one
valid reading (or none) is no correction: the value is left out, as before.
"""

from __future__ import annotations

from typing import Any, Callable

from pipelines.map.normalize import NormalizeError

# Digits Tesseract confuses on receipt print, each with what it may have been printed as.
LOOK_ALIKE_DIGITS = {"0": "689", "6": "085", "8": "0369", "9": "08", "3": "8", "5": "6", "1": "7", "7": "1"}


def misread_date(raw: str, parse: Callable[[str], Any]) -> Any | None:
    """The one valid date `parse` gives `raw` with one digit replaced by a look-alike; else None."""
    found = set()
    for i, ch in enumerate(raw):
        for alt in LOOK_ALIKE_DIGITS.get(ch, ""):
            try:
                found.add(parse(raw[:i] + alt + raw[i + 1:]))
            except NormalizeError:
                continue
            if len(found) > 1:
                return None
    return found.pop() if found else None
