"""Where a typed value sits in a document: the reviewer types `total_amount=1234.50`, the
document prints "1.234,50 EUR"; the span is found when exactly one place fits.

Forms tried, in order: the text as typed; the same ignoring case; the characters with optional
spaces between them ("GB806718925" printed as "GB 806 7189 25"); the typed value without a
letter prefix ("806 7189 25": the prefix is learned as a transform); column segments and
type-shaped tokens (dates, amounts) whose normalised value equals the typed value's.
A value found in several places is ambiguous: no evidence is guessed.
"""

from __future__ import annotations

import re
from typing import Any

from pipelines.model.document import Document
from pipelines.map.extract import locate
from pipelines.map.normalize import NormalizeError
from pipelines.map.rule_engine import convert
from pipelines.model.schema import FieldSpec

# Tokens that can hold a typed value inside running text, by field type.
_DATE_TOKEN = re.compile(
    r"(?<!\w)(?:\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\d{1,2}\.?\s+[^\W\d_]{3,}\.?\s+\d{4}|[^\W\d_]{3,}\.?\s+\d{1,2},?\s+\d{4})(?!\w)")
_AMOUNT_TOKEN = re.compile(r"(?<![\w.,])-?\(?\d{1,3}(?:[ .,'\u00a0]?\d{3})*(?:[.,]\d{1,2})?\)?(?![\w])")
NUMERIC = {"amount", "number", "integer", "decimal"}


def _dedupe(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Distinct spans, dropping ones inside another found span."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(set(spans), key=lambda s: (s[0], -(s[1] - s[0]))):
        if not any(x <= a and b <= y for x, y in out):
            out.append((a, b))
    return out


def literal_spans(text: str, raw: str) -> list[tuple[int, int]]:
    """Where `raw` is printed: as typed, ignoring case, then with optional spaces between characters."""
    raw = raw.strip()
    if not raw:
        return []
    found = [(m.start(), m.end()) for m in re.finditer(re.escape(raw), text)]
    if not found:
        found = [(m.start(), m.end()) for m in re.finditer(re.escape(raw), text, re.IGNORECASE)]
    if not found and " " not in raw and len(raw) >= 4:
        spaced = r"[ \u00a0]?".join(re.escape(ch) for ch in raw)
        found = [(m.start(), m.end()) for m in re.finditer(rf"(?<!\w){spaced}(?!\w)", text, re.IGNORECASE)]
    return _dedupe(found)


def unprefixed_spans(text: str, raw: str) -> tuple[str, list[tuple[int, int]]]:
    """A typed identifier whose letter prefix is not printed: ("GB", spans of "806 7189 25")."""
    m = re.fullmatch(r"([A-Za-z]{1,4})[ \u00a0-]?(\d[\d ]{4,})", raw.strip())
    if not m:
        return "", []
    digits = m.group(2).replace(" ", "")
    spaced = r"[ \u00a0]?".join(re.escape(ch) for ch in digits)
    return m.group(1), _dedupe([(x.start(), x.end()) for x in re.finditer(rf"(?<![\w]){spaced}(?![\w])", text)])


def typed_spans(doc: Document, spec: FieldSpec, target: Any) -> list[tuple[int, int]]:
    """Segments of lines, and date/amount tokens inside running text, that normalise to `target`."""
    text = doc.text
    out: list[tuple[int, int]] = []
    token = _DATE_TOKEN if spec.type in ("date", "datetime") else _AMOUNT_TOKEN if spec.type in NUMERIC else None

    def same(a: int, b: int) -> bool:
        try:
            return convert(text[a:b], spec, None) == target
        except (NormalizeError, ValueError, ArithmeticError):
            return False

    for line in locate.doc_index(doc).lines:
        segs = locate.segments(text, line.start, line.end)
        hit = [(a, b) for a, b in segs if same(a, b)]
        if token is not None and not hit:
            hit = [(line.start + m.start(), line.start + m.end()) for m in token.finditer(text[line.start:line.end])
                   if same(line.start + m.start(), line.start + m.end())]
        out += hit
    return _dedupe(out)


def find_value(doc: Document, raw: str, spec: FieldSpec, target: Any) -> list[tuple[int, int]]:
    """Every place the typed value could be printed, most literal form first."""
    spans = literal_spans(doc.text, raw)
    if spans:
        return spans
    if spec.type not in ("list",):
        spans = typed_spans(doc, spec, target)
        if spans:
            return spans
    return unprefixed_spans(doc.text, raw)[1]


def unique_span(doc: Document, raw: str, spec: FieldSpec, target: Any) -> tuple[int, int] | None:
    """The one place the typed value is printed, or None (not found, or found more than once)."""
    spans = find_value(doc, raw, spec, target)
    return spans[0] if len(spans) == 1 else None


__all__ = ["find_value", "literal_spans", "typed_spans", "unique_span", "unprefixed_spans"]
