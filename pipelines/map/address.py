"""Postal addresses written in running text or signature blocks, found by their postcode.

People write "The property is 14 Church Street, Tewkesbury, GL20 5PA" or put the address on
lines under their name. From a postcode we walk back over comma- or line-separated parts
while they look like address parts, stopping at a sentence, a label or an organisation name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# UK postcodes (the shipped domain); other countries' formats can be added beside it.
POSTCODE = re.compile(r"\b(?:GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})\b", re.IGNORECASE)
ORG_SUFFIX = re.compile(r"\b(?:Ltd|Limited|plc|PLC|LLP|Trust|Inc|LLC|GmbH|Co-operative)\b\.?")
_LABEL_ANY = re.compile(r"(?:^|(?<=\s))[A-Z][\w]*(?: [\w]+){0,2}:\s*")
_MAX_PARTS = 6


@dataclass(frozen=True)
class Address:
    start: int  # span of the address lines (without the postcode) in the searched text
    end: int
    lines: str  # the parts joined with ", "
    postcode: str
    postcode_start: int
    postcode_end: int


def _parts_before(text: str, end: int) -> list[tuple[int, int]]:
    """Spans of the comma/line separated parts before `end`, nearest first."""
    spans = []
    pos = end
    window_start = max(0, end - 300)
    chunk = text[window_start:end]
    # A line break after a lowercase word is a wrap, not a separator.
    seps = [m for m in re.finditer(r",\s*|\n+", chunk)
            if not (m.group().startswith("\n") and re.search(r"[a-z]\s*$", chunk[:m.start()]))]
    cuts = [window_start + m.end() for m in seps]
    starts = [window_start] + cuts
    for s in reversed(starts):
        if s >= pos:
            continue
        spans.append((s, pos))
        prev_sep = [m for m in seps if window_start + m.end() == s]
        pos = window_start + prev_sep[0].start() if prev_sep else s
        if len(spans) >= _MAX_PARTS:
            break
    return spans


def _trim_part(text: str, start: int, end: int) -> tuple[int, int, bool]:
    """Trim a part to its address-like tail; the flag says whether to stop walking back."""
    part = text[start:end]
    org = list(ORG_SUFFIX.finditer(part))
    if org:
        return start + org[-1].end(), end, True
    labels = list(_LABEL_ANY.finditer(part))
    if labels:  # "Abbey Dental Practice Address: 22 Abbey Road" -> after the last label
        return start + labels[-1].end(), end, True
    sentence = max(part.rfind(". "), part.rfind("? "), part.rfind("! "), part.rfind(": "))
    if sentence >= 0:
        start, part, stop = start + sentence + 2, part[sentence + 2:], True
    else:
        stop = False
    words = list(re.finditer(r"\S+", part))
    # Keep the trailing run of words that start with a capital or a digit ("14 Church Street"),
    # allowing short connectors inside place names ("Upton upon Severn").
    keep = len(words)
    for i in range(len(words) - 1, -1, -1):
        w = words[i].group()
        if w[0].isupper() or w[0].isdigit() or (w in {"upon", "on", "in", "under", "by", "the", "de", "le"} and i > 0 and keep <= i + 1):
            keep = i
            continue
        stop = True
        break
    if keep >= len(words):
        return end, end, True
    while keep < len(words) and words[keep].group() in {"upon", "on", "in", "under", "by", "the", "de", "le"}:
        keep += 1
    return start + words[keep].start() if keep < len(words) else end, end, stop


def find_addresses(text: str) -> list[Address]:
    out = []
    for m in POSTCODE.finditer(text):
        parts: list[tuple[int, int]] = []
        end = m.start()
        lead = re.search(r"(?:[,\s]*(?:Post\s?code|Postal code|ZIP(?: code)?)\s*[:.]?)?[,\s]*$", text[max(0, end - 40):end], re.I)
        lead_start = (max(0, end - 40) + lead.start()) if lead else end
        end = lead_start
        for s, e in _parts_before(text, end):
            ts, te, stop = _trim_part(text, s, e)
            if te > ts and text[ts:te].strip():
                parts.append((ts, te))
            if stop or ts > s:
                break
        if not parts:
            continue
        parts.reverse()
        lines = ", ".join(" ".join(text[s:e].split()) for s, e in parts)
        out.append(Address(parts[0][0], parts[-1][1], lines, m.group(), m.start(), m.end()))
    return out
